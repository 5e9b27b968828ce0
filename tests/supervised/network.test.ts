import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { GradientDescent } from '../../optimizers/index.js';
import { l2 } from '../../penalties/index.js';
import {
  ACTIVATIONS,
  type Activation,
  COSTS,
  FeedForwardNetwork,
  FineTune,
  loadClassifier,
  saveClassifier,
} from '../../supervised/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';
import { expectAllClose, finiteDifferences, scalar, values } from '../helpers/finite-differences.js';

const inputs = [0.2, 0.9, 0.1, 0.7, 0.5, 0.3, 0.8, 0.0, 1.0, 0.4, 0.6, 0.2];
const targets = [1, 0, 0, 0, 0, 1, 0, 1, 0];

/** A 4-5-3-3 network with weights large enough for every unit to matter. */
function network(activation: Activation): FeedForwardNetwork {
  const net = FeedForwardNetwork.random([4, 5, 3, 3], { activation });
  for (const { owner, name } of net.namedParameters()) {
    owner.setParam(
      name,
      be.tidy(() => be.add(be.mul(be.randomNormal(owner.paramShape(name)), 0.7), 0.05)),
    );
  }
  return net;
}

describeOnBackends('feed-forward network', () => {
  for (const activation of ACTIVATIONS) {
    for (const cost of COSTS) {
      it(`backpropagates the exact gradient of the ${cost} through ${activation} layers (finite differences)`, async () => {
        const net = network(activation);
        net.layers[0]?.addPenalty({ matrix: l2(0.1) });
        const x = be.tensor(inputs, [3, 4]);
        const y = be.tensor(targets, [3, 3]);
        const { loss, gradients } = net.gradient(x, y, { cost });
        expect(await scalar(loss)).toBeCloseTo(await scalar(net.loss(x, y, { cost })), 5);
        for (const { key, owner, name } of net.namedParameters()) {
          const numeric = await finiteDifferences(owner, name, () => scalar(net.loss(x, y, { cost })), 1e-3);
          expectAllClose(
            await values(gradients[key] as never),
            numeric,
            { absolute: 2e-3, relative: 2e-2 },
            `${activation} ${cost} ${key}`,
          );
        }
        be.dispose([x, y]);
        net.dispose();
      });
    }
  }

  it('measures each cost by its definition, the softmax cross-entropy by default', async () => {
    const net = network('tanh');
    const x = be.tensor(inputs, [3, 4]);
    const y = be.tensor(targets, [3, 3]);
    const z = await values(net.logits(x));
    const rows = [0, 1, 2].map((b) => z.subarray(3 * b, 3 * b + 3));
    const softmax = rows.map((row) => {
      const e = Array.from(row, Math.exp);
      const total = e.reduce((s, v) => s + v, 0);
      return e.map((v) => v / total);
    });
    const target = (b: number, k: number) => targets[3 * b + k] as number;
    const sumOver = (f: (b: number, k: number) => number) =>
      [0, 1, 2].reduce((s, b) => s + [0, 1, 2].reduce((t, k) => t + f(b, k), 0), 0) / 3;
    const p = (b: number, k: number) => softmax[b]?.[k] as number;
    const sigma = (b: number, k: number) => 1 / (1 + Math.exp(-(rows[b]?.[k] as number)));
    const expected = {
      softmaxCrossEntropy: sumOver((b, k) => -target(b, k) * Math.log(p(b, k))),
      squaredError: sumOver((b, k) => 0.5 * (p(b, k) - target(b, k)) ** 2),
      crossEntropyError: sumOver(
        (b, k) => -(target(b, k) * Math.log(sigma(b, k)) + (1 - target(b, k)) * Math.log(1 - sigma(b, k))),
      ),
    };
    for (const cost of COSTS) expect(await scalar(net.loss(x, y, { cost })), cost).toBeCloseTo(expected[cost], 5);
    expect(await scalar(net.loss(x, y))).toBeCloseTo(expected.softmaxCrossEntropy, 5);
    expect(() => net.loss(x, y, { cost: 'hinge' as never })).toThrow(
      /FeedForwardNetwork.loss: cost: expected one of 'softmaxCrossEntropy', 'squaredError', 'crossEntropyError'/,
    );
    be.dispose([x, y]);
    net.dispose();
  });

  it('drops units with inverted dropout: a dropped input gets no gradient, the rest are scaled by 1/(1 − p)', async () => {
    const net = network('sigmoid');
    const x = be.tensor(inputs.slice(0, 4), [1, 4]);
    const y = be.tensor(targets.slice(0, 3), [1, 3]);
    be.setSeed(5);
    const dropped = net.gradient(x, y, { inputDropout: 0.5 });
    const rows = await values(dropped.gradients['dense.0.matrix'] as never);
    const zeroRows = [0, 1, 2, 3].filter((i) => rows.subarray(i * 5, i * 5 + 5).every((v) => v === 0));
    expect(zeroRows.length).toBeGreaterThan(0);
    expect(zeroRows.length).toBeLessThan(4);
    be.setSeed(5);
    const again = net.gradient(x, y, { inputDropout: 0.5 });
    expectAllClose(await values(again.gradients['dense.0.matrix'] as never), rows, { absolute: 0, relative: 0 });
    expect(() => net.gradient(x, y, { dropout: 1 })).toThrow(/dropout: expected a probability in \[0, 1\)/);
    be.dispose([
      x,
      y,
      dropped.loss,
      again.loss,
      ...Object.values(dropped.gradients),
      ...Object.values(again.gradients),
    ]);
    net.dispose();
  });

  it('starts from an RBM whose hidden probabilities it reproduces', async () => {
    const rbm = new BoltzmannMachine([new BernoulliLayer(4), new BernoulliLayer(5)]);
    rbm.layer(1).setParam('loc', be.tensor([0.3, -0.2, 0.1, 0, 0.5]));
    const net = FeedForwardNetwork.fromRBM(rbm, 3);
    const x = be.tensor(inputs, [3, 4]);
    const state = rbm.stateFromVisible(x);
    const hidden = be.sigmoid(net.layers[0]?.preActivation(x) as never);
    expectAllClose(await values(hidden), await values(be.clone(state.getLayer(1))), { absolute: 1e-6 });
    expect([net.numInputs, net.numClasses]).toEqual([4, 3]);
    state.dispose();
    be.dispose(x);
    net.dispose();
    rbm.dispose();
  });

  it('saves and loads networks of every activation, predicting the same probabilities', async () => {
    const x = be.tensor(inputs, [3, 4]);
    for (const activation of ACTIVATIONS) {
      const net = network(activation);
      const directory = join(mkdtempSync(join(tmpdir(), 'relief-classifier-')), 'net');
      await saveClassifier(net, directory);
      const { network: loaded } = await loadClassifier(directory);
      expect(loaded.activation).toBe(activation);
      expectAllClose(await values(loaded.predictProba(x)), await values(net.predictProba(x)), { absolute: 1e-7 });
      loaded.dispose();
      net.dispose();
    }
    be.dispose(x);
  });

  it('saves and loads a classifier that predicts the same probabilities, and refuses a corrupt one', async () => {
    const net = network('relu');
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-classifier-')), 'net');
    await saveClassifier(net, directory, { note: 'x' });
    const { network: loaded, metadata } = await loadClassifier(directory);
    const x = be.tensor(inputs, [3, 4]);
    expectAllClose(await values(loaded.predictProba(x)), await values(net.predictProba(x)), { absolute: 1e-7 });
    expect(metadata).toEqual({ note: 'x' });
    expect(loaded.activation).toBe('relu');
    writeFileSync(join(directory, 'params.safetensors'), new Uint8Array(12));
    await expect(loadClassifier(directory)).rejects.toThrow(/need at least \d+ bytes/);
    writeFileSync(join(directory, 'model.json'), JSON.stringify({ format: 'relief-model' }));
    await expect(loadClassifier(directory)).rejects.toThrow(/format: expected 'relief-classifier', got "relief-model"/);
    be.dispose(x);
    loaded.dispose();
    net.dispose();
  });

  it('refuses inputs and targets of the wrong shape with the shapes in the message', () => {
    const net = network('sigmoid');
    expect(() => net.predictProba(be.zeros([2, 5]))).toThrow(/expected inputs \(batch, 4\), got \[2, 5\]/);
    expect(() => net.gradient(be.zeros([2, 4]), be.zeros([2, 4]))).toThrow(/expected targets \(2, 3\), got \[2, 4\]/);
    expect(() => FeedForwardNetwork.random([4, 3, 1])).toThrow(/at least 2 classes/);
    net.dispose();
  });
});

it('FineTune trains on each cost, recording that cost as the epoch loss, and refuses an unknown one', async () => {
  const images = barsAndStripes(2);
  // Class 1: every row of the 3×3 image is constant (bars, and the blank and full images).
  const labels = Array.from({ length: images.rows }, (_, r) => {
    const pixel = (i: number) => images.values[r * 9 + i];
    return [0, 3, 6].every((i) => pixel(i) === pixel(i + 1) && pixel(i) === pixel(i + 2)) ? 1 : 0;
  });
  const data = () => new InMemoryBatch(images, { batchSize: 7, trainFraction: 1, seed: 4, labels, numClasses: 2 });
  for (const cost of COSTS) {
    be.setSeed(6);
    const net = FeedForwardNetwork.random([9, 6, 2], { activation: 'tanh' });
    const x = be.tensor(images.values, [images.rows, 9]);
    const y = be.tensor(
      labels.flatMap((label) => (label === 1 ? [0, 1] : [1, 0])),
      [images.rows, 2],
    );
    const initial = await scalar(net.loss(x, y, { cost }));
    const history = await new FineTune(net, data()).train(new GradientDescent({ stepsize: 0.5 }), 30, { cost });
    const losses = history.records.map((r) => r.loss as number);
    // The first epoch's loss is the cost trained on: near the starting network's, on its scale.
    expect(losses[0], cost).toBeGreaterThan(0.6 * initial);
    expect(losses[0], cost).toBeLessThan(1.4 * initial);
    // The last epoch's record averages the losses of its steps; the loss after it is lower still.
    expect(await scalar(net.loss(x, y, { cost })), cost).toBeLessThan(losses[0] as number);
    expect(losses.at(-1), cost).toBeLessThan((losses[0] as number) / 2);
    be.dispose([x, y]);
    net.dispose();
  }
  const net = FeedForwardNetwork.random([9, 6, 2]);
  await expect(
    new FineTune(net, data()).train(new GradientDescent(), 1, { cost: 'meanAbsoluteError' as never }),
  ).rejects.toThrow(/FineTune.train: cost: expected one of 'softmaxCrossEntropy', 'squaredError', 'crossEntropyError'/);
  net.dispose();
});
