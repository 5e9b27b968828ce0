/**
 * Uncentering: for every visible and hidden state, PyDeep's centered energy equals Relief's
 * uncentered energy plus the one constant the importer reports.
 */
import { describe, expect, it } from 'vitest';
import { type CenteredParameters, uncenter } from '../../importers/uncenter.js';

const [V, H] = [3, 2];
const weights = Float64Array.from([0.3, -0.7, 1.1, 0.2, -0.4, 0.9]);
const visibleBias = Float64Array.from([0.1, -0.2, 0.5]);
const hiddenBias = Float64Array.from([-0.3, 0.6]);
const visibleOffset = Float64Array.from([0.4, 0.7, 0.2]);
const hiddenOffset = Float64Array.from([0.5, 0.1]);
const sigma = Float64Array.from([0.5, 1.5, 2]);

const at = (x: Float64Array, i: number) => x[i] as number;

/** vᵀ W h with each side transformed. */
function bilinear(v: number[], h: number[], left: (i: number) => number = (i) => at(Float64Array.from(v), i)): number {
  let sum = 0;
  for (let i = 0; i < V; i++) for (let j = 0; j < H; j++) sum += left(i) * at(weights, i * H + j) * (h[j] as number);
  return sum;
}

function centeredEnergy(p: CenteredParameters, v: number[], h: number[]): number {
  const hc = h.map((x, j) => x - at(hiddenOffset, j));
  const hiddenTerm = -hc.reduce((sum, x, j) => sum + x * at(hiddenBias, j), 0);
  if (p.visible === 'bernoulli') {
    const vc = v.map((x, i) => x - at(visibleOffset, i));
    return -vc.reduce((sum, x, i) => sum + x * at(visibleBias, i), 0) + hiddenTerm - bilinear(vc, hc);
  }
  const quadratic = v.reduce(
    (sum, x, i) => sum + 0.5 * ((x - at(visibleOffset, i) - at(visibleBias, i)) / at(sigma, i)) ** 2,
    0,
  );
  return quadratic + hiddenTerm - bilinear(v, hc, (i) => ((v[i] as number) - at(visibleOffset, i)) / at(sigma, i) ** 2);
}

function reliefEnergy(p: CenteredParameters, v: number[], h: number[]): number {
  const { visibleLoc, hiddenLoc } = uncenter(p);
  const hiddenTerm = -h.reduce((sum, x, j) => sum + x * at(hiddenLoc, j), 0);
  if (p.visible === 'bernoulli') {
    return -v.reduce((sum, x, i) => sum + x * at(visibleLoc, i), 0) + hiddenTerm - bilinear(v, h);
  }
  const quadratic = v.reduce((sum, x, i) => sum + (x - at(visibleLoc, i)) ** 2 / (2 * at(sigma, i) ** 2), 0);
  return quadratic + hiddenTerm - bilinear(v, h, (i) => (v[i] as number) / at(sigma, i) ** 2);
}

describe('uncenter', () => {
  const states: [number[], number[]][] = [
    [
      [0, 0, 0],
      [0, 0],
    ],
    [
      [1, 0, 1],
      [1, 0],
    ],
    [
      [0.3, -1.2, 2.5],
      [0, 1],
    ],
    [
      [1, 1, 1],
      [1, 1],
    ],
  ];
  for (const visible of ['bernoulli', 'gaussian'] as const) {
    it(`keeps a ${visible} RBM's energy up to the reported constant`, () => {
      const parameters: CenteredParameters = {
        visible,
        weights,
        visibleBias,
        hiddenBias,
        visibleOffset,
        hiddenOffset,
        sigma,
      };
      const { energyOffset } = uncenter(parameters);
      for (const [v, h] of states) {
        expect(centeredEnergy(parameters, v, h)).toBeCloseTo(reliefEnergy(parameters, v, h) + energyOffset, 12);
      }
    });
  }
});
