/**
 * Gibbs sampling against exact distributions: long block-Gibbs chains on tiny models reproduce the
 * exact joint distribution, and clamped chains the exact conditional, within a total
 * variation bound derived from the number of samples.
 */
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { BernoulliLayer, type Layer, OneHotLayer, ReLULayer } from '../../layers/index.js';
import { BoltzmannMachine, exactFreeEnergy, exactLogPartition, type State } from '../../namespaces/models.js';
import { describeOnBackends } from '../helpers/backends.js';
import { exactDistribution, rowKeys, totalVariation, totalVariationBound } from '../helpers/distributions.js';
import { randomizeParams } from '../helpers/finite-differences.js';

const CHAINS = 2000;
const BURN_IN = 50;
const SWEEPS = 50;
const THINNING = 3;

/**
 * Runs CHAINS chains, collecting every THINNING-th sweep after BURN_IN, as an empirical
 * distribution over the joint states of the layers `keyed` (all by default).
 */
async function sampleChains(
  model: BoltzmannMachine,
  start: State,
  clamped: number[] = [],
  keyed: (units: readonly Tensor[]) => readonly Tensor[] = (units) => units,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let state = model.markovChain(BURN_IN, start, { clamped });
  for (let s = 0; s < SWEEPS; s++) {
    const next = model.markovChain(THINNING, state, { clamped });
    if (state !== start) be.dispose(state.units.filter((u) => !next.units.includes(u) && !start.units.includes(u)));
    state = next;
    for (const key of await rowKeys(keyed(state.units), CHAINS)) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = CHAINS * SWEEPS;
  return new Map([...counts].map(([k, c]) => [k, c / total]));
}

function makeModel(layers: Layer[]): BoltzmannMachine {
  const model = new BoltzmannMachine(layers);
  for (const layer of model.layers) randomizeParams(layer, 0.8);
  for (const { weights } of model.connections) randomizeParams(weights, 1.0);
  return model;
}

describeOnBackends('Gibbs sampling', () => {
  const cases: [string, () => BoltzmannMachine, number][] = [
    ['a Bernoulli RBM (4×3)', () => makeModel([new BernoulliLayer(4), new BernoulliLayer(3)]), 2 ** 7],
    ['a Bernoulli–OneHot RBM (4×3)', () => makeModel([new BernoulliLayer(4), new OneHotLayer(3)]), 2 ** 4 * 3],
    [
      'an RBM of two softmax groups of 3 over Bernoulli units (6×3)',
      () => makeModel([new OneHotLayer(6, { groupSize: 3 }), new BernoulliLayer(3)]),
      3 ** 2 * 2 ** 3,
    ],
    [
      'a 3-layer Bernoulli DBM (3×3×2)',
      () => makeModel([new BernoulliLayer(3), new BernoulliLayer(3), new BernoulliLayer(2)]),
      2 ** 8,
    ],
  ];
  for (const [name, make, numStates] of cases) {
    it(`long chains on ${name} reproduce the exact joint distribution`, async () => {
      const model = make();
      const exact = await exactDistribution(model);
      const empirical = await sampleChains(model, model.randomState(CHAINS));
      const bound = totalVariationBound(numStates, CHAINS * SWEEPS);
      expect(totalVariation(empirical, exact)).toBeLessThan(bound);
      // The check has power: the exact distribution is far from uniform.
      const uniform = new Map([...exact.keys()].map((k) => [k, 1 / numStates]));
      expect(totalVariation(uniform, exact)).toBeGreaterThan(3 * bound);
    });
  }

  it('long chains on a Bernoulli–ReLU RBM (5×3, truncated Gaussian hidden units) reproduce the exact p(v)', async () => {
    const model = makeModel([new BernoulliLayer(5), new ReLULayer(3)]);
    const visibleStates = model.layer(0).enumerateStates();
    const logZ = exactLogPartition(model);
    const logP = await be.read(be.tidy(() => be.neg(be.add(exactFreeEnergy(model, visibleStates), logZ))));
    const keys = await rowKeys([visibleStates], 2 ** 5);
    const exact = new Map(keys.map((k, i) => [k, Math.exp(logP[i] as number)]));
    const empirical = await sampleChains(model, model.randomState(CHAINS), [], (units) => [units[0] as Tensor]);
    const bound = totalVariationBound(2 ** 5, CHAINS * SWEEPS);
    expect(totalVariation(empirical, exact)).toBeLessThan(bound);
    const uniform = new Map(keys.map((k) => [k, 1 / 2 ** 5]));
    expect(totalVariation(uniform, exact)).toBeGreaterThan(3 * bound);
    be.dispose([visibleStates, logZ]);
  });

  it('chains with the visible layer clamped sample the exact p(h | v)', async () => {
    const model = makeModel([new BernoulliLayer(4), new BernoulliLayer(3)]);
    const visible = be.tensor(Array.from({ length: CHAINS }, () => [1, 0, 1, 1]).flat(), [CHAINS, 4]);
    const empirical = await sampleChains(model, model.stateFromVisible(visible), [0]);
    const joint = await exactDistribution(model);
    const conditional = new Map([...joint].filter(([k]) => k.startsWith('1011|')));
    const total = [...conditional.values()].reduce((a, p) => a + p, 0);
    const expected = new Map([...conditional].map(([k, p]) => [k, p / total]));
    expect(totalVariation(empirical, expected)).toBeLessThan(totalVariationBound(8, CHAINS * SWEEPS));
    expect([...empirical.keys()].every((k) => k.startsWith('1011|'))).toBe(true);
  });

  it('mean-field and deterministic iterations reach their fixed points', async () => {
    const model = makeModel([new BernoulliLayer(4), new BernoulliLayer(3), new BernoulliLayer(2)]);
    const visible = be.tensor([1, 0, 1, 1, 0, 0, 1, 0], [2, 4]);
    const start = model.stateFromVisible(visible);
    const fixed = model.meanFieldIteration(100, start, { clamped: [0] });
    const again = model.meanFieldIteration(1, fixed, { clamped: [0] });
    for (const i of [1, 2]) {
      const [a, b] = [await be.read(fixed.getLayer(i)), await be.read(again.getLayer(i))];
      for (const [k, v] of a.entries()) expect(Math.abs(v - (b[k] as number))).toBeLessThan(1e-5);
    }
    expect(Array.from(await be.read(fixed.getVisible()))).toEqual([1, 0, 1, 1, 0, 0, 1, 0]);
    const modes = model.deterministicIteration(5, start, { clamped: [0] });
    const hidden = await be.read(modes.getLayer(1));
    expect(hidden.every((v) => v === 0 || v === 1)).toBe(true);
  });
});
