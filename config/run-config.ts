/**
 * The run config: one JSON document that names a backend, a data source, a model, an
 * optimizer and a fit method. One zod schema gives its validation (strict at every level,
 * with "did you mean"), its TypeScript type, its defaults and its JSON Schema for editors.
 * `relief train` reads it; notebooks and scripts can too (`parseRunConfig`, `buildModel`, …).
 */
import * as z from 'zod';
import { checkDevice, registeredBackends } from '../backends/index.js';
import { preprocessingStepSchema, TRANSFORMS } from '../batch/index.js';
import { constraintConfigSchema, constraintFromConfig } from '../constraints/index.js';
import { ConfigError } from '../errors/index.js';
import {
  createMethod,
  DROPOUT_TYPES,
  type FitMethod,
  METRIC_NAMES,
  methodEntry,
  metricsByName,
  PRETRAINING_SCALINGS,
  ProgressMonitor,
  RESTRICTION_NORMS,
  registeredMethods,
  restrictGradient,
  sparsityTarget,
  type TrainOptions,
  withDropout,
} from '../fit/index.js';
import {
  ConvolutionalWeights,
  convolutionGeometrySchema,
  type Layer,
  layerConfigSchema,
  layerFromConfig,
} from '../layers/index.js';
import { BoltzmannMachine, INITIALIZATION_METHODS, OFFSET_TYPES, tieChannelBiases } from '../models/index.js';
import { DEFAULT_STEPSIZE, type Optimizer, optimizerConfigSchema, optimizerFromConfig } from '../optimizers/index.js';
import { penaltyConfigSchema, penaltyFromConfig } from '../penalties/index.js';
import { UPDATERS } from '../samplers/index.js';
// supervised/ registers the label RBMs' fit methods (discriminative, hybrid, generative-labels).
import { ACTIVATIONS, COSTS, labelRBM, VALIDATION_METRICS } from '../supervised/index.js';
import { didYouMean, parseJsonText, parseWith } from '../validation/index.js';

/** Where a run's data comes from: a bundled data set or a file. */
export const DATA_SOURCES = ['mnist', 'fashion-mnist', 'csv', 'npy', 'idx'] as const;
/** Fit methods that train a label RBM `[inputs, hidden, labels]` on labelled data (`task: 'classify'`). */
export const LABEL_METHODS = ['discriminative', 'hybrid', 'generative-labels'] as const;
/** The sources read from `data.path`. */
const FILE_SOURCES: readonly string[] = ['csv', 'npy', 'idx'];

/** What a stopping rule or keepBest may watch: the monitor's metrics and a label RBM's validation figures. */
const WATCHABLE_METRICS = [...METRIC_NAMES, ...VALIDATION_METRICS] as const;

function isValidationMetric(name: string | undefined): name is (typeof VALIDATION_METRICS)[number] {
  return (VALIDATION_METRICS as readonly (string | undefined)[]).includes(name);
}

/**
 * The schema of `train.method`: a registered fit method's name (`"pcd"`), or the method with
 * its options, tagged by `type` (`{ "type": "pt", "betas": [1, 0.5] }`), from the registry's
 * schemas (`fit.registeredMethods()`).
 */
export function methodConfigSchema() {
  const entries = registeredMethods();
  const names = entries.map((entry) => entry.name) as [string, ...string[]];
  const tagged = entries.map((entry) => entry.schema.extend({ type: z.literal(entry.name) }));
  const schema = z.union([
    z.enum(names),
    z.discriminatedUnion('type', tagged as unknown as [z.ZodObject, ...z.ZodObject[]]),
  ]);
  return schema as unknown as z.ZodType<MethodConfig, MethodConfig>;
}

/** A `train.method` as written: a name, or `{ type, ...options }`. */
export type MethodConfig = string | ({ readonly type: string } & Readonly<Record<string, unknown>>);

/** The name of a `train.method` (`'pt'` for `{ type: 'pt', … }`). */
export function methodName(method: MethodConfig): string {
  return typeof method === 'string' ? method : method.type;
}

/** The options of a `train.method` (none for a bare name). */
export function methodOptions(method: MethodConfig): Record<string, unknown> {
  if (typeof method === 'string') return {};
  const { type: _type, ...options } = method;
  return options;
}

/**
 * Older flat `train` fields that are now options of one method: `alpha` (hybrid's) and
 * `tempering` (`{ betas }`, pt's). A config with `train.method` that method still loads, the
 * field moved into `train.method`'s options.
 */
const FLAT_METHOD_FIELDS: Readonly<Record<string, { method: string; options: (value: unknown) => object }>> = {
  alpha: { method: 'hybrid', options: (alpha) => ({ alpha }) },
  tempering: {
    method: 'pt',
    options: (tempering) => (typeof tempering === 'object' && tempering !== null ? tempering : { betas: tempering }),
  },
};

/** A plain object (not an array), for the checks made before the schema's. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The input with the flat method fields moved into `train.method`, and an option given to the
 * wrong method refused naming both. Leaves what it does not understand to the schema.
 */
function withMethodOptions(input: unknown, where: string): unknown {
  if (!isRecord(input) || !isRecord(input.train)) return input;
  const train: Record<string, unknown> = { ...input.train };
  let method = train.method ?? 'pcd';
  const nameOf = (value: unknown) => (typeof value === 'string' ? value : isRecord(value) ? value.type : undefined);
  for (const [field, { method: owner, options }] of Object.entries(FLAT_METHOD_FIELDS)) {
    if (train[field] === undefined) continue;
    const name = nameOf(method);
    if (name !== owner) {
      throw new ConfigError(
        `${where}: train.${field}: an option of method '${owner}', not of '${String(name)}'; for '${owner}' write train.method { "type": "${owner}", ${JSON.stringify(options(train[field])).slice(1, -1)} }`,
      );
    }
    method = { ...(isRecord(method) ? method : { type: owner }), ...options(train[field]) };
    delete train[field];
  }
  if (isRecord(method) && typeof method.type === 'string' && registeredMethods().some((e) => e.name === method.type)) {
    const own = Object.keys(methodEntry(method.type as string).schema.shape);
    for (const key of Object.keys(method)) {
      if (key === 'type' || own.includes(key)) continue;
      const owners = registeredMethods().filter((entry) => key in entry.schema.shape);
      if (owners.length > 0) {
        throw new ConfigError(
          `${where}: train.method.${key}: an option of method ${owners.map((e) => `'${e.name}'`).join(', ')}, not of '${method.type}'`,
        );
      }
    }
  }
  if (train.method !== undefined || method !== 'pcd') train.method = method;
  return { ...input, train };
}

/** The schema of a run config; backend and layer names are those registered when it is called. */
export function runConfigSchema() {
  return z.strictObject({
    /** A JSON Schema URL for editors; ignored. */
    $schema: z.string().optional(),
    seed: z.int().min(0).default(137),
    backend: z.enum(registeredBackends()).default('cpu'),
    device: z.string().optional(),
    data: z
      .strictObject({
        source: z.enum(DATA_SOURCES).default('mnist'),
        path: z.string().optional(),
        transform: z.enum(Object.keys(TRANSFORMS) as (keyof typeof TRANSFORMS)[]).default('none'),
        trainFraction: z.number().gt(0).max(1).default(0.95),
        limit: z.int().min(1).optional(),
        /**
         * Preprocessing fitted on the training split after `transform` (standardize, removeMean,
         * removeRowMeans, l1Normalize, rescale, pca, zca), saved with the model and applied again
         * when it is evaluated.
         */
        preprocessing: z.array(preprocessingStepSchema).min(1).optional(),
      })
      .prefault({}),
    model: z.strictObject({
      layers: z.array(layerConfigSchema()).min(2),
      penalties: z.record(z.string(), penaltyConfigSchema).default({}),
      /** Constraints by parameter key, e.g. `{ "connections.0.W": "nonNegative" }`. */
      constraints: z.record(z.string(), constraintConfigSchema).default({}),
      init: z.enum(INITIALIZATION_METHODS).default('hinton'),
      /**
       * Convolutional weights between the two layers (Learnergy's ConvRBM; a `gaussian` first
       * layer makes its GaussianConvRBM): the layers' units are channels·height·width and
       * filters·outHeight·outWidth; `tiedBiases` keeps one bias per channel and filter (default true).
       */
      convolution: convolutionGeometrySchema.extend({ tiedBiases: z.boolean().default(true) }).optional(),
    }),
    /**
     * `'generative'` trains the model; `'classify'` pretrains it as a DBN, then fine-tunes a
     * classifier, or with a label method (`train.method`) trains a label RBM over its two layers.
     */
    task: z.enum(['generative', 'classify']).default('generative'),
    train: z
      .strictObject({
        /**
         * The fit method: a name (`"pcd"`, `"cd"`, `"fast-pcd"`, `"tap"`, `"pt"`, or a label
         * method) or the method with its options, `{ "type": "pt", "betas": [1, 0.5] }`,
         * `{ "type": "hybrid", "alpha": 0.01 }`.
         */
        method: methodConfigSchema().default('pcd'),
        mcsteps: z.int().min(1).default(1),
        epochs: z.int().min(0).default(5),
        batchSize: z.int().min(1).default(100),
        optimizer: optimizerConfigSchema.prefault({ type: 'adam', stepsize: DEFAULT_STEPSIZE }),
        betaStd: z.number().min(0).default(0),
        /** Centered training (Melchior et al. 2016): offsets follow each layer's means at this rate. */
        centering: z
          .strictObject({ rate: z.number().gt(0).max(1).default(0.01), offsets: z.enum(OFFSET_TYPES).default('data') })
          .optional(),
        /**
         * How the positive phase of a deep model moves its hidden layers (default: as the
         * negative phase, `mcsteps` Gibbs sweeps); Salakhutdinov & Hinton: 10 mean-field sweeps.
         */
        positivePhase: z
          .strictObject({
            updater: z.enum(UPDATERS).default('meanFieldIteration'),
            mcsteps: z.int().min(1).default(10),
          })
          .optional(),
        /**
         * Layerwise pretraining of a deep model (`train.epochs` per RBM or `rbmEpochs`, one per
         * RBM, then `finalEpochs` of the whole model, default `train.epochs`, with
         * `finalOptimizer`, default `train.optimizer`): how the RBMs join it (Salakhutdinov &
         * Hinton's doubled and halved weights, or plain stacking) and Paysage's per-stage
         * initialization of each RBM on its own data.
         */
        pretraining: z
          .strictObject({
            scaling: z.enum(PRETRAINING_SCALINGS).default('salakhutdinov-hinton'),
            init: z.enum(INITIALIZATION_METHODS).optional(),
            rbmEpochs: z.array(z.int().min(0)).min(1).optional(),
            finalEpochs: z.int().min(0).optional(),
            finalOptimizer: optimizerConfigSchema.optional(),
          })
          .prefault({}),
        /** The progress monitor's metrics on the validation split: all default ones (true), none, or these by name. */
        metrics: z.union([z.boolean(), z.array(z.enum(METRIC_NAMES)).min(1)]).default(true),
        /**
         * Stops early when `metric` has not improved by more than `tolerance` for `patience` epochs:
         * a monitor metric, or for a label RBM its validation loss or accuracy.
         */
        stopping: z
          .strictObject({
            metric: z.enum(WATCHABLE_METRICS),
            mode: z.enum(['min', 'max']).default('min'),
            tolerance: z.number().min(0).default(0),
            patience: z.int().min(1).default(1),
          })
          .optional(),
        /** `relief train` saves the model at each new best of `metric` to `<out>.best`, beside the run. */
        keepBest: z
          .strictObject({ metric: z.enum(WATCHABLE_METRICS), mode: z.enum(['min', 'max']).default('min') })
          .optional(),
        /**
         * The dropout family (Learnergy's DropoutRBM, DropConnectRBM, EDropoutRBM) around a
         * `cd` or `pcd` method: `rate` drops hidden units or connections (`energyDropout` draws
         * its own rates).
         */
        dropout: z
          .strictObject({ type: z.enum(DROPOUT_TYPES).default('dropout'), rate: z.number().min(0).lt(1).default(0.5) })
          .optional(),
        /** PyDeep's sparseness regularization: each hidden unit's mean activation pulled toward `target`. */
        sparsity: z.strictObject({ target: z.number().min(0), strength: z.number().min(0) }).optional(),
        /** PyDeep's gradient restriction: weight gradients scaled down to `maxNorm` (per column, row or matrix). */
        restrictGradient: z
          .strictObject({ maxNorm: z.number().gt(0), norm: z.enum(RESTRICTION_NORMS).default('columns') })
          .optional(),
      })
      .prefault({}),
    /** Fine-tuning of `task: 'classify'`: a feed-forward network over the model's layers plus a softmax layer. */
    classify: z
      .strictObject({
        /**
         * What the network starts from: `'dbn'`, the model's layers pretrained greedily as a
         * DBN; `'dbm'`, a three-layer Bernoulli model v–h¹–h² trained as a DBM (layer by layer,
         * then jointly, as `train.pretraining` says) whose network takes [v, q(h² | v)]
         * (Salakhutdinov & Hinton 2009).
         */
        from: z.enum(['dbn', 'dbm']).default('dbn'),
        /** With `from: 'dbm'`: the mean-field sweeps that give q(h² | v) (default 10). */
        meanFieldSteps: z.int().min(0).optional(),
        epochs: z.int().min(0).default(10),
        activation: z.enum(ACTIVATIONS).default('sigmoid'),
        /** The cost backpropagation minimizes (PyDeep's costs): softmax cross-entropy, squared error, or per-class cross-entropy. */
        cost: z.enum(COSTS).default('softmaxCrossEntropy'),
        dropout: z.number().min(0).lt(1).default(0),
        inputDropout: z.number().min(0).lt(1).default(0),
        optimizer: optimizerConfigSchema.prefault({ type: 'momentum', stepsize: 0.05, momentum: 0.9 }),
        /** For csv and npy data: the column holding each row's class (default the last). */
        labelColumn: z.int().default(-1),
      })
      .prefault({}),
  });
}

/** A validated run config, every default filled in. */
export type RunConfig = z.output<ReturnType<typeof runConfigSchema>>;
/** A run config as written (optional fields may be absent). */
export type RunConfigInput = z.input<ReturnType<typeof runConfigSchema>>;

/**
 * Validates an untrusted run config.
 * @param where - names the document in errors (a file path); messages read `where: train.epochs: …`
 * @throws ConfigError naming every bad field, unknown key (with the closest allowed one) and bad name;
 *   penalty keys are checked by {@link buildModel}, which knows the parameters
 */
export function parseRunConfig(input: unknown, where = 'config'): RunConfig {
  const config = parseWith(runConfigSchema(), withMethodOptions(input, where), `${where}:`);
  if (config.device !== undefined) checkDevice(config.backend, config.device, `${where}: device`);
  if (usesLabelRBM(config)) {
    const labelled = `${where}: train.method: '${methodName(config.train.method)}' trains a label RBM`;
    if (config.task !== 'classify') throw new ConfigError(`${labelled}: set task to 'classify'`);
    if (config.model.layers.length !== 2) {
      throw new ConfigError(
        `${labelled}: expected model.layers [inputs, hidden] (the label layer is added), got ${config.model.layers.length} layers`,
      );
    }
  }
  if (config.model.convolution !== undefined && (config.model.layers.length !== 2 || config.task !== 'generative')) {
    throw new ConfigError(
      `${where}: model.convolution: expected a generative RBM (task 'generative', two layers), got task '${config.task}' with ${config.model.layers.length} layers`,
    );
  }
  checkDbmClassifier(config, where);
  const { rbmEpochs, finalOptimizer } = config.train.pretraining;
  const deepGenerative = config.task === 'generative' && config.model.layers.length > 2;
  for (const [field, given] of Object.entries({ rbmEpochs, finalOptimizer })) {
    if (given !== undefined && !deepGenerative && !trainsDbmClassifier(config)) {
      throw new ConfigError(
        `${where}: train.pretraining.${field}: applies to the layerwise pretraining of a deep generative model (task 'generative', three or more layers), got task '${config.task}' with ${config.model.layers.length} layers; a DBM classifier (task 'classify', classify.from 'dbm') takes it too`,
      );
    }
  }
  if (rbmEpochs !== undefined && rbmEpochs.length !== config.model.layers.length - 1) {
    throw new ConfigError(
      `${where}: train.pretraining.rbmEpochs: expected one count per RBM of model.layers (${config.model.layers.length - 1}), got ${rbmEpochs.length}`,
    );
  }
  const { dropout, sparsity } = config.train;
  const method = methodName(config.train.method);
  if (dropout !== undefined && method !== 'cd' && method !== 'pcd') {
    throw new ConfigError(`${where}: train.dropout: expected train.method 'cd' or 'pcd', got '${method}'`);
  }
  for (const field of ['stopping', 'keepBest'] as const) {
    const watched = config.train[field]?.metric;
    const metrics = config.train.metrics;
    if (isValidationMetric(watched)) {
      if (!usesLabelRBM(config)) {
        throw new ConfigError(
          `${where}: train.${field}.metric: '${watched}' is a label RBM's classification of the validation split; expected train.method 'discriminative', 'hybrid' or 'generative-labels', got '${method}'`,
        );
      }
    } else if (watched !== undefined && metrics !== true && !(metrics !== false && metrics.includes(watched))) {
      throw new ConfigError(`${where}: train.${field}.metric: '${watched}' is not among train.metrics; add it there`);
    }
    if (watched !== undefined && config.data.trainFraction === 1) {
      throw new ConfigError(
        `${where}: train.${field}: metrics are measured on the validation split; set data.trainFraction below 1`,
      );
    }
  }
  if (sparsity !== undefined && usesLabelRBM(config)) {
    throw new ConfigError(`${where}: train.sparsity: expected an unlabelled train.method, got '${method}'`);
  }
  const { source, path } = config.data;
  if (FILE_SOURCES.includes(source) && path === undefined) {
    throw new ConfigError(`${where}: data.path: required for source '${source}': expected a file path`);
  }
  return config;
}

/** A run config from JSON text (a file's contents). @throws ConfigError for invalid JSON or config */
export function parseRunConfigText(text: string, where = 'config'): RunConfig {
  return parseRunConfig(parseJsonText(text, where), where);
}

/** Whether a config fine-tunes a DBM as a classifier (`task: 'classify'`, `classify.from: 'dbm'`). */
function trainsDbmClassifier(config: RunConfig): boolean {
  return config.task === 'classify' && config.classify.from === 'dbm';
}

/** @throws ConfigError when `classify.from: 'dbm'` (or its `meanFieldSteps`) meets a model or method it cannot use */
function checkDbmClassifier(config: RunConfig, where: string): void {
  const { from, meanFieldSteps } = config.classify;
  if (meanFieldSteps !== undefined && from !== 'dbm') {
    throw new ConfigError(`${where}: classify.meanFieldSteps: applies to classify.from 'dbm', got from '${from}'`);
  }
  if (from !== 'dbm') return;
  const dbm = `${where}: classify.from: 'dbm'`;
  if (config.task !== 'classify') throw new ConfigError(`${dbm}: applies to task 'classify', got '${config.task}'`);
  if (usesLabelRBM(config)) {
    throw new ConfigError(
      `${dbm}: expected an unlabelled train.method for the DBM, got '${methodName(config.train.method)}'`,
    );
  }
  if (config.classify.activation !== 'sigmoid') {
    throw new ConfigError(
      `${dbm}: the network's hidden units are the DBM's, so classify.activation must be 'sigmoid', got '${config.classify.activation}'`,
    );
  }
  const types = config.model.layers.map((layer) => layer.type);
  if (types.length !== 3 || types.some((type) => type !== 'bernoulli')) {
    throw new ConfigError(
      `${dbm}: expected model.layers of three bernoulli layers (v, h¹, h²), got [${types.join(', ')}]`,
    );
  }
}

/** Whether a config trains a label RBM (a label method in `train.method`). */
export function usesLabelRBM(config: RunConfig): boolean {
  return (LABEL_METHODS as readonly string[]).includes(methodName(config.train.method));
}

/**
 * The model a config describes, with its penalties and constraints attached (weights random until
 * initialized): for a label method, the label RBM over its two layers with `numClasses` labels.
 * @param numClasses - the data's class count; required when the config uses a label method
 */
export function buildModel(config: RunConfig, where = 'config', numClasses?: number): BoltzmannMachine {
  const units = config.model.layers.map((layer) => layer.units);
  const labelled = usesLabelRBM(config);
  if (labelled && numClasses === undefined) {
    throw new ConfigError(`${where}: train.method '${methodName(config.train.method)}' needs the data's class count`);
  }
  const { convolution } = config.model;
  if (convolution) return convolutionalModel(config, where);
  BoltzmannMachine.checkMemory(labelled ? [...units, numClasses as number] : units);
  const layers = config.model.layers.map((layer, i) => layerFromConfig(layer, `${where}: model.layers[${i}]`));
  const model = labelled
    ? labelRBM(layers[0] as Layer, layers[1] as Layer, numClasses as number)
    : new BoltzmannMachine(layers);
  attachParameterConfig(model, config, where);
  return model;
}

/** The convolutional RBM of a config with `model.convolution`, its layers' sizes checked against the geometry. */
function convolutionalModel(config: RunConfig, where: string): BoltzmannMachine {
  const { tiedBiases, ...geometry } = config.model.convolution as NonNullable<RunConfig['model']['convolution']>;
  const weights = new ConvolutionalWeights(geometry);
  const expected = [weights.numLower, weights.numUpper];
  config.model.layers.forEach((layer, i) => {
    if (layer.units !== expected[i]) {
      weights.dispose();
      throw new ConfigError(
        `${where}: model.layers[${i}].units: model.convolution (${weights.describe()}) needs ${expected[i]} units, got ${layer.units}`,
      );
    }
  });
  const layers = config.model.layers.map((layer, i) => layerFromConfig(layer, `${where}: model.layers[${i}]`));
  const model = new BoltzmannMachine(layers, { weights: [weights] });
  if (tiedBiases) tieChannelBiases(model);
  attachParameterConfig(model, config, where);
  return model;
}

/** Attaches the config's penalties and constraints by parameter key (disposing the model on a bad key). */
function attachParameterConfig(model: BoltzmannMachine, config: RunConfig, where: string): void {
  const parameters = model.namedParameters();
  const owning = (key: string, field: string) => {
    const target = parameters.find((p) => p.key === key);
    if (target) return target;
    model.dispose();
    const keys = parameters.map((p) => p.key);
    throw new ConfigError(
      `${where}: model.${field}.${key}: no such parameter${didYouMean(key, keys)} (the model has ${keys.join(', ')})`,
    );
  };
  for (const [key, penalty] of Object.entries(config.model.penalties)) {
    const { owner, name } = owning(key, 'penalties');
    owner.addPenalty({ [name]: penaltyFromConfig(penalty, `${where}: model.penalties.${key}`) });
  }
  for (const [key, type] of Object.entries(config.model.constraints)) {
    const { owner, name } = owning(key, 'constraints');
    try {
      owner.addConstraint({ [name]: constraintFromConfig(type) });
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
}

/** The progress monitor a config asks for (`train.metrics`), or null for none. */
export function buildMonitor(config: RunConfig): ProgressMonitor | null {
  const { metrics } = config.train;
  if (metrics === false) return null;
  return new ProgressMonitor({ maxBatches: 5, ...(metrics !== true && { metrics: metricsByName(metrics) }) });
}

/** The optimizer a config describes. */
export function buildOptimizer(config: RunConfig): Optimizer {
  return optimizerFromConfig(config.train.optimizer, 'train.optimizer');
}

/** The joint stage's optimizer of a deep model's pretraining, where the config gives one (`train.pretraining.finalOptimizer`). */
export function buildFinalOptimizer(config: RunConfig): Optimizer | undefined {
  const { finalOptimizer } = config.train.pretraining;
  return finalOptimizer && optimizerFromConfig(finalOptimizer, 'train.pretraining.finalOptimizer');
}

/** The fine-tuning optimizer of a `task: 'classify'` config. */
export function buildClassifierOptimizer(config: RunConfig): Optimizer {
  return optimizerFromConfig(config.classify.optimizer, 'classify.optimizer');
}

/**
 * The fit method a config names, made fresh by the registry's factory from its options (`pt`
 * takes `train.mcsteps` unless its options give `mcsteps`), wrapped in its dropout, sparsity
 * target and gradient restriction.
 */
export function buildMethod(config: RunConfig): FitMethod {
  const { dropout, sparsity, restrictGradient: restriction } = config.train;
  const name = methodName(config.train.method);
  const options = methodOptions(config.train.method);
  let method = createMethod(
    name,
    name === 'pt' && options.mcsteps === undefined ? { ...options, mcsteps: config.train.mcsteps } : options,
    'train.method',
  );
  if (dropout) method = withDropout(method, dropout.type, dropout.rate);
  if (sparsity) method = sparsityTarget(method, sparsity);
  if (restriction) method = restrictGradient(method, restriction);
  return method;
}

/** {@link TrainOptions} whose fit method is always given (the one {@link buildTrainOptions} made). */
export type BuiltTrainOptions = TrainOptions & { readonly method: FitMethod };

/**
 * The SGD options a config describes — its fit method (made fresh by {@link buildMethod}),
 * `mcsteps`, `betaStd`, `positivePhase`, `centering` and the monitor of `train.metrics` — with
 * `extras` (hooks, checkpoints, a resume, a monitor of the caller's own) given over them.
 * The caller frees the method's persistent tensors when training ends:
 * `options.method.persistent?.release()`.
 */
export function buildTrainOptions(config: RunConfig, extras: Omit<TrainOptions, 'method'> = {}): BuiltTrainOptions {
  const { mcsteps, betaStd, positivePhase, centering } = config.train;
  return {
    mcsteps,
    betaStd,
    ...(positivePhase && { positivePhase }),
    ...(centering && { centering }),
    ...extras,
    monitor: extras.monitor !== undefined ? extras.monitor : buildMonitor(config),
    method: buildMethod(config),
  };
}

/**
 * The JSON Schema of run configs (draft 2020-12), for editors: point a config's `$schema` at it.
 * A part used more than once is written once, under `$defs` (by name where it has one).
 */
export function runConfigJsonSchema(): Record<string, unknown> {
  const names = z.registry<{ id: string }>();
  names.add(optimizerConfigSchema, { id: 'optimizer' });
  names.add(penaltyConfigSchema, { id: 'penalty' });
  names.add(constraintConfigSchema, { id: 'constraint' });
  names.add(preprocessingStepSchema, { id: 'preprocessingStep' });
  return z.toJSONSchema(runConfigSchema(), {
    io: 'input',
    unrepresentable: 'any',
    reused: 'ref',
    metadata: names,
  }) as Record<string, unknown>;
}
