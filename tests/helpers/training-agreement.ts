import { expect, it } from 'vitest';
import { be, setSeed, type UseOptions, use } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { pcd, SGD } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, initializeModel } from '../../models/index.js';
import { ADAM } from '../../optimizers/index.js';
import { barsAndStripes } from './bars-and-stripes.js';

/** Trains a small RBM with PCD from the same seed and returns its weights and the tensor counts per epoch. */
async function trainedWeights(name: string, options: UseOptions): Promise<{ weights: Float32Array; counts: number[] }> {
  await use(name, options);
  setSeed(3);
  const data = barsAndStripes(10);
  const rbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(8)]);
  await initializeModel(rbm, be.tensor(data.values, [data.rows, 9]), 'hinton');
  const counts: number[] = [];
  const batches = new InMemoryBatch(data, { batchSize: 20, trainFraction: 1, seed: 1 });
  await new SGD(rbm, batches).train(new ADAM({ stepsize: 0.01 }), 5, {
    method: pcd(),
    mcsteps: 2,
    monitor: null,
    onEpoch: () => {
      counts.push(be.numTensors());
    },
  });
  return { weights: await be.read(rbm.connections[0]?.weights.parameter as never), counts };
}

/**
 * A whole PCD training run on backend `name` (on `device`) and on the float64 reference from
 * the same seed: every backend draws the same random numbers, so the weights agree to float32
 * rounding; where the backend counts tensors, the count stays flat across epochs.
 */
export function trainingAgreesWithOracle(name: string, device?: string): void {
  const label = device ? `${name} ${device}` : name;
  it(`PCD training on ${label} ends with the float64 reference's weights, tensor count flat`, async () => {
    const reference = await trainedWeights('float64', {});
    expect(new Set(reference.counts).size).toBe(1);
    const { weights, counts } = await trainedWeights(name, device ? { device } : {});
    expect(weights.length).toBe(reference.weights.length);
    weights.forEach((w, i) => {
      expect(Math.abs(w - (reference.weights[i] as number)), `W[${i}]`).toBeLessThan(1e-4);
    });
    expect(new Set(counts).size).toBe(1);
  });
}
