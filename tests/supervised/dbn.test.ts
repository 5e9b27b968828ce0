import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { BernoulliLayer, GaussianLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { ADAM } from '../../optimizers/index.js';
import { DeepBeliefNetwork, loadDeepBeliefNetwork, saveDeepBeliefNetwork } from '../../supervised/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';
import { expectAllClose, values } from '../helpers/finite-differences.js';

/** A 9-6-4 DBN with random parameters. */
function randomDbn(options: ConstructorParameters<typeof DeepBeliefNetwork>[1] = {}): DeepBeliefNetwork {
  const dbn = DeepBeliefNetwork.fromLayers(
    [new BernoulliLayer(9), new BernoulliLayer(6), new BernoulliLayer(4)],
    options,
  );
  for (const { owner, name } of dbn.namedParameters()) {
    owner.setParam(
      name,
      be.tidy(() => be.mul(be.randomNormal(owner.paramShape(name)), 0.8)),
    );
  }
  return dbn;
}

const visible = () => be.tensor(barsAndStripes(3).values.subarray(0, 4 * 9), [4, 9]);

describeOnBackends('deep belief network', () => {
  it('carries features up through each RBM’s hidden probabilities', async () => {
    const dbn = randomDbn();
    const x = visible();
    const first = dbn.rbms[0]?.stateFromVisible(x) as ReturnType<BoltzmannMachine['stateFromVisible']>;
    const second = dbn.rbms[1]?.stateFromVisible(first.getLayer(1)) as typeof first;
    expectAllClose(await values(dbn.upPass(x)), await values(be.clone(second.getLayer(1))), { absolute: 1e-6 });
    expectAllClose(await values(dbn.upPass(x, 1)), await values(be.clone(first.getLayer(1))), { absolute: 1e-6 });
    expect(dbn.units).toEqual([9, 6, 4]);
    first.dispose();
    second.dispose();
    be.dispose(x);
    dbn.dispose();
  });

  it('mixes in the normalized rectified pre-activations for a ResidualDBN (Learnergy’s formula, per sample)', async () => {
    const dbn = randomDbn({ residual: { original: 1, residual: 0.5 } });
    const x = visible();
    const rbm = dbn.rbms[0] as BoltzmannMachine;
    const pre = await values(
      be.add(be.matmul(x, rbm.connections[0]?.weights.parameter as never), rbm.layer(1).param('loc')),
    );
    const expected = new Float64Array(pre.length);
    for (let r = 0; r < 4; r++) {
      const row = pre.subarray(r * 6, r * 6 + 6);
      const relu = row.map((v) => Math.max(v, 0));
      const reluMax = Math.max(...relu, 1e-12);
      const mixed = row.map((v, j) => 1 / (1 + Math.exp(-v)) + (0.5 * (relu[j] as number)) / reluMax);
      const mixedMax = Math.max(...mixed);
      mixed.forEach((v, j) => {
        expected[r * 6 + j] = v / mixedMax;
      });
    }
    expectAllClose(await values(dbn.upPass(x, 1)), expected, { absolute: 1e-5 });
    be.dispose(x);
    dbn.dispose();
  });

  it('pretrains each RBM on the up-pass of the one below, and samples top-down', async () => {
    const dbn = randomDbn();
    const before = await values(be.clone(dbn.rbms[1]?.connections[0]?.weights.parameter as never));
    const data = new InMemoryBatch(barsAndStripes(3), { batchSize: 7, seed: 1 });
    const histories = await dbn.pretrain(data, new ADAM({ stepsize: 0.05 }), [2, 1], { monitor: null });
    expect(histories.map((h) => h.records.length)).toEqual([2, 1]);
    const after = await values(be.clone(dbn.rbms[1]?.connections[0]?.weights.parameter as never));
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    const samples = await values(dbn.sample(5, { gibbsSteps: 3 }));
    expect(samples.length).toBe(45);
    expect(samples.every((v) => v >= 0 && v <= 1)).toBe(true);
    const reconstruction = await values(dbn.reconstruct(visible()));
    expect(reconstruction.length).toBe(36);
    await expect(dbn.pretrain(data, new ADAM(), [1], { monitor: null })).rejects.toThrow(
      /one number per RBM \(2\), got 1/,
    );
    dbn.dispose();
  });

  it('saves and loads with every parameter and the residual settings', async () => {
    const dbn = randomDbn({ residual: { original: 0.7 } });
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-dbn-')), 'dbn');
    await saveDeepBeliefNetwork(dbn, directory, { run: 1 });
    const { dbn: loaded, metadata } = await loadDeepBeliefNetwork(directory);
    expect(metadata).toEqual({ run: 1 });
    expect(loaded.residual).toEqual({ original: 0.7, residual: 1 });
    const x = visible();
    expectAllClose(await values(loaded.upPass(x)), await values(dbn.upPass(x)), { absolute: 1e-7 });
    be.dispose(x);
    loaded.dispose();
    dbn.dispose();
  });

  it('refuses RBMs that do not stack', () => {
    const lower = new BoltzmannMachine([new BernoulliLayer(4), new BernoulliLayer(3)]);
    const upper = new BoltzmannMachine([new GaussianLayer(2), new BernoulliLayer(3)]);
    expect(() => new DeepBeliefNetwork([lower, upper])).toThrow(
      /rbms\[1\] has 2 visible units but rbms\[0\] has 3 hidden units/,
    );
    lower.dispose();
    upper.dispose();
  });
});
