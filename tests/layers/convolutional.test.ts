/**
 * Convolutional RBMs (Learnergy's ConvRBM, GaussianConvRBM, ConvDBN): the convolutional
 * coupling is the dense coupling of its unrolled matrix, built here from the definition; the
 * exact distribution, Gibbs chains, AIS, training steps and saving all follow.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { inMemoryBatch } from '../../batch/index.js';
import { tiedChannels } from '../../constraints/index.js';
import { ConfigError, ShapeError, UnsupportedError } from '../../errors/index.js';
import { cd, dropConnect, SGD, TAP } from '../../fit/index.js';
import { BernoulliLayer, ConvolutionalWeights, type ConvolutionGeometry, Weights } from '../../layers/index.js';
import {
  annealedImportanceSampling,
  BoltzmannMachine,
  convolutionalRBM,
  exactLogPartition,
  initializeModel,
  loadModel,
  modelFromDescription,
  saveModel,
  tapGibbsFreeEnergy,
  tapGradient,
  tapMagnetizations,
} from '../../namespaces/models.js';
import { ADAM, GradientDescent } from '../../optimizers/index.js';
import { Constant } from '../../schedules/index.js';
import {
  DeepBeliefNetwork,
  FeedForwardNetwork,
  loadDeepBeliefNetwork,
  saveDeepBeliefNetwork,
} from '../../supervised/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { exactDistribution, rowKeys, totalVariation, totalVariationBound } from '../helpers/distributions.js';
import { expectAllClose, finiteDifferences, randomizeParams, scalar, values } from '../helpers/finite-differences.js';
import { disposeGradient, meanFieldGradient } from '../helpers/mean-field-gradients.js';

/** Every (filter tap, image pixel, map unit) of a geometry, from the definition of cross-correlation. */
function taps(weights: ConvolutionalWeights): { tap: number; pixel: number; unit: number }[] {
  const d = weights.dims;
  const out: { tap: number; pixel: number; unit: number }[] = [];
  for (let f = 0; f < d.numFilters; f++) {
    for (let y = 0; y < d.outHeight; y++) {
      for (let x = 0; x < d.outWidth; x++) {
        for (let c = 0; c < d.channels; c++) {
          for (let i = 0; i < d.kernelHeight; i++) {
            for (let j = 0; j < d.kernelWidth; j++) {
              const [row, column] = [y * d.stride + i - d.padding, x * d.stride + j - d.padding];
              if (row < 0 || row >= d.height || column < 0 || column >= d.width) continue;
              out.push({
                tap: ((f * d.channels + c) * d.kernelHeight + i) * d.kernelWidth + j,
                pixel: (c * d.height + row) * d.width + column,
                unit: (f * d.outHeight + y) * d.outWidth + x,
              });
            }
          }
        }
      }
    }
  }
  return out;
}

/** The dense matrix (numLower, numUpper) with the same energy as the filters. */
async function unrolledMatrix(weights: ConvolutionalWeights): Promise<Tensor> {
  const filters = await be.read(weights.filters);
  const matrix = new Float32Array(weights.numLower * weights.numUpper);
  for (const { tap, pixel, unit } of taps(weights)) {
    const at = pixel * weights.numUpper + unit;
    matrix[at] = (matrix[at] as number) + (filters[tap] as number);
  }
  return be.tensor(matrix, [weights.numLower, weights.numUpper]);
}

/** A dense derivative (numLower, numUpper) folded onto the filters: each tap sums its entries. */
function folded(dense: Float64Array, weights: ConvolutionalWeights): Float64Array {
  const out = new Float64Array(
    weights.dims.numFilters * weights.dims.channels * weights.dims.kernelHeight * weights.dims.kernelWidth,
  );
  for (const { tap, pixel, unit } of taps(weights))
    out[tap] = (out[tap] as number) + (dense[pixel * weights.numUpper + unit] as number);
  return out;
}

/** The dense twin of a two-layer model with convolutional weights: same layers' parameters, the unrolled matrix. */
async function denseTwin(model: BoltzmannMachine): Promise<BoltzmannMachine> {
  const conv = model.connections[0]?.weights as ConvolutionalWeights;
  const weights = new Weights(conv.numLower, conv.numUpper, 'zeros');
  weights.setParam('matrix', await unrolledMatrix(conv));
  const layers = model.layers.map((layer) => {
    const twin = new BernoulliLayer(layer.numUnits);
    twin.setParam('loc', be.clone(layer.param('loc')));
    return twin;
  });
  return new BoltzmannMachine(layers, { weights: [weights] });
}

function randomConvRBM(geometry: ConvolutionGeometry, scale = 0.8): BoltzmannMachine {
  const model = convolutionalRBM({ ...geometry, tiedBiases: false });
  for (const layer of model.layers) randomizeParams(layer, scale);
  randomizeParams(model.connections[0]?.weights as ConvolutionalWeights, scale);
  return model;
}

const RAGGED: ConvolutionGeometry = { image: [2, 5, 4], filters: 3, kernel: [3, 2], stride: 2, padding: 1 };

describeOnBackends('convolutional weights', () => {
  it('fields, energies and derivatives are those of the unrolled dense matrix (2 channels, 3×2 kernel, stride 2, padding 1)', async () => {
    const conv = new ConvolutionalWeights(RAGGED);
    randomizeParams(conv, 1);
    expect([conv.numLower, conv.numUpper]).toEqual([40, 3 * 3 * 3]);
    const dense = new Weights(conv.numLower, conv.numUpper, 'zeros');
    dense.setParam('matrix', await unrolledMatrix(conv));
    const lower = be.randomUniform([5, conv.numLower]);
    const upper = be.randomUniform([5, conv.numUpper]);
    const tolerance = { absolute: 1e-4, relative: 1e-4 };
    expectAllClose(await values(conv.fieldUp(lower)), await values(dense.fieldUp(lower)), tolerance, 'fieldUp');
    expectAllClose(await values(conv.fieldDown(upper)), await values(dense.fieldDown(upper)), tolerance, 'fieldDown');
    expectAllClose(
      await values(conv.energy(lower, upper)),
      await values(dense.energy(lower, upper)),
      tolerance,
      'energy',
    );
    const denseDerivative = await values(dense.derivatives(lower, upper).matrix as Tensor);
    expectAllClose(
      await values(conv.derivatives(lower, upper).filters as Tensor),
      folded(denseDerivative, conv),
      tolerance,
    );
    const rowWeights = be.tensor([0.5, -0.25, 0.25, 0.25, 0.25], [5]);
    expectAllClose(
      await values(conv.derivatives(lower, upper, rowWeights).filters as Tensor),
      folded(await values(dense.derivatives(lower, upper, rowWeights).matrix as Tensor), conv),
      tolerance,
    );
    const [modelLower, modelUpper] = [be.randomUniform([3, conv.numLower]), be.randomUniform([3, conv.numUpper])];
    expectAllClose(
      await values(conv.derivativeDifference(lower, upper, modelLower, modelUpper)),
      folded(await values(dense.derivativeDifference(lower, upper, modelLower, modelUpper)), conv),
      tolerance,
    );
    be.dispose([lower, upper, rowWeights, modelLower, modelUpper]);
    conv.dispose();
    dense.dispose();
  });

  it('finite differences of the mean energy give the filter derivatives', async () => {
    const conv = new ConvolutionalWeights({ image: [1, 4, 4], filters: 2, kernel: 3, padding: 1 });
    randomizeParams(conv, 1);
    const lower = be.randomUniform([4, conv.numLower]);
    const upper = be.bernoulli(be.fill([4, conv.numUpper], 0.5));
    const meanEnergy = () => scalar(be.mean(conv.energy(lower, upper)));
    expectAllClose(
      await values(conv.derivatives(lower, upper).filters as Tensor),
      await finiteDifferences(conv, 'filters', meanEnergy),
      { absolute: 2e-3, relative: 2e-3 },
    );
    be.dispose([lower, upper]);
    conv.dispose();
  });

  it('a convolutional RBM has the exact distribution of its dense twin, and long Gibbs chains reproduce it', async () => {
    const model = randomConvRBM({ image: [1, 2, 3], filters: 1, kernel: 2 });
    const twin = await denseTwin(model);
    const exact = await exactDistribution(model);
    const twinExact = await exactDistribution(twin);
    expect(totalVariation(exact, twinExact)).toBeLessThan(1e-5);
    const [chains, sweeps] = [2000, 40];
    const counts = new Map<string, number>();
    let state = model.markovChain(50, model.randomState(chains));
    for (let s = 0; s < sweeps; s++) {
      const next = model.markovChain(3, state);
      state.dispose();
      state = next;
      for (const key of await rowKeys(state.units, chains)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    state.dispose();
    const empirical = new Map([...counts].map(([k, c]) => [k, c / (chains * sweeps)]));
    const bound = totalVariationBound(2 ** 8, chains * sweeps);
    expect(totalVariation(empirical, exact)).toBeLessThan(bound);
    const uniform = new Map([...exact.keys()].map((k) => [k, 1 / 2 ** 8]));
    expect(totalVariation(uniform, exact)).toBeGreaterThan(3 * bound);
    model.dispose();
    twin.dispose();
  });

  it('AIS estimates ln Z of a convolutional RBM within its error of the exact value', async () => {
    const model = randomConvRBM({ image: [1, 4, 4], filters: 2, kernel: 3 }, 0.5);
    const exact = await scalar(exactLogPartition(model));
    const estimate = await annealedImportanceSampling(model, { chains: 100, steps: 500 });
    expect(Math.abs(estimate.logZ - exact)).toBeLessThan(3 * estimate.logZError + 0.05);
    model.dispose();
  });

  it('the CD gradient is the dense twin’s folded onto the filters (same seed, same draws)', async () => {
    const model = randomConvRBM({ image: [1, 4, 3], filters: 2, kernel: 2, stride: 1 }, 0.5);
    const twin = await denseTwin(model);
    const visible = be.bernoulli(be.fill([6, 12], 0.4));
    be.setSeed(7);
    const gradient = meanFieldGradient(model, visible, cd());
    be.setSeed(7);
    const twinGradient = meanFieldGradient(twin, visible, cd());
    const conv = model.connections[0]?.weights as ConvolutionalWeights;
    expectAllClose(
      await values(gradient.weights[0]?.filters as Tensor),
      folded(await values(twinGradient.weights[0]?.matrix as Tensor), conv),
      { absolute: 1e-4, relative: 1e-4 },
    );
    for (const i of [0, 1]) {
      expectAllClose(
        await values(gradient.layers[i]?.loc as Tensor),
        await values(twinGradient.layers[i]?.loc as Tensor),
        {
          absolute: 1e-5,
          relative: 1e-4,
        },
      );
    }
    be.dispose(visible);
    model.dispose();
    twin.dispose();
  });

  it('TAP: one sweep, Γ and ∂Γ/∂θ are the dense twin’s (Onsager terms through squared filters)', async () => {
    const model = randomConvRBM({ image: [1, 4, 3], filters: 2, kernel: 2 }, 0.5);
    const twin = await denseTwin(model);
    const start = tapMagnetizations(model, 3, 5);
    const [swept, twinSwept] = [tapMagnetizations(model, start, 1), tapMagnetizations(twin, start, 1)];
    const tolerance = { absolute: 1e-5, relative: 1e-4 };
    for (const [i, m] of swept.tensors().entries())
      expectAllClose(await values(be.clone(m)), await values(be.clone(twinSwept.tensors()[i] as Tensor)), tolerance);
    expectAllClose(
      await values(tapGibbsFreeEnergy(model, start)),
      await values(tapGibbsFreeEnergy(twin, start)),
      tolerance,
    );
    const [gradient, twinGradient] = [tapGradient(model, start), tapGradient(twin, start)];
    expectAllClose(
      await values(be.clone(gradient.weights[0]?.filters as Tensor)),
      folded(await values(be.clone(twinGradient.weights[0]?.matrix as Tensor)), model.connections[0]?.weights as never),
      tolerance,
    );
    const tap = new TAP({ particles: 3, iterations: 5 });
    const visible = be.bernoulli(be.fill([4, 12], 0.4));
    disposeGradient(meanFieldGradient(model, visible, tap.method));
    tap.dispose();
    be.dispose(visible);
    for (const owned of [start, swept, twinSwept, model, twin]) owned.dispose();
    for (const g of [gradient, twinGradient]) disposeGradient(g);
  });

  it('tied biases stay one per channel and filter through training; weights learn', async () => {
    const model = convolutionalRBM({ image: [1, 6, 6], filters: 2, kernel: 3 });
    const data = be.bernoulli(be.fill([40, 36], 0.3));
    await initializeModel(model, data);
    const initialBias = await values(be.clone(model.layer(0).param('loc')));
    expect(new Set(initialBias).size).toBe(1);
    const before = await values(be.clone(model.connections[0]?.weights.parameter as Tensor));
    const rows = { rows: 40, columns: 36, values: await be.read(data) };
    const sgd = new SGD(model, inMemoryBatch(rows, { batchSize: 10, seed: 1 }));
    await sgd.train(new GradientDescent({ stepsize: new Constant({ initial: 0.1 }) }), 2, { monitor: null });
    const hiddenBias = await values(be.clone(model.layer(1).param('loc')));
    for (const block of [hiddenBias.subarray(0, 16), hiddenBias.subarray(16)]) {
      for (const b of block) expect(b).toBeCloseTo(block[0] as number, 5);
    }
    expect(hiddenBias[0]).not.toBeCloseTo(hiddenBias[16] as number, 5);
    const visibleBias = await values(be.clone(model.layer(0).param('loc')));
    for (const b of visibleBias) expect(b).toBeCloseTo(visibleBias[0] as number, 5);
    const after = await values(be.clone(model.connections[0]?.weights.parameter as Tensor));
    expect(after.some((w, i) => Math.abs(w - (before[i] as number)) > 1e-4)).toBe(true);
    be.dispose(data);
    model.dispose();
  });

  it('saves and loads its geometry, filters and tied biases; a geometry that does not fit the layers is refused', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'relief-conv-'));
    const model = convolutionalRBM({ image: [1, 5, 5], filters: 3, kernel: 2, stride: 2, padding: 1 });
    randomizeParams(model.connections[0]?.weights as ConvolutionalWeights, 1);
    await saveModel(model, join(directory, 'model'));
    const description = JSON.parse(readFileSync(join(directory, 'model', 'model.json'), 'utf8'));
    expect(description.connections[0]).toMatchObject({
      type: 'convolutional',
      image: [1, 5, 5],
      filters: 3,
      kernel: [2, 2],
      stride: 2,
      padding: 1,
    });
    expect(description.layers[1].constraints).toEqual({ loc: { type: 'tiedChannels', channels: 3 } });
    const { model: loaded } = await loadModel(join(directory, 'model'));
    expect(loaded.connections[0]?.weights.describe()).toBe(model.connections[0]?.weights.describe());
    expectAllClose(
      await values(be.clone(loaded.connections[0]?.weights.parameter as Tensor)),
      await values(be.clone(model.connections[0]?.weights.parameter as Tensor)),
      { absolute: 0, relative: 0 },
    );
    expect(loaded.layer(1).constraints.get('loc')?.config).toEqual({ type: 'tiedChannels', channels: 3 });
    description.connections[0].filters = 4;
    expect(() => modelFromDescription(description, 'model.json')).toThrow(
      /model.json: connections\[0\]: the layers have 25 and 27 units, but ConvolutionalWeights\(1×5×5 → 4×3×3/,
    );
    model.dispose();
    loaded.dispose();
    rmSync(directory, { recursive: true });
  });

  it('a ConvDBN (two stacked convolutional RBMs) pretrains layer by layer, saves and loads', async () => {
    const dbn = new DeepBeliefNetwork([
      convolutionalRBM({ image: [1, 6, 6], filters: 2, kernel: 3, stride: 1 }),
      convolutionalRBM({ image: [2, 4, 4], filters: 3, kernel: 2, stride: 2 }),
    ]);
    expect(dbn.units).toEqual([36, 32, 12]);
    const data = { rows: 30, columns: 36, values: await be.read(be.bernoulli(be.fill([30, 36], 0.3))) };
    const histories = await dbn.pretrain(
      inMemoryBatch(data, { batchSize: 10, seed: 2 }),
      new ADAM({ stepsize: 0.01 }),
      2,
      {
        monitor: null,
      },
    );
    expect(histories.map((h) => h.records.length)).toEqual([2, 2]);
    const directory = mkdtempSync(join(tmpdir(), 'relief-convdbn-'));
    await saveDeepBeliefNetwork(dbn, directory);
    const { dbn: loaded } = await loadDeepBeliefNetwork(directory);
    const visible = be.tensor(data.values.subarray(0, 5 * 36), [5, 36]);
    expectAllClose(await values(loaded.upPass(visible)), await values(dbn.upPass(visible)), {
      absolute: 0,
      relative: 0,
    });
    expect(() => FeedForwardNetwork.fromStack(dbn.rbms, 10)).toThrow(/fromStack: model 0: needs dense weights/);
    be.dispose(visible);
    dbn.dispose();
    loaded.dispose();
    rmSync(directory, { recursive: true });
  });

  it('refuses what needs dense weights, and malformed geometry, with typed errors', async () => {
    const model = convolutionalRBM({ image: [1, 4, 4], filters: 2, kernel: 2 });
    const visible = be.bernoulli(be.fill([4, 16], 0.5));
    expect(() => model.center({ rate: 0.1, offsets: 'data' })).toThrow(UnsupportedError);
    expect(() => meanFieldGradient(model, visible, dropConnect(cd(), { rate: 0.5 }))).toThrow(
      /dropConnect: needs dense weights; connection 0 is ConvolutionalWeights\(1×4×4 → 2×3×3/,
    );
    await expect(initializeModel(model, visible, 'pca')).rejects.toThrow(/method 'pca' needs dense weights/);
    expect(() => new ConvolutionalWeights({ image: [1, 4, 4], filters: 2, kernel: 5 })).toThrow(ShapeError);
    expect(() => new ConvolutionalWeights({ image: [1, 4, 4], filters: 0, kernel: 2 })).toThrow(ConfigError);
    expect(() => new ConvolutionalWeights({ image: [1, 4, 4], filters: 2, kernel: 2, strides: 2 } as never)).toThrow(
      /strides.*stride/,
    );
    expect(() => model.connections[0]?.weights.matrix).toThrow(/has filters, not a dense matrix: read .filters/);
    expect(() => new BernoulliLayer(10).addConstraint({ loc: tiedChannels(3) })).toThrow(
      /expected a vector of 3 equal blocks, got shape \[10\]/,
    );
    be.dispose(visible);
    model.dispose();
  });
});
