/**
 * Every registered layer type's draws against its exact conditional distribution, with a
 * fixed seed: a chi-square test over the enumerated states of discrete units, a
 * Kolmogorov–Smirnov test per unit against the quadrature of continuous units' densities, at
 * β = 1 and β < 1; the same for its random states with no field and, where the type can be
 * annealed, for the ends of its AIS path. `conformance.test.ts` holds the rest.
 */
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import type { Layer } from '../../layers/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { randomizeParams } from '../helpers/finite-differences.js';
import { kolmogorovSmirnov, ksBound } from './integration.js';
import { layerCases, type Reference, read64, referenceConditionals, UNITS, values64 } from './layer-cases.js';

const DRAWS = 20_000;
/** The standard normal's 0.999 quantile: every test here is at p = 0.001. */
const Z_999 = 3.09;

/** The p = 0.001 critical value of a chi-square with `df` degrees of freedom (Wilson–Hilferty). */
function chiSquareBound(df: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + Z_999 * Math.sqrt(a)) ** 3;
}

/**
 * Asserts that `draws` (DRAWS, numUnits), all given one field row, come from the distribution
 * `reference` gives for that row: chi-square over the states (states expected fewer than 5
 * times pooled) or, per continuous unit, Kolmogorov–Smirnov and the mean within 5 standard errors.
 */
async function expectDrawsFrom(draws: Tensor, reference: Reference, label: string): Promise<void> {
  const drawn = await values64(draws);
  if (reference.states) {
    const { values: states, count, probabilities } = reference.states;
    const index = new Map(
      Array.from({ length: count }, (_, s) => [states.subarray(s * UNITS, (s + 1) * UNITS).join(), s]),
    );
    const counts = new Float64Array(count);
    for (let d = 0; d < DRAWS; d++) {
      const s = index.get(drawn.subarray(d * UNITS, (d + 1) * UNITS).join());
      expect(s, `${label}: draw ${d} is a state`).toBeDefined();
      counts[s as number] = (counts[s as number] as number) + 1;
    }
    let [statistic, bins, pooledObserved, pooledExpected] = [0, 0, 0, 0];
    counts.forEach((observed, s) => {
      const expected = DRAWS * (probabilities[s] as number);
      if (expected < 5) {
        [pooledObserved, pooledExpected] = [pooledObserved + observed, pooledExpected + expected];
      } else {
        [statistic, bins] = [statistic + (observed - expected) ** 2 / expected, bins + 1];
      }
    });
    if (pooledExpected > 0)
      [statistic, bins] = [statistic + (pooledObserved - pooledExpected) ** 2 / pooledExpected, bins + 1];
    expect(statistic, `${label}: chi-square over ${bins} bins`).toBeLessThan(chiSquareBound(Math.max(1, bins - 1)));
    return;
  }
  (reference.units ?? []).forEach((unit, i) => {
    const column = Float64Array.from({ length: DRAWS }, (_, d) => drawn[d * UNITS + i] as number);
    expect(kolmogorovSmirnov(column, unit.cdf), `${label}: unit ${i} KS`).toBeLessThan(ksBound(DRAWS));
    const mean = column.reduce((sum, x) => sum + x, 0) / DRAWS;
    expect(Math.abs(mean - unit.mean), `${label}: unit ${i} mean`).toBeLessThan(5 * Math.sqrt(unit.variance / DRAWS));
  });
}

/** `row` (1, numUnits) repeated DRAWS times. */
function repeated(row: Tensor): Tensor {
  return be.tidy(() => be.add(be.zeros([DRAWS, UNITS]), row));
}

describeOnBackends('layer conformance: draws', () => {
  for (const { name, make } of layerCases()) {
    it(`${name}: exact conditional draws follow ln Z's distribution at β 1 and 0.6`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const row = be.randomNormal([1, UNITS]);
      const field = await read64(row);
      const tiled = repeated(row);
      for (const beta of [1, 0.6]) {
        const reference = await referenceConditionals(layer, field, beta);
        await expectDrawsFrom(layer.exactConditionalSample(tiled, beta), reference, `β ${beta}`);
      }
      be.dispose([row, tiled]);
      layer.dispose();
    });

    it(`${name}: random states follow the layer with no field`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const reference = await referenceConditionals(layer, new Float64Array(UNITS), 1);
      await expectDrawsFrom(layer.randomState(DRAWS), reference, 'random state');
      layer.dispose();
    });

    it(`${name}: the AIS path runs from its base with no field to the layer given the field, where annealable`, async () => {
      const layer: Layer = make();
      if (!layer.annealable) {
        layer.dispose();
        return;
      }
      randomizeParams(layer, 0.5);
      const base = layer.annealingBase();
      randomizeParams(base, 0.5);
      const row = be.randomNormal([1, UNITS]);
      const tiled = repeated(row);
      const atLayer = await referenceConditionals(layer, await read64(row), 1);
      await expectDrawsFrom(layer.annealedSample(base, tiled, 1), atLayer, 'β 1');
      const atBase = await referenceConditionals(base, new Float64Array(UNITS), 1);
      await expectDrawsFrom(layer.annealedSample(base, tiled, 0), atBase, 'β 0');
      be.dispose([row, tiled]);
      base.dispose();
      layer.dispose();
    });
  }
});
