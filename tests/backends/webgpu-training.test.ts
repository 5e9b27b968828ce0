/**
 * The webgpu backend inside real training: a PCD-1 minibatch of a dense 784-500 RBM records a
 * bounded number of dispatches and reads nothing back, and training leaks no tensor and grows
 * no pool.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type Backend, be, setSeed, use } from '../../backends/index.js';
import { WebGpuBackend } from '../../backends/webgpu/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { pcd, SGD } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, initializeModel } from '../../models/index.js';
import { ADAM } from '../../optimizers/index.js';

/** Dispatches one PCD-1 minibatch of a 784-500 RBM may take (the budget). */
const MAX_DISPATCHES = 40;

const started: Backend | Error = await use('webgpu', { adapter: 'software', random: 'device' }).catch(
  (error: Error) => error,
);

/** `rows` rows of 784 pixels, each on with probability 0.2. */
function binaryImages(rows: number): { rows: number; columns: number; values: Float32Array } {
  let state = 12345;
  const values = Float32Array.from({ length: rows * 784 }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32 < 0.2 ? 1 : 0;
  });
  return { rows, columns: 784, values };
}

if (started instanceof Error && process.env.RELIEF_REQUIRE_WEBGPU !== '1') {
  describe.skip(`webgpu training — skipped: ${started.message}`, () => {
    it('needs a WebGPU adapter', () => {});
  });
} else {
  describe('webgpu training (software adapter)', () => {
    const gpu = () => {
      if (started instanceof Error) throw started;
      return started as WebGpuBackend;
    };
    afterAll(() => gpu().trimPool());

    it('a PCD-1 minibatch of a 784-500 RBM takes at most 40 dispatches and no readback', async () => {
      expect(gpu()).toBeInstanceOf(WebGpuBackend);
      setSeed(5);
      const rbm = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(500)]);
      const data = binaryImages(500);
      await initializeModel(rbm, be.tensor(data.values, [data.rows, 784]), 'hinton');
      const batches = new InMemoryBatch(data, { batchSize: 100, trainFraction: 1, seed: 1 });
      const perBatch: { dispatches: number; readbacks: number; submits: number }[] = [];
      let last = gpu().stats();
      const before = be.numTensors();
      await new SGD(rbm, batches).train(new ADAM({ stepsize: 0.001 }), 1, {
        method: pcd(),
        mcsteps: 1,
        monitor: null,
        onBatch: () => {
          const now = gpu().stats();
          perBatch.push({
            dispatches: now.dispatches - last.dispatches,
            readbacks: now.readbacks - last.readbacks,
            submits: now.submits - last.submits,
          });
          last = now;
        },
      });
      expect(perBatch.length).toBe(5);
      // The first minibatch also sets up the chains and the optimizer's moments.
      for (const work of perBatch.slice(1)) {
        expect(work.dispatches).toBeLessThanOrEqual(MAX_DISPATCHES);
        expect(work.readbacks).toBe(0);
        expect(work.submits).toBeLessThanOrEqual(1);
      }
      console.info(`webgpu PCD-1 784-500 minibatch: ${JSON.stringify(perBatch.slice(1))}`);
      expect(be.numTensors()).toBeLessThanOrEqual(before + 20);
      expect((await be.read(rbm.connections[0]?.weights.parameter as never)).every(Number.isFinite)).toBe(true);
    });
  });
}
