/**
 * AdaGrad's sums of squared gradients travel in training checkpoints: a run stopped after an
 * epoch and resumed from its checkpoint ends where the same run never stopped ends.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be, setSeed, use } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { loadCheckpoint, SGD, TRAINING_FILE } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { AdaGrad, Momentum } from '../../optimizers/index.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';

const data = () => new InMemoryBatch(barsAndStripes(4), { batchSize: 8, trainFraction: 1, seed: 3 });

function freshModel(): BoltzmannMachine {
  setSeed(41);
  return new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(5)]);
}

async function parameters(model: BoltzmannMachine): Promise<number[][]> {
  return Promise.all(
    model.namedParameters().map(async ({ owner, name }) => Array.from(await be.read(owner.param(name)))),
  );
}

it('AdaGrad resumes from a checkpoint with its sums of squared gradients, bit for bit', async () => {
  // Checkpoints hold float32: the float32 cpu backend resumes exactly.
  await use('cpu');
  const optimizer = () => new AdaGrad({ stepsize: 0.1 });
  const reference = freshModel();
  await new SGD(reference, data()).train(optimizer(), 3, { monitor: null });

  const directory = join(mkdtempSync(join(tmpdir(), 'relief-adagrad-resume-')), 'run');
  const first = freshModel();
  const controller = new AbortController();
  await new SGD(first, data()).train(optimizer(), 3, {
    monitor: null,
    checkpoint: { directory },
    signal: controller.signal,
    onEpoch: (record) => {
      if (record.epoch === 1) controller.abort();
    },
  });
  first.dispose();
  const state = JSON.parse(readFileSync(join(directory, TRAINING_FILE), 'utf8'));
  expect(state.optimizer.kind).toBe('adagrad');
  expect(Object.values(state.optimizer.moments)).toEqual([1, 1, 1]);

  setSeed(999);
  const loaded = await loadCheckpoint(directory);
  expect(loaded.snapshot.epochsDone).toBe(1);
  await expect(
    new SGD(loaded.model, data()).train(new Momentum(), 3, { monitor: null, resume: loaded.snapshot }),
  ).rejects.toThrow(/'adagrad' optimizer; this one is 'momentum'/);
  loaded.model.dispose();

  const again = await loadCheckpoint(directory);
  await new SGD(again.model, data()).train(optimizer(), 3, { monitor: null, resume: again.snapshot });
  expect(await parameters(again.model)).toEqual(await parameters(reference));
  again.model.dispose();
  reference.dispose();
});
