/**
 * `BoltzmannMachine.fit`: training in one call, as `relief train` trains a run config's model.
 * Every default is the run config schema's own (its fields' `.default`s are reused here, not
 * restated), so a script's `rbm.fit(data)` and a config that names nothing but the model train
 * alike.
 */
import * as z from 'zod';
import { be, setSeed, type Tensor } from '../backends/index.js';
import { type BatchSource, type HostMatrix, InMemoryBatch } from '../batch/index.js';
import { ConfigError, DataError } from '../errors/index.js';
import {
  type EpochRecord,
  History,
  LayerwisePretrain,
  methodEntry,
  ProgressMonitor,
  type RunHooks,
  registeredMethods,
  SGD,
} from '../fit/index.js';
import { type BoltzmannMachine, initializeModel } from '../models/index.js';
import { Optimizer } from '../optimizers/index.js';
import { stepsizeConfigSchema } from '../schedules/index.js';
import { parseWith, show } from '../validation/index.js';
import {
  buildFinalOptimizer,
  buildOptimizer,
  buildTrainOptions,
  type MethodConfig,
  methodName,
  parseRunConfig,
  type RunConfig,
  runConfigSchema,
} from './run-config.js';

/**
 * What {@link fitModel} trains on: a host matrix `{ rows, columns, values }` (what
 * `@relief/data`'s readers return), a (rows, columns) tensor (read back to the host), or a
 * `BatchSource` (used as it is: its own batch size and split).
 */
export type FitData = HostMatrix | Tensor | BatchSource;

type Hooks = RunHooks<BoltzmannMachine>;

const hook = <T>(accepts: (value: unknown) => boolean, expected: string) =>
  z.custom<T>(accepts, { error: (issue) => `expected ${expected}, got ${show(issue.input)}` }).optional();
const isFunction = (value: unknown) => typeof value === 'function';
const isObject = (value: unknown) => typeof value === 'object' && value !== null;

/**
 * The schema of {@link FitOptions}: the run config's fields under flat names, each with the run
 * config's own default, plus what only code can pass (an optimizer or monitor object, callbacks).
 */
export function fitOptionsSchema() {
  const run = runConfigSchema().shape;
  const train = run.train.unwrap().shape;
  const data = run.data.unwrap().shape;
  return z.strictObject({
    /** Epochs (a deep model: per RBM of its pretraining, and of the joint stage unless `pretraining.finalEpochs`). */
    epochs: train.epochs,
    /** Rows per minibatch (host matrix or tensor data). */
    batchSize: train.batchSize,
    /** Fraction of the rows that train; the rest is the validation split the metrics read. */
    trainFraction: data.trainFraction,
    /** Seeds the backend's random draws (`backends.setSeed`) and the data's split and shuffles. */
    seed: run.seed,
    /** How a model not yet initialized is initialized from its training rows. */
    init: run.model.shape.init,
    /**
     * The gradient estimator as a run config's `train.method` gives it: a name ('pcd', 'cd',
     * 'fast-pcd', 'tap', 'pt') or `{ type, ...options }` (the label methods train label RBMs).
     */
    method: train.method,
    mcsteps: train.mcsteps,
    /** An optimizer's description (`{ type: 'adam', stepsize: 0.01 }`) or an `Optimizer`. */
    optimizer: z.union([z.instanceof(Optimizer), train.optimizer]),
    /** Replaces the described optimizer's step size: a number or a schedule's description. */
    stepsize: stepsizeConfigSchema.optional(),
    betaStd: train.betaStd,
    /** @deprecated write `method: { type: 'pt', betas }` */
    tempering: z.strictObject({ betas: z.array(z.number().gt(0).max(1)).min(2) }).optional(),
    centering: train.centering,
    positivePhase: train.positivePhase,
    pretraining: train.pretraining,
    dropout: train.dropout,
    sparsity: train.sparsity,
    restrictGradient: train.restrictGradient,
    /** The default progress monitor's metrics: all (true), none (false), or these by name. */
    metrics: train.metrics,
    /** A progress monitor of your own (or null for none), in place of `metrics`. */
    monitor: hook<ProgressMonitor | null>(
      (value) => value === null || value instanceof ProgressMonitor,
      'a ProgressMonitor or null',
    ),
    stopping: train.stopping,
    signal: hook<AbortSignal>((value) => value instanceof AbortSignal, 'an AbortSignal'),
    onBatch: hook<(epoch: number, samples: number) => void>(isFunction, 'a function'),
    onEpoch: hook<(record: EpochRecord, model: BoltzmannMachine) => void | Promise<void>>(isFunction, 'a function'),
    checkpoint: hook<NonNullable<Hooks['checkpoint']>>(isObject, 'an object { directory, every?, metadata? }'),
    keepBest: hook<NonNullable<Hooks['keepBest']>>(isObject, 'an object { metric, mode?, directory }'),
  });
}

/**
 * Options of {@link fitModel}, every one optional, each defaulting as its field of the run
 * config does (`train.epochs`, `train.batchSize`, `data.trainFraction`, `seed`, `model.init`,
 * `train.method`, `train.optimizer`, …; see `runConfigSchema`).
 */
export type FitOptions = z.input<ReturnType<typeof fitOptionsSchema>>;

/**
 * Trains `model` on `data` (mutates the model) as `relief train` trains the same model from a
 * run config: seeds the backend, splits the rows (`trainFraction`, `seed`) into minibatches,
 * initializes the model from its training rows if it has not been initialized yet, then runs
 * SGD — or, for a deep model (more than two layers), layerwise pretraining followed by joint
 * training (`fit.LayerwisePretrain`, with `pretraining`'s options).
 *
 * A model counts as not yet initialized when `fit` has not trained it before and its visible
 * layer still holds the parameters of a new layer of its kind (`layer.sameKind()`): nothing —
 * `initializeModel`, training, loading saved parameters — has set them. So `fit` initializes a
 * model it is given new, and continues from where a loaded, initialized or trained one stands.
 * (Data whose visible moments give exactly a new layer's parameters, such as columns that are
 * each on in exactly half the rows, leave a model that only `initializeModel` has seen looking
 * new: pass it to `fit` before initializing it, or not at all.)
 *
 * @param data - (rows, numVisible): a host matrix, a tensor, or a `BatchSource`
 * @returns the training history (of a deep model: its joint stage's, as `relief train` saves)
 * @throws ConfigError naming a bad or unknown option (with the closest allowed name)
 * @throws DataError when the data's columns are not the model's visible units
 */
export async function fitModel(model: BoltzmannMachine, data: FitData, options: FitOptions = {}): Promise<History> {
  const where = 'BoltzmannMachine.fit';
  const given = parseWith(fitOptionsSchema(), options, `${where}:`);
  checkGenerativeMethod(given.method, where);
  checkCombinations(given, options, where);
  const config = equivalentRunConfig(model, given, where);
  setSeed(config.seed);
  const batches = await batchSource(data, config, options, where);
  if (batches.numVisible !== model.layer(0).numUnits) {
    throw new DataError(
      `${where}: the data has ${batches.numVisible} columns but the model's visible layer has ${model.layer(0).numUnits} units`,
    );
  }
  if (!fitted.has(model) && (await holdsNewVisibleLayer(model))) {
    await initializeFromTraining(model, batches, config.model.init);
  }
  fitted.add(model);

  const { signal, onBatch, onEpoch, checkpoint, keepBest, stopping } = given;
  const trainOptions = buildTrainOptions(config, {
    ...(given.monitor !== undefined && { monitor: given.monitor }),
    ...(signal && { signal }),
    ...(onBatch && { onBatch }),
    ...(onEpoch && { onEpoch }),
    ...(checkpoint && { checkpoint }),
    ...(keepBest && { keepBest }),
    ...(stopping && { stopping }),
  });
  const { method } = trainOptions;
  // What this call makes only it can reach, so it frees them when training ends: the method's
  // persistent tensors, and the moments of optimizers it built (not of one it was given).
  const built = given.optimizer instanceof Optimizer ? [] : [buildOptimizer(config)];
  const optimizer = given.optimizer instanceof Optimizer ? given.optimizer : (built[0] as Optimizer);
  try {
    if (model.numLayers <= 2) return await new SGD(model, batches).train(optimizer, config.train.epochs, trainOptions);
    const finalOptimizer = buildFinalOptimizer(config);
    if (finalOptimizer) built.push(finalOptimizer);
    const { stages } = await new LayerwisePretrain(model, batches).train(optimizer, config.train.epochs, {
      ...trainOptions,
      ...config.train.pretraining,
      finalOptimizer,
    });
    return stages.at(-1) ?? new History();
  } finally {
    method.persistent?.release();
    for (const made of built) made.reset();
  }
}

type ParsedFitOptions = z.output<ReturnType<typeof fitOptionsSchema>>;

/** @throws ConfigError for a label method, which trains a label RBM, not the model `fit` is given */
function checkGenerativeMethod(method: MethodConfig, where: string): void {
  const name = methodName(method);
  const entry = methodEntry(name, `${where}: method`);
  if (entry.usesLabels) {
    const generative = registeredMethods().filter((e) => !e.usesLabels);
    throw new ConfigError(
      `${where}: method: expected one of ${generative.map((e) => `'${e.name}'`).join(', ')}, got '${name}' (a label RBM's method: train a label RBM with fit.SGD)`,
    );
  }
}

/** Refuses options that contradict each other. */
function checkCombinations(given: ParsedFitOptions, options: FitOptions, where: string): void {
  if (given.optimizer instanceof Optimizer && options.stepsize !== undefined) {
    throw new ConfigError(
      `${where}: stepsize: sets a described optimizer's step size; this optimizer is an Optimizer object with its own (${show(given.optimizer.stepsize.toConfig())})`,
    );
  }
  if (options.monitor !== undefined && options.metrics !== undefined) {
    throw new ConfigError(`${where}: metrics: give metrics (for the default monitor) or monitor, not both`);
  }
}

/**
 * The run config this call trains as: the model's layers, the options in their run-config
 * places (the schema fills in every default and checks the fields against each other), on the
 * backend in use.
 */
function equivalentRunConfig(model: BoltzmannMachine, given: ParsedFitOptions, where: string): RunConfig {
  const { epochs, batchSize, trainFraction, seed, init, method, mcsteps, betaStd, metrics, pretraining } = given;
  const described = given.optimizer instanceof Optimizer ? undefined : given.optimizer;
  const optimizer = described && given.stepsize !== undefined ? { ...described, stepsize: given.stepsize } : described;
  const sections = ['tempering', 'centering', 'positivePhase', 'dropout', 'sparsity', 'restrictGradient', 'stopping'];
  return parseRunConfig(
    {
      seed,
      backend: be.name,
      data: { trainFraction },
      model: { layers: model.layers.map((layer) => layer.toConfig()), init },
      train: {
        method,
        mcsteps,
        epochs,
        batchSize,
        betaStd,
        metrics,
        pretraining,
        ...(optimizer && { optimizer }),
        ...Object.fromEntries(
          sections.flatMap((key) => {
            const value = given[key as keyof ParsedFitOptions];
            return value === undefined ? [] : [[key, value]];
          }),
        ),
      },
    },
    `${where}, as a run config`,
  );
}

/** The minibatches of `data`: a `BatchSource` as it is, or the config's split of a host matrix or tensor. */
async function batchSource(data: FitData, config: RunConfig, options: FitOptions, where: string): Promise<BatchSource> {
  if (isBatchSource(data)) {
    const refused = (['batchSize', 'trainFraction'] as const).filter((key) => options[key] !== undefined);
    if (refused.length > 0) {
      throw new ConfigError(
        `${where}: ${refused.join(', ')}: apply to a host matrix or tensor; this BatchSource has its own (batch size ${data.batchSize})`,
      );
    }
    return data;
  }
  return new InMemoryBatch(await hostMatrix(data, where), {
    batchSize: config.train.batchSize,
    trainFraction: config.data.trainFraction,
    seed: config.seed,
  });
}

function isBatchSource(data: FitData): data is BatchSource {
  return typeof (data as Partial<BatchSource>).batches === 'function';
}

function isHostMatrix(data: FitData): data is HostMatrix {
  const candidate = data as Partial<HostMatrix>;
  return typeof candidate.rows === 'number' && typeof candidate.columns === 'number' && candidate.values !== undefined;
}

/** A host matrix as it is, or a (rows, columns) tensor read back. */
async function hostMatrix(data: HostMatrix | Tensor, where: string): Promise<HostMatrix> {
  if (isHostMatrix(data)) return data;
  let shape: readonly number[];
  try {
    shape = be.shape(data);
  } catch (cause) {
    throw new DataError(
      `${where}: data: expected a host matrix { rows, columns, values }, a (rows, columns) tensor or a BatchSource, got ${show(data)}`,
      { cause },
    );
  }
  if (shape.length !== 2) {
    throw new DataError(`${where}: data: expected a (rows, columns) tensor, got shape [${shape.join(', ')}]`);
  }
  const [rows, columns] = shape as [number, number];
  return { rows, columns, values: await be.read(data) };
}

/** The models {@link fitModel} has initialized or trained. */
const fitted = new WeakSet<BoltzmannMachine>();

/** Whether the visible layer still holds a new layer's parameters (see {@link fitModel}). */
async function holdsNewVisibleLayer(model: BoltzmannMachine): Promise<boolean> {
  const visible = model.layer(0);
  const fresh = visible.sameKind();
  try {
    for (const name of visible.paramNames) {
      const [now, initial] = await Promise.all([be.read(visible.param(name)), be.read(fresh.param(name))]);
      if (now.some((value, i) => value !== initial[i])) return false;
    }
    return true;
  } finally {
    fresh.dispose();
  }
}

/** Initializes the model from the training split, as `relief train` does. */
async function initializeFromTraining(
  model: BoltzmannMachine,
  batches: BatchSource,
  method: RunConfig['model']['init'],
): Promise<void> {
  if (!(batches instanceof InMemoryBatch)) return initializeModel(model, batches.batches('train'), method);
  const training = batches.hostMatrix('train');
  const rows = be.tensor(training.values, [training.rows, training.columns]);
  try {
    await initializeModel(model, rows, method);
  } finally {
    be.dispose(rows);
  }
}
