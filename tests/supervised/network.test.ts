import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { l2 } from '../../penalties/index.js';
import { type Activation, FeedForwardNetwork, loadClassifier, saveClassifier } from '../../supervised/index.js';
import { describeOnBackends } from '../helpers/backends.js';
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
  for (const activation of ['sigmoid', 'relu'] as const) {
    it(`backpropagates the exact gradient of the cross-entropy through ${activation} layers (finite differences)`, async () => {
      const net = network(activation);
      net.layers[0]?.addPenalty({ matrix: l2(0.1) });
      const x = be.tensor(inputs, [3, 4]);
      const y = be.tensor(targets, [3, 3]);
      const { loss, gradients } = net.gradient(x, y);
      expect(await scalar(loss)).toBeCloseTo(await scalar(net.loss(x, y)), 5);
      for (const { key, owner, name } of net.namedParameters()) {
        const numeric = await finiteDifferences(owner, name, () => scalar(net.loss(x, y)), 1e-3);
        expectAllClose(await values(gradients[key] as never), numeric, { absolute: 2e-3, relative: 2e-2 }, key);
      }
      be.dispose([x, y]);
      net.dispose();
    });
  }

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
