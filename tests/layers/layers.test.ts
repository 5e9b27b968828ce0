/**
 * Every layer's analytic derivatives against central finite differences of its energy and
 * log partition function; discrete layers' conditionals and log partition against
 * enumeration; the Gaussian log partition against numerical integration.
 */
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { ConfigError, ShapeError } from '../../errors/index.js';
import {
  BernoulliLayer,
  ContinuousBernoulliLayer,
  GaussianLayer,
  type Layer,
  layerFromConfig,
  makeLayer,
  NReLULayer,
  OneHotLayer,
  ReLULayer,
  Weights,
} from '../../layers/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, finiteDifferences, randomizeParams, scalar, values } from '../helpers/finite-differences.js';

const BATCH = 5;
const UNITS = 4;

const makers: [string, () => Layer][] = [
  ['BernoulliLayer', () => new BernoulliLayer(UNITS)],
  ['GaussianLayer', () => new GaussianLayer(UNITS)],
  ['OneHotLayer', () => new OneHotLayer(UNITS)],
  ['OneHotLayer in groups of 2', () => new OneHotLayer(UNITS, { groupSize: 2 })],
  ['ReLULayer', () => new ReLULayer(UNITS)],
  ['NReLULayer', () => new NReLULayer(UNITS)],
  ['ContinuousBernoulliLayer', () => new ContinuousBernoulliLayer(UNITS)],
];

/** Units of the right kind for `layer`: samples from its conditional with a random field. */
function unitsFor(layer: Layer): Tensor {
  return be.tidy(() => layer.conditionalSample(be.randomNormal([BATCH, layer.numUnits])));
}

describeOnBackends('layers', () => {
  for (const [name, make] of makers) {
    it(`${name}: derivatives of the energy with its coupling match finite differences`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const units = unitsFor(layer);
      const field = be.randomNormal([BATCH, UNITS]);
      // E(θ) = mean_b [H(x_b) − r(x_b)·φ_b]: the part of the model energy that depends on the layer.
      const objective = () =>
        scalar(be.tidy(() => be.mean(be.sub(layer.energy(units), be.sum(be.mul(layer.rescale(units), field), 1)))));
      const analytic = layer.derivatives(units, field);
      for (const param of layer.paramNames) {
        const numeric = await finiteDifferences(layer, param, objective);
        expectAllClose(await values(analytic[param] as Tensor), numeric, { absolute: 2e-3, relative: 2e-3 }, param);
      }
    });

    it(`${name}: conditionalDerivatives are −∂ ln Z(φ)/∂θ and ∂ ln Z/∂φ is β·E[r(x)]`, async () => {
      const layer = make();
      randomizeParams(layer, 0.5);
      const field = be.randomNormal([BATCH, UNITS]);
      const meanLogZ = () => scalar(be.tidy(() => be.mean(layer.logPartition(field))));
      const analytic = layer.conditionalDerivatives(field);
      for (const param of layer.paramNames) {
        const numeric = (await finiteDifferences(layer, param, meanLogZ)).map((v) => -v);
        expectAllClose(await values(analytic[param] as Tensor), numeric, { absolute: 2e-3, relative: 2e-3 }, param);
      }
      for (const beta of [1, 0.6]) {
        const fieldValues = Float32Array.from(await be.read(field));
        const numeric = new Float64Array(fieldValues.length);
        for (let i = 0; i < fieldValues.length; i++) {
          const at = async (delta: number) => {
            const moved = Float32Array.from(fieldValues);
            moved[i] = (fieldValues[i] as number) + delta;
            return scalar(be.tidy(() => be.sum(layer.logPartition(be.tensor(moved, [BATCH, UNITS]), beta))));
          };
          numeric[i] = ((await at(1e-2)) - (await at(-1e-2))) / 2e-2;
        }
        const expected = await values(be.tidy(() => be.mul(layer.rescale(layer.conditionalMean(field, beta)), beta)));
        expectAllClose(expected, numeric, { absolute: 2e-3, relative: 2e-3 }, `beta ${beta}`);
      }
    });
  }

  it('Weights: derivatives of −r(lower)ᵀ W r(upper) match finite differences', async () => {
    const weights = new Weights(3, 4);
    randomizeParams(weights);
    const [lower, upper] = [be.randomNormal([BATCH, 3]), be.randomNormal([BATCH, 4])];
    const objective = () => scalar(be.tidy(() => be.mean(weights.energy(lower, upper))));
    const numeric = await finiteDifferences(weights, 'matrix', objective);
    expectAllClose(await values(weights.derivatives(lower, upper).matrix as Tensor), numeric, {}, 'matrix');
    const rowWeights = be.tensor([0.1, 0.2, 0.3, 0.4, 0]);
    const weighted = weights.derivatives(lower, upper, rowWeights).matrix as Tensor;
    const [l, u, w] = [await be.read(lower), await be.read(upper), [0.1, 0.2, 0.3, 0.4, 0]];
    const expected = Array.from({ length: 12 }, (_, k) => {
      const [i, j] = [Math.floor(k / 4), k % 4];
      return -w.reduce((acc, wb, b) => acc + wb * (l[b * 3 + i] as number) * (u[b * 4 + j] as number), 0);
    });
    expectAllClose(await values(weighted), expected, { absolute: 1e-5 }, 'weighted');
  });

  for (const [name, make] of makers.filter(([n]) => n === 'BernoulliLayer' || n.startsWith('OneHotLayer'))) {
    it(`${name}: log partition and conditional mean equal sums over enumerated states`, async () => {
      const layer = make();
      randomizeParams(layer);
      const field = be.randomNormal([BATCH, UNITS]);
      const states = layer.enumerateStates();
      const beta = 0.8;
      // −β(H(s) − s·φ) for every sample (rows) and state (columns).
      const logWeights = be.tidy(() => {
        const energies = be.reshape(layer.energy(states), [1, be.shape(states)[0] as number]);
        return be.mul(be.sub(be.matmul(field, layer.rescale(states), { transposeB: true }), energies), beta);
      });
      expectAllClose(await values(layer.logPartition(field, beta)), await values(be.logsumexp(logWeights, 1)), {
        absolute: 1e-5,
        relative: 1e-5,
      });
      const expectedMean = be.matmul(be.softmax(logWeights, 1), states);
      expectAllClose(await values(layer.conditionalMean(field, beta)), await values(expectedMean), { absolute: 1e-5 });
    });
  }

  it('GaussianLayer: log partition equals numerical integration', async () => {
    const layer = new GaussianLayer(1);
    layer.setParam('loc', be.tensor([0.7]));
    layer.setParam('logVar', be.tensor([Math.log(0.5)]));
    for (const [phi, beta] of [
      [0.3, 1],
      [-1.2, 1],
      [0.8, 0.5],
    ] as const) {
      // Trapezoid rule of exp(−β((x − m)²/(2σ²) − xφ/σ²)) on a fine grid.
      let integral = 0;
      const step = 1e-3;
      for (let x = -15; x <= 15; x += step) integral += Math.exp(-beta * ((x - 0.7) ** 2 / 1 - (x * phi) / 0.5)) * step;
      const logZ = await scalar(layer.logPartition(be.tensor([phi], [1, 1]), beta));
      expect(logZ).toBeCloseTo(Math.log(integral), 4);
    }
  });

  it('GaussianLayer: conditional samples have mean m + φ and variance σ²/β', async () => {
    const layer = new GaussianLayer(2);
    layer.setParam('loc', be.tensor([1, -1]));
    layer.setParam('logVar', be.tensor([Math.log(2), Math.log(0.5)]));
    const n = 20000;
    const field = be.add(be.zeros([n, 2]), be.tensor([0.5, 0.25]));
    const samples = layer.conditionalSample(field, 2);
    const mean = await values(be.mean(samples, 0));
    const variance = await values(be.variance(samples, 0));
    expectAllClose(mean, [1.5, -0.75], { absolute: 5 * Math.sqrt(1 / n) });
    expectAllClose(variance, [1, 0.25], { absolute: 0, relative: 5 * Math.sqrt(2 / n) });
  });

  it('BernoulliLayer and OneHotLayer: modes are the most probable states', async () => {
    const field = be.tensor([2, -1, 0.5, 3, -2, 1], [2, 3]);
    expect(Array.from(await be.read(new BernoulliLayer(3).conditionalMode(field)))).toEqual([1, 0, 1, 1, 0, 1]);
    expect(Array.from(await be.read(new OneHotLayer(3).conditionalMode(field)))).toEqual([1, 0, 0, 1, 0, 0]);
  });

  it('softmax groups: a OneHot layer of groups is described, made and copied with its groupSize', () => {
    const grouped = layerFromConfig({ type: 'onehot', units: 6, groupSize: 3 }, 'layers[0]');
    expect(grouped).toBeInstanceOf(OneHotLayer);
    expect([(grouped as OneHotLayer).groupSize, (grouped as OneHotLayer).numGroups]).toEqual([3, 2]);
    expect(grouped.describe()).toBe('OneHotLayer(6 in groups of 3)');
    expect(grouped.toConfig()).toMatchObject({ type: 'onehot', units: 6, groupSize: 3 });
    expect((grouped.sameKind() as OneHotLayer).groupSize).toBe(3);
    expect(new OneHotLayer(6).toConfig()).not.toHaveProperty('groupSize');
    expect(() => layerFromConfig({ type: 'onehot', units: 6, groupSize: 4 }, 'layers[0]')).toThrow(
      'OneHotLayer(6): groupSize: expected a divisor of 6, got 4',
    );
    expect(() => layerFromConfig({ type: 'bernoulli', units: 6, groupSize: 3 }, 'layers[1]')).toThrow(
      "layers[1].groupSize: unknown key for a 'bernoulli' layer, an option of 'onehot' layers (allowed: type, units, fixedParams, penalties, constraints)",
    );
    expect(() => layerFromConfig({ type: 'onehot', units: 6, groupsize: 3 }, 'layers[2]')).toThrow(
      "layers[2].groupsize: unknown key for a 'onehot' layer; did you mean 'groupSize'?",
    );
    expect(() => makeLayer('gaussian', 6, { groupSize: 3 })).toThrow(
      "makeLayer.groupSize: unknown key for a 'gaussian' layer, an option of 'onehot' layers (it takes no options)",
    );
  });

  it('fixed parameters, penalties and configs are checked by name', () => {
    const layer = new GaussianLayer(3);
    layer.setFixedParams(['logVar']);
    expect(layer.trainableParams).toEqual(['loc']);
    expect(() => layer.setFixedParams(['scale'])).toThrow(/no parameter 'scale' \(it has loc, logVar\)/);
    expect(() => layer.setParam('loc', be.zeros([4]))).toThrow(ShapeError);
    expect(() => layerFromConfig({ type: 'tanh', units: 3 }, 'layers[0]')).toThrow(ConfigError);
    expect(() => layerFromConfig({ type: 'tanh', units: 3 }, 'layers[0]')).toThrow(
      `layers[0].type: expected one of 'bernoulli', 'continuous-bernoulli', 'gaussian', 'onehot', 'relu', 'nrelu', got "tanh"`,
    );
    expect(() => layerFromConfig({ type: 'bernoulli', units: 0 }, 'layers[1]')).toThrow(
      /layers\[1\]\.units: expected a number ≥ 1, got 0/,
    );
    const restored = layerFromConfig(
      {
        type: 'gaussian',
        units: 3,
        fixedParams: ['logVar'],
        penalties: { loc: { type: 'l2', coefficient: 0.1 } },
        constraints: { loc: 'nonNegative' },
      },
      'x',
    );
    expect(restored.toConfig()).toEqual({
      type: 'gaussian',
      units: 3,
      fixedParams: ['logVar'],
      penalties: { loc: { type: 'l2', coefficient: 0.1 } },
      constraints: { loc: 'nonNegative' },
    });
    expect(() => layerFromConfig({ type: 'gaussian', units: 3, constraints: { scale: 'diagonal' } }, 'y')).toThrow(
      /y.constraints: no parameter 'scale'/,
    );
    expect(() => layerFromConfig({ type: 'gaussian', units: 3, constraints: { loc: 'diagonal' } }, 'z')).toThrow(
      "GaussianLayer(3).loc: constraint 'diagonal': expected a square matrix, got shape [3]",
    );
  });
});
