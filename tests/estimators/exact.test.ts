/**
 * Exact maths on tiny models, whose states can be enumerated: log Z, free energies, conditionals and the
 * exact log-likelihood gradient, each against an independent float64 brute force written
 * here (or numerical integration for Gaussian units) and against finite differences.
 */
import { expect, it, vi } from 'vitest';
import { be, current, type Tensor } from '../../backends/index.js';
import { BernoulliLayer, GaussianLayer, type Layer, OneHotLayer } from '../../layers/index.js';
import {
  BoltzmannMachine,
  exactFreeEnergy,
  exactGradient,
  exactJointDistribution,
  exactLogLikelihood,
  exactLogPartition,
  State,
} from '../../namespaces/models.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, finiteDifferences, randomizeParams, scalar, values } from '../helpers/finite-differences.js';

/** Host copies of a model's parameters for the brute force. */
interface HostModel {
  readonly types: string[];
  readonly sizes: number[];
  readonly loc: Float64Array[];
  readonly logVar: (Float64Array | undefined)[];
  readonly weights: Float64Array[];
}

async function hostModel(model: BoltzmannMachine): Promise<HostModel> {
  const read = async (t: Tensor) => Float64Array.from(await be.read(t));
  return {
    types: model.layers.map((l) => l.type),
    sizes: model.layers.map((l) => l.numUnits),
    loc: await Promise.all(model.layers.map((l) => read(l.param('loc')))),
    logVar: await Promise.all(model.layers.map((l) => (l.type === 'gaussian' ? read(l.param('logVar')) : undefined))),
    weights: await Promise.all(model.connections.map((c) => read(c.weights.parameter))),
  };
}

/** E(x) in float64, straight from the definition. */
function hostEnergy(m: HostModel, units: number[][]): number {
  let energy = 0;
  const rescaled = units.map((x, i) =>
    x.map((v, j) => (m.types[i] === 'gaussian' ? v / Math.exp(m.logVar[i]?.[j] ?? 0) : v)),
  );
  units.forEach((x, i) => {
    x.forEach((v, j) => {
      const loc = m.loc[i]?.[j] ?? 0;
      energy += m.types[i] === 'gaussian' ? (v - loc) ** 2 / (2 * Math.exp(m.logVar[i]?.[j] ?? 0)) : -loc * v;
    });
  });
  m.weights.forEach((w, c) => {
    const [lower, upper] = [rescaled[c] as number[], rescaled[c + 1] as number[]];
    const numUpper = upper.length;
    lower.forEach((l, i) => {
      upper.forEach((u, j) => {
        energy -= l * (w[i * numUpper + j] as number) * u;
      });
    });
  });
  return energy;
}

/** Every state of a discrete layer of `type` with `n` units. */
function layerStates(type: string, n: number): number[][] {
  if (type === 'onehot')
    return Array.from({ length: n }, (_, k) => Array.from({ length: n }, (_, j) => Number(j === k)));
  return Array.from({ length: 2 ** n }, (_, s) => Array.from({ length: n }, (_, j) => (s >> (n - 1 - j)) & 1));
}

/** Every joint state of the layers from `first` on. */
function jointStates(m: HostModel, first = 0): number[][][] {
  return m.types
    .slice(first)
    .reduce<number[][][]>(
      (partial, type, k) =>
        partial.flatMap((prefix) => layerStates(type, m.sizes[first + k] as number).map((s) => [...prefix, s])),
      [[]],
    );
}

function logSumExp(xs: number[]): number {
  const peak = Math.max(...xs);
  return peak + Math.log(xs.reduce((a, x) => a + Math.exp(x - peak), 0));
}

function bruteLogZ(m: HostModel): number {
  return logSumExp(jointStates(m).map((x) => -hostEnergy(m, x)));
}

function bruteFreeEnergy(m: HostModel, v: number[]): number {
  return -logSumExp(jointStates(m, 1).map((h) => -hostEnergy(m, [v, ...h])));
}

async function rows(t: Tensor, width: number): Promise<number[][]> {
  const data = Array.from(await be.read(t));
  return Array.from({ length: data.length / width }, (_, r) => data.slice(r * width, (r + 1) * width));
}

function makeModel(layers: Layer[], scale = 0.6): BoltzmannMachine {
  const model = new BoltzmannMachine(layers);
  for (const layer of model.layers) randomizeParams(layer, scale);
  for (const { weights } of model.connections) randomizeParams(weights, scale);
  return model;
}

const DISCRETE_MODELS: [string, () => BoltzmannMachine][] = [
  ['Bernoulli–Bernoulli RBM', () => makeModel([new BernoulliLayer(5), new BernoulliLayer(3)])],
  ['Bernoulli–OneHot RBM', () => makeModel([new BernoulliLayer(4), new OneHotLayer(3)])],
  ['3-layer Bernoulli DBM', () => makeModel([new BernoulliLayer(4), new BernoulliLayer(3), new BernoulliLayer(2)])],
];

function gaussianBernoulli(): BoltzmannMachine {
  const model = makeModel([new GaussianLayer(2), new BernoulliLayer(3)], 0.4);
  model.layer(0).setParam('logVar', be.tensor([Math.log(0.6), Math.log(1.3)]));
  return model;
}

function binaryData(rowsCount: number, width: number): Tensor {
  return be.bernoulli(be.fill([rowsCount, width], 0.5));
}

/** The exact gradient of the mean log-likelihood against central differences, for every parameter. */
async function expectExactGradientMatchesFiniteDifferences(model: BoltzmannMachine, data: Tensor, absolute: number) {
  const meanLogLikelihood = () => scalar(be.tidy(() => be.mean(exactLogLikelihood(model, data))));
  const gradient = exactGradient(model, data);
  const owners = [
    ...model.layers.map((layer, i) => ({ owner: layer, label: `layers.${i}`, analytic: gradient.layers[i] })),
    ...model.connections.map(({ weights }, i) => ({
      owner: weights,
      label: `connections.${i}`,
      analytic: gradient.weights[i],
    })),
  ];
  for (const { owner, label, analytic } of owners) {
    for (const param of owner.paramNames) {
      const numeric = (await finiteDifferences(owner, param, meanLogLikelihood)).map((v) => -v);
      expectAllClose(
        await values(analytic?.[param] as Tensor),
        numeric,
        { absolute, relative: 5e-3 },
        `${label}.${param}`,
      );
    }
  }
}

describeOnBackends('exact enumeration', () => {
  for (const [name, make] of DISCRETE_MODELS) {
    it(`${name}: log Z and free energies match a float64 brute force`, async () => {
      const model = make();
      const host = await hostModel(model);
      expect(await scalar(exactLogPartition(model))).toBeCloseTo(bruteLogZ(host), 4);
      const data = binaryData(6, model.layer(0).numUnits);
      const expected = (await rows(data, model.layer(0).numUnits)).map((v) => bruteFreeEnergy(host, v));
      expectAllClose(await values(exactFreeEnergy(model, data)), expected, { absolute: 1e-4, relative: 1e-5 });
      const logLikelihood = expected.map((f) => -f - bruteLogZ(host));
      expectAllClose(await values(exactLogLikelihood(model, data)), logLikelihood, { absolute: 1e-4, relative: 1e-5 });
    });

    it(`${name}: log Z and free energies summed in blocks, as a backend with small tensors needs, match too`, async () => {
      const model = make();
      const host = await hostModel(model);
      const data = binaryData(6, model.layer(0).numUnits);
      const expected = (await rows(data, model.layer(0).numUnits)).map((v) => bruteFreeEnergy(host, v));
      const backend = current();
      // A tensor of at most 3 rows of the widest layer: every enumeration is summed 1 configuration at a time or so.
      const widest = Math.max(...model.layers.map((layer) => layer.numUnits));
      const limits = vi
        .spyOn(backend, 'memoryLimits')
        .mockReturnValue({ maxTensorBytes: 2 * 3 * widest * backend.bytesPerElement, totalBytes: 2 ** 30 });
      try {
        expect(await scalar(exactLogPartition(model))).toBeCloseTo(bruteLogZ(host), 4);
        expectAllClose(await values(exactFreeEnergy(model, data)), expected, { absolute: 1e-4, relative: 1e-5 });
      } finally {
        limits.mockRestore();
      }
    });

    it(`${name}: the joint distribution sums to 1 and matches the brute force`, async () => {
      const model = make();
      const host = await hostModel(model);
      const { units, logProbability } = exactJointDistribution(model);
      const states = await Promise.all(units.map((u, i) => rows(u, model.layer(i).numUnits)));
      const logZ = bruteLogZ(host);
      const expected = (states[0] as number[][]).map(
        (_, r) =>
          -hostEnergy(
            host,
            states.map((s) => s[r] as number[]),
          ) - logZ,
      );
      const logP = await values(logProbability);
      expectAllClose(logP, expected, { absolute: 1e-4, relative: 1e-5 });
      expect(logP.reduce((a, l) => a + Math.exp(l), 0)).toBeCloseTo(1, 5);
    });

    it(`${name}: the exact log-likelihood gradient matches finite differences of the exact log-likelihood`, async () => {
      const model = make();
      const data = binaryData(7, model.layer(0).numUnits);
      await expectExactGradientMatchesFiniteDifferences(model, data, 2e-3);
    });
  }

  it('Bernoulli–Bernoulli RBM: marginalFreeEnergy is exact and p(h|v) is the ratio of joint probabilities', async () => {
    const model = DISCRETE_MODELS[0]?.[1]() as BoltzmannMachine;
    const host = await hostModel(model);
    const data = binaryData(4, 5);
    const visible = await rows(data, 5);
    expectAllClose(
      await values(model.marginalFreeEnergy(data)),
      visible.map((v) => bruteFreeEnergy(host, v)),
      { absolute: 1e-4 },
    );
    const state = model.stateFromVisible(data);
    const conditional = await rows(model.layer(1).conditionalMean(model.fieldOn(1, state.units)), 3);
    visible.forEach((v, b) => {
      const hidden = layerStates('bernoulli', 3);
      const weights = hidden.map((h) => Math.exp(-hostEnergy(host, [v, h])));
      const total = weights.reduce((a, w) => a + w, 0);
      const expected = [0, 1, 2].map(
        (j) => hidden.reduce((a, h, k) => a + (h[j] as number) * (weights[k] as number), 0) / total,
      );
      expectAllClose(conditional[b] as number[], expected, { absolute: 1e-5 });
    });
  });

  it('3-layer DBM: p(h1 | v, h2) is the ratio of joint probabilities; the mean-field free energy bounds F(v)', async () => {
    const model = DISCRETE_MODELS[2]?.[1]() as BoltzmannMachine;
    const host = await hostModel(model);
    const v = [1, 0, 1, 1];
    const h2 = [0, 1];
    const units = [be.tensor(v, [1, 4]), be.zeros([1, 3]), be.tensor(h2, [1, 2])];
    const conditional = await values(model.layer(1).conditionalMean(model.fieldOn(1, units)));
    const hidden = layerStates('bernoulli', 3);
    const weights = hidden.map((h) => Math.exp(-hostEnergy(host, [v, h, h2])));
    const total = weights.reduce((a, w) => a + w, 0);
    const expected = [0, 1, 2].map(
      (j) => hidden.reduce((a, h, k) => a + (h[j] as number) * (weights[k] as number), 0) / total,
    );
    expectAllClose(conditional, expected, { absolute: 1e-5 });

    const data = binaryData(6, 4);
    const exact = await values(exactFreeEnergy(model, data));
    const bound = await values(model.marginalFreeEnergy(data));
    for (const [i, b] of bound.entries()) expect(b).toBeGreaterThanOrEqual((exact[i] as number) - 1e-4);
    // With the top weights at zero the posterior factorizes and the bound is tight.
    model.connections[1]?.weights.setParam('matrix', be.zeros([3, 2]));
    expectAllClose(await values(model.marginalFreeEnergy(data)), await values(exactFreeEnergy(model, data)), {
      absolute: 1e-4,
    });
  });

  it('Gaussian–Bernoulli RBM: log Z matches numerical integration, F(v) the brute force, the gradient finite differences', async () => {
    const model = gaussianBernoulli();
    const host = await hostModel(model);
    // Riemann sum over a 2-D grid wide enough for both variances, per hidden state.
    const step = 0.04;
    let integral = 0;
    for (const h of layerStates('bernoulli', 3)) {
      for (let x = -12; x <= 12; x += step) {
        for (let y = -12; y <= 12; y += step) integral += Math.exp(-hostEnergy(host, [[x, y], h])) * step * step;
      }
    }
    expect(await scalar(exactLogPartition(model))).toBeCloseTo(Math.log(integral), 3);
    const data = be.randomNormal([5, 2]);
    const visible = await rows(data, 2);
    const expected = visible.map((v) => bruteFreeEnergy(host, v));
    expectAllClose(await values(exactFreeEnergy(model, data)), expected, { absolute: 1e-4, relative: 1e-5 });
    expectAllClose(await values(model.marginalFreeEnergy(data)), expected, { absolute: 1e-4, relative: 1e-5 });

    await expectExactGradientMatchesFiniteDifferences(model, data, 3e-3);
  });

  it('the model gradient is data minus model derivatives plus exactly the penalty gradient; fixed parameters are left out', async () => {
    const model = DISCRETE_MODELS[0]?.[1]() as BoltzmannMachine;
    const data = binaryData(8, 5);
    const dataState = model.stateFromVisible(data);
    const modelState = model.randomState(8);
    const plain = model.gradient(dataState, modelState);
    const { l1, l2 } = await import('../../penalties/index.js');
    model.connections[0]?.weights.addPenalty({ matrix: l1(0.3) });
    model.layer(1).addPenalty({ loc: l2(0.2) });
    model.layer(0).setFixedParams(['loc']);
    const penalized = model.gradient(dataState, modelState);
    expect(Object.keys(penalized.layers[0] ?? {})).toEqual([]);
    const W = await values(be.sign(model.connections[0]?.weights.parameter as Tensor));
    const diffW = await values(be.sub(penalized.weights[0]?.matrix as Tensor, plain.weights[0]?.matrix as Tensor));
    expectAllClose(
      diffW,
      Array.from(W, (s) => 0.3 * s),
      { absolute: 1e-6 },
    );
    const loc = await values(model.layer(1).param('loc'));
    const diffLoc = await values(be.sub(penalized.layers[1]?.loc as Tensor, plain.layers[1]?.loc as Tensor));
    expectAllClose(
      diffLoc,
      Array.from(loc, (x) => 0.2 * x),
      { absolute: 1e-6 },
    );
    expect(new State([data, be.zeros([8, 3])]).batchSize).toBe(8);
  });
});
