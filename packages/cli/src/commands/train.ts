import { readFileSync } from 'node:fs';
import { be } from 'relief/backends';
import { InMemoryBatch } from 'relief/batch';
import { DataError } from 'relief/errors';
import { LayerwisePretrain, ProgressMonitor, SGD, type TrainOptions } from 'relief/fit';
import { initializeModel, saveModel } from 'relief/models';
import { parseJsonText } from 'relief/validation';
import { buildMethod, buildModel, buildOptimizer, loadRunData, parseRunConfig } from '../config.js';
import { interruptible, progressReport, writeRunFiles } from '../run-output.js';
import { startBackend } from '../run-setup.js';
import { trainClassifier } from './classify.js';
import { plotRun } from './plot.js';

/** Options of `relief train`. */
export interface TrainCommandOptions {
  readonly config: string;
  readonly out: string;
  readonly epochs?: number;
  readonly backend?: string;
  readonly device?: string;
  readonly seed?: number;
  readonly limit?: number;
  readonly progress?: boolean;
  /** Write the run's pictures at the end (`relief plot`; default true). */
  readonly plots?: boolean;
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new DataError(`${path}: cannot read the config (${(cause as NodeJS.ErrnoException).code ?? cause})`, {
      cause,
    });
  }
  return parseJsonText(text, path);
}

/**
 * `relief train`: trains the model a config describes, writing model, history and checkpoints
 * to `--out`, then its pictures (metrics, weights, fantasy particles, reconstructions).
 */
export async function train(options: TrainCommandOptions): Promise<{ interrupted: boolean }> {
  const result = await trainRun(options);
  if (options.plots !== false) await plotRun(options.out);
  return result;
}

async function trainRun(options: TrainCommandOptions): Promise<{ interrupted: boolean }> {
  const raw = readConfigFile(options.config) as Record<string, unknown>;
  const overridden = {
    ...raw,
    ...(options.backend !== undefined && { backend: options.backend }),
    ...(options.device !== undefined && { device: options.device }),
    ...(options.seed !== undefined && { seed: options.seed }),
    train: { ...(raw.train as object), ...(options.epochs !== undefined && { epochs: options.epochs }) },
    data: { ...(raw.data as object), ...(options.limit !== undefined && { limit: options.limit }) },
  };
  const config = parseRunConfig(overridden, options.config);
  await startBackend(config);
  if (config.task === 'classify') return trainClassifier(config, options);
  const model = buildModel(config, options.config);
  const data = await loadRunData(config, 'train');
  if (data.columns !== model.layer(0).numUnits) {
    throw new DataError(
      `the data has ${data.columns} columns but model.layers[0] has ${model.layer(0).numUnits} units`,
    );
  }
  const batches = new InMemoryBatch(data, {
    batchSize: config.train.batchSize,
    trainFraction: config.data.trainFraction,
    seed: config.seed,
  });
  await initializeModel(
    model,
    be.tensor(batches.hostMatrix('train').values, [batches.size('train'), data.columns]),
    config.model.init,
  );

  const controller = interruptible();
  const progress = progressReport(batches.size('train'), config.train.batchSize, options.progress);
  const trainOptions: TrainOptions = {
    method: buildMethod(config),
    mcsteps: config.train.mcsteps,
    betaStd: config.train.betaStd,
    ...(config.train.centering && { centering: config.train.centering }),
    monitor: config.train.metrics ? new ProgressMonitor({ maxBatches: 5 }) : null,
    signal: controller.signal,
    checkpoint: { directory: options.out, metadata: { config } },
    onBatch: progress.onBatch,
    onEpoch: progress.onEpoch,
  };
  const optimizer = buildOptimizer(config);
  try {
    const history =
      model.numLayers > 2
        ? (await new LayerwisePretrain(model, batches).train(optimizer, config.train.epochs, trainOptions)).stages.at(
            -1,
          )
        : await new SGD(model, batches).train(optimizer, config.train.epochs, trainOptions);
    await saveModel(model, options.out, { config, history: history?.toJSON() ?? [] });
    await writeRunFiles(options.out, config, history);
    return { interrupted: history?.aborted ?? false };
  } finally {
    progress.stop();
    controller.release();
  }
}
