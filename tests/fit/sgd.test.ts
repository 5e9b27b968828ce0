/** SGD and layerwise pretraining: histories, metrics, checkpoints, cancellation, divergence and memory. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { ConfigError, DivergenceError } from '../../errors/index.js';
import * as fit from '../../fit/index.js';
import {
  cd,
  endEpoch,
  type FitMethod,
  History,
  LayerwisePretrain,
  METRICS,
  ProgressMonitor,
  pcd,
  ReconstructionError,
  type RunHooks,
  SGD,
} from '../../fit/index.js';
import { positiveState } from '../../fit/methods.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, loadModel } from '../../models/index.js';
import { ADAM, GradientDescent } from '../../optimizers/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';

const data = () => new InMemoryBatch(barsAndStripes(10), { batchSize: 20, trainFraction: 0.8, seed: 3 });
const rbm = () => new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(8)]);

describeOnBackends('SGD', () => {
  it("a deep model's positive phase moves as `positivePhase` says, the negative phase as `updater`", async () => {
    const dbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(6), new BernoulliLayer(4)]);
    const seen: { updaters: string[]; gap: number }[] = [];
    const persistent = pcd();
    const spy: FitMethod = (visible, model, positivePhase, negativePhase) => {
      const positive = positiveState(visible, model, positivePhase);
      const start = model.stateFromVisible(visible);
      const fixedPoint = model.meanFieldIteration(7, start, { clamped: [0] });
      const gap = be.tidy(() => be.max(be.abs(be.sub(positive.getLayer(1), fixedPoint.getLayer(1)))));
      seen.push({ updaters: [positivePhase.updater, negativePhase.updater], gap: be.readSync(gap)[0] as number });
      positive.dispose();
      // Layer 0 of both is the batch itself.
      be.dispose([gap, ...[start, fixedPoint].flatMap((state) => state.units.slice(1))]);
      return persistent(visible, model, positivePhase, negativePhase);
    };
    await new SGD(dbm, data()).train(new ADAM(), 1, {
      method: spy,
      monitor: null,
      positivePhase: { updater: 'meanFieldIteration', mcsteps: 7 },
    });
    expect(seen.length).toBeGreaterThan(0);
    for (const { updaters, gap } of seen) {
      expect(updaters).toEqual(['meanFieldIteration', 'markovChain']);
      expect(gap).toBeLessThan(1e-6);
    }
    await expect(
      new SGD(dbm, data()).train(new ADAM(), 1, { positivePhase: { updater: 'gibbs' as never } }),
    ).rejects.toThrow(
      "SequentialMC.updater: expected one of 'markovChain', 'meanFieldIteration', 'deterministicIteration', got \"gibbs\"",
    );
    await expect(new SGD(dbm, data()).train(new ADAM(), 1, { positivePhase: { steps: 3 } as never })).rejects.toThrow(
      /SGD.train: positivePhase/,
    );
    dbm.dispose();
  });

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
    expect(Array.from(await be.read(saved.connections[0]?.weights.parameter as never))).toEqual(
      Array.from(await be.read(model.connections[0]?.weights.parameter as never)),
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
    expect((await be.read(kept.connections[0]?.weights.parameter as never)).every(Number.isFinite)).toBe(true);
  });

  it('keeps the tensor count flat across epochs of SGD and of layerwise pretraining', async () => {
    const model = rbm();
    const sgd = new SGD(model, data());
    const counts: number[] = [];
    await sgd.train(new ADAM(), 4, {
      method: cd(),
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

  it("SGD takes a model and its data only: a stage of layerwise pretraining is fit/'s own", () => {
    const model = rbm();
    const sgd = new SGD(model, data());
    expect('stage' in sgd).toBe(false);
    expect('stageSGD' in fit).toBe(false);
    // @ts-expect-error: the constructor has no third parameter
    new SGD(model, data(), { saves: model, index: 1, before: [] });
    model.dispose();
  });

  it('pretrains each RBM of a deep model on the means of the layer below, then the whole model', async () => {
    const deep = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(6), new BernoulliLayer(4)]);
    const before = await Promise.all(deep.connections.map((c) => be.read(c.weights.parameter)));
    const { stages } = await new LayerwisePretrain(deep, data()).train(new ADAM({ stepsize: 0.02 }), 2, {
      monitor: null,
    });
    expect(stages.map((s) => s.records.length)).toEqual([2, 2, 2]);
    const after = await Promise.all(deep.connections.map((c) => be.read(c.weights.parameter)));
    for (const [i, w] of after.entries()) expect(Array.from(w)).not.toEqual(Array.from(before[i] as Float32Array));
    const recon = deep.computeReconstructions(be.tensor(barsAndStripes().values.slice(0, 18), [2, 9])).getVisible();
    expect(be.shape(recon)).toEqual([2, 9]);
  });
});

/** Runs endEpoch over records with one metric `m`; returns the epochs saved to each directory and where it stopped. */
async function watch(values: readonly number[], hooks: RunHooks<string>) {
  const history = new History();
  const saves: string[] = [];
  let stoppedAt: number | undefined;
  for (const [i, m] of values.entries()) {
    const stop = await endEpoch(
      history,
      { epoch: i + 1, seconds: 1, m },
      values.length,
      hooks,
      'model',
      async (_, directory) => {
        saves.push(`${directory}@${i + 1}`);
      },
    );
    if (stop) {
      stoppedAt = i + 1;
      break;
    }
  }
  return { saves, stoppedAt, converged: history.converged };
}

it('keepBest saves at each new best of its metric, in either direction; NaN is never a best', async () => {
  expect((await watch([3, 2, 2.5, 1, Number.NaN], { keepBest: { metric: 'm', directory: 'best' } })).saves).toEqual([
    'best@1',
    'best@2',
    'best@4',
  ]);
  expect((await watch([3, 2, 4, 1], { keepBest: { metric: 'm', mode: 'max', directory: 'best' } })).saves).toEqual([
    'best@1',
    'best@3',
  ]);
});

it('stopping waits `patience` epochs without an improvement above `tolerance`, then saves the checkpoint and stops', async () => {
  const checkpoint = { directory: 'run', every: 100 };
  // Improvements of 0.5 then 0.05: with tolerance 0.1, epochs 3 and 4 bring none.
  const slowing = [3, 2.5, 2.45, 2.44, 1];
  expect(await watch(slowing, { checkpoint, stopping: { metric: 'm', tolerance: 0.1, patience: 2 } })).toEqual({
    saves: ['run@4'],
    stoppedAt: 4,
    converged: true,
  });
  expect((await watch(slowing, { stopping: { metric: 'm', patience: 2 } })).stoppedAt).toBeUndefined();
  expect((await watch([1, 2, 3], { stopping: { metric: 'm', mode: 'max' } })).stoppedAt).toBeUndefined();
  await expect(watch([1], { stopping: { metric: 'n' } })).rejects.toThrow(ConfigError);
  await expect(watch([1], { stopping: { metric: 'M' } })).rejects.toThrow(
    /M: not a field of the epoch records; did you mean 'm'\?/,
  );
});

it('SGD stops when its watched metric stops improving and keeps the best model', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'relief-stop-'));
  const history = await new SGD(rbm(), data()).train(new GradientDescent({ stepsize: 1e-6 }), 20, {
    monitor: new ProgressMonitor({ metrics: [new ReconstructionError()] }),
    // A step of 1e-6 moves the error by far less than the tolerance.
    stopping: { metric: 'ReconstructionError', tolerance: 0.1, patience: 2 },
    keepBest: { metric: 'ReconstructionError', directory: join(directory, 'best') },
    checkpoint: { directory: join(directory, 'run'), every: 100 },
  });
  expect(history.records.map((r) => r.epoch)).toEqual([1, 2, 3]);
  expect(history.converged).toBe(true);
  expect(((await loadModel(join(directory, 'run'))).metadata.history as unknown[]).length).toBe(3);
  expect(((await loadModel(join(directory, 'best'))).metadata.history as unknown[]).length).toBeGreaterThanOrEqual(1);
  await expect(
    new SGD(rbm(), data()).train(new GradientDescent(), 1, {
      checkpoint: { directory: join(directory, 'run') },
      keepBest: { metric: 'ReconstructionError', directory: join(directory, 'run', 'best') },
    }),
  ).rejects.toThrow(/keepBest.directory: .* is inside checkpoint.directory .*; choose a directory beside it/);
  await expect(
    new SGD(rbm(), data()).train(new GradientDescent(), 1, { monitor: null, stopping: { metric: 'HeatCapacity' } }),
  ).rejects.toThrow(
    "SGD.train: stopping.metric: 'HeatCapacity' is not computed (the monitor and the fit method compute nothing)",
  );
});
