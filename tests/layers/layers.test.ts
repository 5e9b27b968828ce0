/**
 * Weights' derivatives against central finite differences; the layers' modes, options and
 * descriptions by example. What every registered layer type owes (derivatives, ln Z, means,
 * draws, save and load) is checked by `conformance.test.ts`.
 */
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { parseRunConfig } from '../../config/index.js';
import { ConfigError, ShapeError } from '../../errors/index.js';
import { BernoulliLayer, GaussianLayer, layerFromConfig, makeLayer, OneHotLayer, Weights } from '../../layers/index.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, modelFromDescription } from '../../models/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, finiteDifferences, randomizeParams, scalar, values } from '../helpers/finite-differences.js';

const BATCH = 5;

describeOnBackends('layers', () => {
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
    // Run configs and model.json take their layer descriptions from the same registrations.
    const layers = [
      { type: 'bernoulli', units: 6, groupSize: 3 },
      { type: 'onehot', units: 4, groupSize: 2 },
    ];
    expect(() => parseRunConfig({ model: { layers } }, 'run.json')).toThrow(
      "run.json: model.layers[0].groupSize: unknown key for a 'bernoulli' layer, an option of 'onehot' layers",
    );
    const description = { format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, layers, connections: [] };
    expect(() => modelFromDescription(description, 'model.json')).toThrow(
      "model.json: layers[0].groupSize: unknown key for a 'bernoulli' layer, an option of 'onehot' layers",
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
