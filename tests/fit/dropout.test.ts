/**
 * The dropout family against independent constructions: a unit-masked gradient is the
 * gradient of the smaller model without the dropped units, a DropConnect gradient the masked
 * gradient of the model with W ∘ M, Energy-based Dropout's masks follow Roder et al.'s
 * importance, and the random masks drop at the stated rate.
 */
import { expect, it } from 'vitest';
import { be, setSeed, type Tensor, use } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { UnsupportedError } from '../../errors/index.js';
import { exactLogLikelihood } from '../../estimators/index.js';
import {
  cd,
  DROPOUT_TYPES,
  dropConnect,
  dropout,
  energyDropout,
  type FitMethod,
  SGD,
  scaleWeightsForInference,
  TAP,
  withDropout,
} from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, initializeModel } from '../../models/index.js';
import { GradientDescent } from '../../optimizers/index.js';
import { mnist } from '../../packages/data/src/index.js';
import { l2 } from '../../penalties/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, values } from '../helpers/finite-differences.js';
import { disposeGradient, meanFieldGradient, meanFieldPhases, randomRBM } from '../helpers/mean-field-gradients.js';

const CLOSE = { absolute: 1e-5, relative: 1e-4 };

/** Rows of (rows, columns) values picked by column index. */
function columnsOf(matrix: Float64Array, columns: number, keep: readonly number[]): number[] {
  const rows = matrix.length / columns;
  return Array.from({ length: rows }, (_, r) => keep.map((c) => matrix[r * columns + c] as number)).flat();
}

describeOnBackends('dropout', () => {
  it('a unit mask gives the gradient of the smaller RBM without the dropped hidden units, and zero for them', async () => {
    setSeed(3);
    const full = randomRBM(6, 5);
    const kept = [0, 2, 3];
    const small = new BoltzmannMachine([new BernoulliLayer(6), new BernoulliLayer(3)]);
    const W = await values(be.clone(full.connections[0]?.weights.parameter as Tensor));
    small.connections[0]?.weights.setParam('matrix', be.tensor(columnsOf(W, 5, kept), [6, 3]));
    small.layer(0).setParam('loc', be.clone(full.layer(0).param('loc')));
    const hiddenLoc = await values(be.clone(full.layer(1).param('loc')));
    small.layer(1).setParam('loc', be.tensor(columnsOf(hiddenLoc, 5, kept), [3]));
    const visible = be.tensor([1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1], [3, 6]);
    const mask = be.tensor(
      Array.from({ length: 15 }, (_, i) => (kept.includes(i % 5) ? 1 : 0)),
      [3, 5],
    );
    const masked: FitMethod = (v, model, positive, negative) => {
      positive.setMasks(() => [undefined, mask]);
      negative.setMasks(() => [undefined, mask]);
      return cd()(v, model, positive, negative);
    };
    const fullGradient = meanFieldGradient(full, visible, masked);
    const smallGradient = meanFieldGradient(small, visible);
    const fullW = await values(fullGradient.weights[0]?.matrix as Tensor);
    expectAllClose(columnsOf(fullW, 5, kept), await values(smallGradient.weights[0]?.matrix as Tensor), CLOSE);
    expect(columnsOf(fullW, 5, [1, 4]).every((g) => g === 0)).toBe(true);
    const fullHidden = await values(fullGradient.layers[1]?.loc as Tensor);
    expectAllClose(columnsOf(fullHidden, 5, kept), await values(smallGradient.layers[1]?.loc as Tensor), CLOSE);
    expect(columnsOf(fullHidden, 5, [1, 4])).toEqual([0, 0]);
    expectAllClose(
      await values(fullGradient.layers[0]?.loc as Tensor),
      await values(smallGradient.layers[0]?.loc as Tensor),
      CLOSE,
    );
    be.dispose([visible, mask]);
    full.dispose();
    small.dispose();
  });

  it('DropConnect gives the masked gradient of the model with W ∘ M, plus the penalty on W itself', async () => {
    setSeed(4);
    const rbm = randomRBM(6, 5);
    const penalty = l2(0.1);
    const weights = rbm.denseWeights(0, 'test');
    weights?.addPenalty({ matrix: penalty });
    const thinned = randomRBM(6, 5);
    const mask = be.bernoulli(be.fill([6, 5], 0.6));
    thinned.connections[0]?.weights.setParam('matrix', be.mul(weights?.matrix as Tensor, mask));
    for (const i of [0, 1]) thinned.layer(i).setParam('loc', be.clone(rbm.layer(i).param('loc')));
    const visible = be.tensor([1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0], [2, 6]);
    const dropped: FitMethod = (v, model, positive, negative) => {
      weights?.dropConnections(mask);
      try {
        return cd()(v, model, positive, negative);
      } finally {
        weights?.dropConnections(undefined);
      }
    };
    const gradient = meanFieldGradient(rbm, visible, dropped);
    const reference = meanFieldGradient(thinned, visible);
    const expected = be.add(
      be.mul(reference.weights[0]?.matrix as Tensor, mask),
      penalty.gradient(weights?.matrix as Tensor),
    );
    expectAllClose(await values(gradient.weights[0]?.matrix as Tensor), await values(expected), CLOSE);
    for (const i of [0, 1]) {
      expectAllClose(
        await values(gradient.layers[i]?.loc as Tensor),
        await values(reference.layers[i]?.loc as Tensor),
        CLOSE,
      );
    }
    be.dispose([visible, mask]);
    rbm.dispose();
    thinned.dispose();
  });

  it('dropout drops each hidden unit at the stated rate, the same units in both phases of a training case', async () => {
    setSeed(5);
    const rbm = randomRBM(12, 500);
    const visible = be.tensor([1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1], [1, 12]);
    let dropped = 0;
    const trials = 4;
    for (let t = 0; t < trials; t++) {
      // One training case: a dropped unit's column of the weight gradient is exactly zero.
      const gradient = meanFieldGradient(rbm, visible, dropout(cd(), { rate: 0.3 }));
      const W = await values(gradient.weights[0]?.matrix as Tensor);
      for (let j = 0; j < 500; j++) if (columnsOf(W, 500, [j]).every((g) => g === 0)) dropped += 1;
    }
    const rate = dropped / (trials * 500);
    expect(Math.abs(rate - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / (trials * 500)));
    be.dispose(visible);
    rbm.dispose();
  });

  it('Energy-based Dropout keeps each unit with probability 1 − I, I = P(h|ṽ)/P(h|v) over its batch maximum', async () => {
    const rbm = randomRBM(8, 6);
    const visible = be.tensor(
      Array.from({ length: 10 * 8 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
      [10, 8],
    );
    let keptUnits: Float64Array | undefined;
    const capture: FitMethod = (v, model, positive, negative) => {
      positive.setStateFromVisible(v);
      keptUnits = Float64Array.from(be.readSync(positive.state.getLayer(1)));
      return cd()(v, model, positive, negative);
    };
    setSeed(6);
    const [positive, negative] = meanFieldPhases(rbm);
    disposeGradient(energyDropout(capture)(visible, rbm, positive, negative));
    // The same draws, in the same order, with the importance computed here on the host.
    setSeed(6);
    const data = rbm.stateFromVisible(visible);
    const reconstruction = rbm.markovChain(1, data);
    const P = await values(be.clone(data.getLayer(1)));
    const N = await values(
      rbm.layer(1).conditionalMean(rbm.fieldOn(1, [reconstruction.getVisible(), data.getLayer(1)])),
    );
    const U = await values(be.randomUniform([10, 6]));
    const ratio = N.map((n, i) => n / (P[i] as number));
    let disagreements = 0;
    for (let j = 0; j < 6; j++) {
      const column = Array.from({ length: 10 }, (_, b) => ratio[b * 6 + j] as number);
      const largest = Math.max(...column);
      for (let b = 0; b < 10; b++) {
        const kept = (column[b] as number) / largest < (U[b * 6 + j] as number);
        if (kept !== (keptUnits?.[b * 6 + j] as number) > 0) disagreements += 1;
      }
    }
    expect(disagreements).toBe(0);
    // The unit of largest importance in each column is always dropped.
    expect(keptUnits?.filter((x) => x === 0).length).toBeGreaterThanOrEqual(6);
    positive.dispose();
    negative.dispose();
    data.dispose();
    reconstruction.dispose();
    be.dispose(visible);
    rbm.dispose();
  });

  it('the weight-scaling rule multiplies every weight by the keep probability', async () => {
    const rbm = randomRBM(4, 3);
    const before = await values(be.clone(rbm.connections[0]?.weights.parameter as Tensor));
    scaleWeightsForInference(rbm, 0.25);
    expectAllClose(
      await values(be.clone(rbm.connections[0]?.weights.parameter as Tensor)),
      before.map((w) => 0.75 * w),
      CLOSE,
    );
    rbm.dispose();
  });
});

it('the dropout family refuses rates outside [0, 1), TAP and label methods, and the wrong mask shapes', () => {
  const rbm = randomRBM(4, 3);
  expect(() => dropout(cd(), { rate: 1 })).toThrow(/dropout: rate: expected a probability in \[0, 1\), got 1/);
  expect(() => dropConnect(cd(), { rate: -0.1 })).toThrow(/dropConnect: rate/);
  const tap = new TAP();
  expect(() => energyDropout(tap.method)).toThrow(UnsupportedError);
  tap.dispose();
  expect(() => rbm.denseWeights(0, 'test').dropConnections(be.zeros([3, 4]))).toThrow(
    /expected a mask of shape \[4, 3\], got \[3, 4\]/,
  );
  const mask = be.ones([2, 2]);
  expect(() => rbm.markovChain(1, rbm.randomState(2), { masks: [undefined, mask] })).toThrow(
    /dropout mask of layer 1: expected shape \[2, 3\], got \[2, 2\]/,
  );
  be.dispose(mask);
  rbm.dispose();
});

it('each of the family trains a 784-16 RBM on 5,000 MNIST digits to near plain CD-1 in exact test log-likelihood, with no leak', async () => {
  await use('cpu');
  const train = await mnist({ split: 'train', binarize: true, limit: 5000 });
  const test = await mnist({ split: 'test', binarize: true, limit: 1000 });
  const visible = be.tensor(test.values, [test.rows, test.columns]);
  const testLogLikelihood = async (method: FitMethod) => {
    setSeed(1);
    const data = new InMemoryBatch(train, { batchSize: 100, trainFraction: 1, seed: 1 });
    const rbm = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(16)]);
    await initializeModel(rbm, data.batches('train'), 'hinton');
    const tensors = be.numTensors();
    await new SGD(rbm, data).train(new GradientDescent({ stepsize: 0.05 }), 10, { method, monitor: null });
    expect(be.numTensors()).toBe(tensors);
    const mean = await be.readScalar(be.tidy(() => be.mean(exactLogLikelihood(rbm, visible))));
    rbm.dispose();
    return mean;
  };
  const plain = await testLogLikelihood(cd());
  // Measured: −202.5 at the start; −174.6 plain, −175.2 dropout, −179.1 DropConnect, −173.2 Energy-based.
  expect(plain).toBeGreaterThan(-180);
  for (const type of DROPOUT_TYPES) {
    expect(await testLogLikelihood(withDropout(cd(), type, 0.2)), type).toBeGreaterThan(plain - 7);
  }
  be.dispose(visible);
}, 120_000);
