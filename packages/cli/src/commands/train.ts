import { readFileSync } from 'node:fs';
import { be, registeredBackends } from 'relief/backends';
import { buildTrainOptions } from 'relief/config';
import { ConfigError, DataError } from 'relief/errors';
import { LayerwisePretrain, loadCheckpoint, SGD } from 'relief/fit';
import { initializeModel } from 'relief/models';
import { checkChoice, parseJsonText } from 'relief/validation';
import {
  buildFinalOptimizer,
  buildModel,
  buildOptimizer,
  fitRunPreprocessing,
  loadTrainingData,
  parseRunConfig,
  type RunConfig,
  runBatches,
} from '../config.js';
import { type Interruptible, interruptible, progressReport, writeRunFiles } from '../run-output.js';
import { openRunConfig, refuseExistingRun, startBackend, watchHooks } from '../run-setup.js';
import { trainClassifier } from './classify.js';
import { plotRun } from './plot.js';

/** Options of `relief train`: a fresh run (`config`, `out`) or a stopped one continued (`resume`). */
export interface TrainCommandOptions {
  readonly config?: string;
  /** The output directory (with `resume`: that run's directory, its default). */
  readonly out?: string;
  /** A run directory whose checkpoint to continue, with its own config, data and seed. */
  readonly resume?: string;
  readonly epochs?: number;
  /** Epochs of a deep model's joint stage after pretraining (`train.pretraining.finalEpochs`; with `resume`: the total). */
  readonly finalEpochs?: number;
  readonly backend?: string;
  readonly device?: string;
  readonly seed?: number;
  readonly limit?: number;
  readonly progress?: boolean;
  /** Write the run's pictures at the end (`relief plot`; default true). */
  readonly plots?: boolean;
  /** Overwrite a run already in `out` (otherwise refused, naming `--resume` and `--force`). */
  readonly force?: boolean;
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${path}: cannot read the config (${(cause as NodeJS.ErrnoException).code ?? cause})`, {
      cause,
    });
  }
  return parseJsonText(text, path);
}

/**
 * `relief train`: trains the model a config describes, writing model, history and checkpoints
 * to `--out`, then its pictures (metrics, weights, fantasy particles, reconstructions). With
 * `--resume` it continues a run stopped by Ctrl-C, a crash or `kill -9` from its last
 * checkpoint, as if it had never stopped (`--epochs`, or `--final-epochs` for a deep model's
 * joint stage, may extend it). It refuses an `--out` that holds a run unless `--force`. It
 * answers Ctrl-C: while the data loads it quits with exit code 130;
 * while training, the first Ctrl-C saves the model and stops, a second quits at once.
 */
export async function train(options: TrainCommandOptions): Promise<{ interrupted: boolean; out: string }> {
  const { config, out, source } = await runConfig(options);
  const interrupt = interruptible();
  try {
    const result = await trainRun(config, out, source, options, interrupt);
    if (options.plots !== false) await plotRun(out);
    return { ...result, out };
  } finally {
    interrupt.release();
  }
}

/** `--backend`, when given, as one of the registered backends. @throws ConfigError naming `--backend` */
function checkBackendOption(options: TrainCommandOptions): void {
  if (options.backend !== undefined) checkChoice(options.backend, registeredBackends(), '--backend');
}

/** The run config (backend started, overrides applied), the output directory and where the config came from. */
async function runConfig(options: TrainCommandOptions): Promise<{ config: RunConfig; out: string; source: string }> {
  if (options.resume !== undefined) {
    const refused = (['config', 'seed', 'limit'] as const).filter((key) => options[key] !== undefined);
    if (refused.length > 0) {
      throw new ConfigError(
        `--resume continues a run with its own config, seed and data; drop ${refused.map((k) => `--${k}`).join(', ')}`,
      );
    }
    checkBackendOption(options);
    if (options.out !== undefined && options.out !== options.resume && !options.force) refuseExistingRun(options.out);
    const saved = await openRunConfig(options.resume, { backend: options.backend, device: options.device });
    const config = { ...saved, train: withEpochs(saved.train, options) };
    return { config, out: options.out ?? options.resume, source: `${options.resume}/model.json` };
  }
  if (options.config === undefined || options.out === undefined) {
    throw new ConfigError('relief train needs --config and --out (or --resume <dir> to continue a run)');
  }
  checkBackendOption(options);
  if (!options.force) refuseExistingRun(options.out);
  const raw = readConfigFile(options.config) as Record<string, unknown>;
  const overridden = {
    ...raw,
    ...(options.backend !== undefined && { backend: options.backend }),
    ...(options.device !== undefined && { device: options.device }),
    ...(options.seed !== undefined && { seed: options.seed }),
    train: withEpochs(raw.train as object, options),
    data: { ...(raw.data as object), ...(options.limit !== undefined && { limit: options.limit }) },
  };
  const config = parseRunConfig(overridden, options.config);
  await startBackend(config);
  return { config, out: options.out, source: options.config };
}

/** A config's `train` section with the `--epochs` and `--final-epochs` overrides. */
function withEpochs<T extends object>(section: T, options: TrainCommandOptions): T {
  const { pretraining } = section as { pretraining?: { rbmEpochs?: unknown } };
  if (options.epochs !== undefined && pretraining?.rbmEpochs !== undefined) {
    throw new ConfigError(
      'relief train: --epochs: this config gives each RBM its epochs in train.pretraining.rbmEpochs; change them there (--final-epochs sets the joint stage)',
    );
  }
  return {
    ...section,
    ...(options.epochs !== undefined && { epochs: options.epochs }),
    ...(options.finalEpochs !== undefined && { pretraining: { ...pretraining, finalEpochs: options.finalEpochs } }),
  };
}

async function trainRun(
  config: RunConfig,
  out: string,
  source: string,
  options: TrainCommandOptions,
  interrupt: Interruptible,
): Promise<{ interrupted: boolean }> {
  if (config.task === 'classify') {
    if (options.resume !== undefined) {
      throw new ConfigError(
        `--resume: ${options.resume} is a classifier run (task 'classify'); only generative runs resume`,
      );
    }
    return trainClassifier(config, { config: source, out, progress: options.progress, interrupt });
  }
  const checkpoint = options.resume === undefined ? undefined : await loadCheckpoint(options.resume);
  process.stderr.write('loading the data…\n');
  const model = checkpoint?.model ?? buildModel(config, source);
  const raw = await loadTrainingData(config);
  await interrupt.settle();
  const preprocessing = checkpoint ? checkpoint.preprocessing : await fitRunPreprocessing(config, raw);
  const data = preprocessing ? await preprocessing.transform(raw) : raw;
  if (data.columns !== model.layer(0).numUnits) {
    throw new DataError(
      `the data has ${data.columns} columns but model.layers[0] has ${model.layer(0).numUnits} units`,
    );
  }
  const batches = runBatches(config, data);
  if (!checkpoint) {
    await initializeModel(
      model,
      be.tensor(batches.hostMatrix('train').values, [batches.size('train'), data.columns]),
      config.model.init,
    );
  }

  const progress = progressReport(batches.size('train'), config.train.batchSize, options.progress);
  const trainOptions = buildTrainOptions(config, {
    ...watchHooks(config, out),
    signal: interrupt.signal,
    // Every epoch's checkpoint holds the model, the history and where training stands.
    checkpoint: { directory: out, metadata: { config }, ...(preprocessing && { preprocessing }) },
    ...(checkpoint && { resume: checkpoint.snapshot }),
    onBatch: progress.onBatch,
    onEpoch: progress.onEpoch,
  });
  const { method } = trainOptions;
  const optimizer = buildOptimizer(config);
  await interrupt.training();
  try {
    const history =
      model.numLayers > 2
        ? (
            await new LayerwisePretrain(model, batches).train(optimizer, config.train.epochs, {
              ...trainOptions,
              ...config.train.pretraining,
              finalOptimizer: buildFinalOptimizer(config),
              onStage: (stage) => progress.stage(stage.name),
            })
          ).stages.at(-1)
        : await new SGD(model, batches).train(optimizer, config.train.epochs, trainOptions);
    await writeRunFiles(out, config, history);
    return { interrupted: history?.aborted ?? false };
  } finally {
    progress.stop();
    method.persistent?.release();
  }
}
