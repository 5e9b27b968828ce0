import { be } from 'relief/backends';
import { InMemoryBatch } from 'relief/batch';
import { ProgressMonitor } from 'relief/fit';
import { loadRunData } from '../config.js';
import { openRun, startBackend } from '../run-setup.js';

/** Options of `relief evaluate`. */
export interface EvaluateOptions {
  readonly split: 'train' | 'test';
  readonly limit?: number;
  readonly batches: number;
}

/**
 * `relief evaluate`: every metric of a saved model on a split of its data set, plus the mean
 * marginal free energy (exact for RBMs, the mean-field bound for deeper models).
 */
export async function evaluate(directory: string, options: EvaluateOptions): Promise<Record<string, number>> {
  const { config } = await openRun(directory);
  await startBackend(config);
  const { model } = await openRun(directory);
  const limited = { ...config, data: { ...config.data, ...(options.limit !== undefined && { limit: options.limit }) } };
  const data = await loadRunData(limited, options.split);
  const batches = new InMemoryBatch(data, {
    batchSize: config.train.batchSize,
    trainFraction: 1e-9 + 1 / data.rows,
    seed: config.seed,
  });
  const metrics = await new ProgressMonitor({ maxBatches: options.batches }).evaluate(model, batches);
  const all = be.tensor(data.values, [data.rows, data.columns]);
  const freeEnergy = be.tidy(() => be.mean(model.marginalFreeEnergy(all)));
  const result = { samples: data.rows, ...metrics, MeanFreeEnergy: await be.readScalar(freeEnergy) };
  be.dispose([all, freeEnergy]);
  return result;
}
