/**
 * A checkpoint written on one backend resumes on another: a PCD run stopped after its second
 * epoch on webgpu finishes on cpu, and the other way round, ending where the same run never
 * stopped ends (the backends tier draws webgpu's samples from the host's stream, so the two
 * backends agree up to float32 rounding).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { be, setSeed, use } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { loadCheckpoint, pcd, SGD, type TrainOptions } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { ADAM } from '../../optimizers/index.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';

const EPOCHS = 4;
const data = () => new InMemoryBatch(barsAndStripes(10), { batchSize: 20, trainFraction: 1, seed: 3 });
const train = (model: BoltzmannMachine, options: TrainOptions) =>
  new SGD(model, data()).train(new ADAM({ stepsize: 0.05 }), EPOCHS, { method: pcd(), monitor: null, ...options });

async function weights(model: BoltzmannMachine): Promise<Float32Array> {
  return be.read(model.denseWeights(0, 'resume test').matrix);
}

/** The weights after an uninterrupted run on `backend`. */
async function uninterrupted(backend: string): Promise<Float32Array> {
  await use(backend);
  setSeed(5);
  const model = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(8)]);
  await train(model, {});
  const result = await weights(model);
  model.dispose();
  return result;
}

/** The weights after a run stopped after epoch 2 on `first` and resumed from its checkpoint on `second`. */
async function resumedElsewhere(first: string, second: string): Promise<{ weights: Float32Array; epochs: number[] }> {
  const directory = join(mkdtempSync(join(tmpdir(), 'relief-across-')), 'run');
  await use(first);
  setSeed(5);
  const started = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(8)]);
  const controller = new AbortController();
  await train(started, {
    signal: controller.signal,
    checkpoint: { directory },
    onEpoch: (record) => {
      if (record.epoch === 2) controller.abort();
    },
  });
  started.dispose();
  await use(second);
  setSeed(999); // the checkpoint, not the seed, decides what comes next
  const { model, snapshot } = await loadCheckpoint(directory);
  const history = await train(model, { checkpoint: { directory }, resume: snapshot });
  const result = { weights: await weights(model), epochs: history.records.map((r) => r.epoch) };
  model.dispose();
  return result;
}

const webgpu = await use('webgpu').then(
  () => undefined,
  (error: Error) => error.message,
);
const skipped = webgpu !== undefined && process.env.RELIEF_REQUIRE_WEBGPU !== '1';

describe.skipIf(skipped)(`resuming on another backend${skipped ? ` — skipped: ${webgpu}` : ''}`, () => {
  for (const [first, second] of [
    ['webgpu', 'cpu'],
    ['cpu', 'webgpu'],
  ] as const) {
    it(`a run stopped on ${first} finishes on ${second} where an uninterrupted run ends`, async () => {
      const resumed = await resumedElsewhere(first, second);
      const reference = await uninterrupted(second);
      expect(resumed.epochs).toEqual([1, 2, 3, 4]);
      const worst = resumed.weights.reduce((w, v, i) => Math.max(w, Math.abs(v - (reference[i] as number))), 0);
      expect(worst).toBeLessThan(1e-3);
    });
  }
});
