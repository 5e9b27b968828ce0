/** SGD and layerwise pretraining: histories, metrics, checkpoints, cancellation, divergence and memory. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { DivergenceError } from '../../errors/index.js';
import { cd, LayerwisePretrain, METRICS, ProgressMonitor, SGD } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, loadModel } from '../../models/index.js';
import { ADAM, GradientDescent } from '../../optimizers/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';

const data = () => new InMemoryBatch(barsAndStripes(10), { batchSize: 20, trainFraction: 0.8, seed: 3 });
const rbm = () => new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(8)]);

describeOnBackends('SGD', () => {
  it('records every metric per epoch, writes checkpoints, calls onEpoch', async () => {
    const model = rbm();
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-sgd-')), 'run');
    const seen: number[] = [];
    const history = await new SGD(model, data()).train(new ADAM({ stepsize: 0.01 }), 3, {
      checkpoint: { directory, every: 2 },
      onEpoch: (record) => {
        seen.push(record.epoch);
      },
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(history.records.map((r) => r.epoch)).toEqual([1, 2, 3]);
    for (const record of history.records) {
      expect(record.seconds).toBeGreaterThan(0);
      for (const name of Object.keys(METRICS)) expect(Number.isFinite(record[name]), name).toBe(true);
    }
    const { model: saved, metadata } = await loadModel(directory);
    expect(Array.from(await be.read(saved.connections[0]?.weights.matrix as never))).toEqual(
      Array.from(await be.read(model.connections[0]?.weights.matrix as never)),
    );
    expect((metadata.history as unknown[]).length).toBe(3);
    expect(history.toCSV().split('\n')[0]).toBe(['epoch', 'seconds', ...Object.keys(METRICS)].join(','));
    const table = history.toMarkdown(3).split('\n');
    expect(table).toHaveLength(2 + 3);
    expect(table[0]).toBe(`| ${['epoch', 'seconds', ...Object.keys(METRICS)].join(' | ')} |`);
    const last = history.records[2] as Record<string, number>;
    expect(table[4]?.split(' | ')[0]).toBe('| 3');
    expect(table[4]).toContain(` ${(last.ReconstructionError as number).toPrecision(3)} `);
  });

  it('stops cleanly on an AbortSignal and saves the checkpoint', async () => {
    const controller = new AbortController();
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-abort-')), 'run');
    const history = await new SGD(rbm(), data()).train(new ADAM(), 10, {
      monitor: null,
      checkpoint: { directory, every: 100 },
      onEpoch: () => controller.abort(),
      signal: controller.signal,
    });
    expect(history.records.length).toBeLessThanOrEqual(2);
    expect((await loadModel(directory)).model.numLayers).toBe(2);
  });

  it('stops with a DivergenceError when parameters blow up, keeping the last checkpoint', async () => {
    const model = rbm();
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-diverge-')), 'run');
    await new SGD(model, data()).train(new GradientDescent({ stepsize: 0.01 }), 1, {
      monitor: null,
      checkpoint: { directory },
    });
    await expect(
      new SGD(model, data()).train(new GradientDescent({ stepsize: Number.MAX_VALUE }), 3, {
        monitor: null,
        checkpoint: { directory },
      }),
    ).rejects.toThrow(DivergenceError);
    const { model: kept } = await loadModel(directory);
    expect((await be.read(kept.connections[0]?.weights.matrix as never)).every(Number.isFinite)).toBe(true);
  });

  it('keeps the tensor count flat across epochs of SGD and of layerwise pretraining', async () => {
    const model = rbm();
    const sgd = new SGD(model, data());
    const counts: number[] = [];
    await sgd.train(new ADAM(), 4, {
      method: cd,
      monitor: new ProgressMonitor({ maxBatches: 1 }),
      onEpoch: () => {
        counts.push(be.numTensors());
      },
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    const deep = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(6), new BernoulliLayer(4)]);
    const deepCounts: number[] = [];
    const optimizer = new ADAM();
    const { stages } = await new LayerwisePretrain(deep, data()).train(optimizer, 3, {
      monitor: null,
      onEpoch: () => {
        deepCounts.push(be.numTensors());
      },
    });
    expect(stages.length).toBe(3);
    // Within each stage the count is flat: every stage's epochs 2 and 3 match.
    for (let stage = 0; stage < 3; stage++) expect(deepCounts[stage * 3 + 1]).toBe(deepCounts[stage * 3 + 2]);
    optimizer.reset();
  });

  it('pretrains each RBM of a deep model on the means of the layer below, then the whole model', async () => {
    const deep = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(6), new BernoulliLayer(4)]);
    const before = await Promise.all(deep.connections.map((c) => be.read(c.weights.matrix)));
    const { stages } = await new LayerwisePretrain(deep, data()).train(new ADAM({ stepsize: 0.02 }), 2, {
      monitor: null,
    });
    expect(stages.map((s) => s.records.length)).toEqual([2, 2, 2]);
    const after = await Promise.all(deep.connections.map((c) => be.read(c.weights.matrix)));
    for (const [i, w] of after.entries()) expect(Array.from(w)).not.toEqual(Array.from(before[i] as Float32Array));
    const recon = deep.computeReconstructions(be.tensor(barsAndStripes().values.slice(0, 18), [2, 9])).getVisible();
    expect(be.shape(recon)).toEqual([2, 9]);
  });
});
