/**
 * `relief train` for `task: 'classify'`. By default the model's layers are pretrained greedily
 * as a DBN (`train.epochs` per RBM; 0 skips pretraining and starts from random weights), then a
 * feed-forward network over the same layers plus a softmax layer is fine-tuned by
 * backpropagation (`classify`); the classifier is saved in `--out` (checkpointed every epoch),
 * the pretrained DBN in `--out/dbn` at the end. With a label method in `train.method`
 * (`discriminative`, `hybrid`, `generative-labels`) a label RBM `[inputs, hidden, labels]` is
 * trained instead and saved in `--out` like any model. With `classify.from: 'dbm'` the three
 * layers are trained as a DBM (layer by layer, then jointly: `train.pretraining`) and its
 * classifier, a network on [v, q(h² | v)], is fine-tuned; `--out` holds the network and the
 * DBM in `--out/dbm` (`saveDbmClassifier`).
 */
import { join } from 'node:path';
import { be } from 'relief/backends';
import type { InMemoryBatch, LabelledData } from 'relief/batch';
import { buildTrainOptions } from 'relief/config';
import { ConfigError, DataError } from 'relief/errors';
import { LayerwisePretrain, SGD } from 'relief/fit';
import { layerFromConfig } from 'relief/layers';
import { type BoltzmannMachine, initializeModel, saveModel } from 'relief/models';
import {
  DeepBeliefNetwork,
  dbmClassifier,
  FeedForwardNetwork,
  FineTune,
  type FineTuneOptions,
  saveClassifier,
  saveDbmClassifier,
  saveDeepBeliefNetwork,
} from 'relief/supervised';
import {
  buildClassifierOptimizer,
  buildFinalOptimizer,
  buildModel,
  buildOptimizer,
  loadLabelledTrainingData,
  type RunConfig,
  runBatches,
  usesLabelRBM,
} from '../config.js';
import { type Interruptible, progressReport, writeRunFiles } from '../run-output.js';
import { watchHooks } from '../run-setup.js';

/** Options of a classify run. */
interface ClassifyRunOptions {
  readonly config: string;
  readonly out: string;
  readonly progress?: boolean;
  /** Ctrl-C: its signal stops training (the model is saved); training() is called once the data has loaded. */
  readonly interrupt: Interruptible;
}

/** Trains the classifier a config describes; `out` receives it. */
export async function trainClassifier(
  config: RunConfig,
  options: ClassifyRunOptions,
): Promise<{ interrupted: boolean }> {
  process.stderr.write('loading the data…\n');
  const data = await loadLabelledTrainingData(config);
  await options.interrupt.settle();
  const inputs = config.model.layers[0]?.units;
  if (data.inputs.columns !== inputs) {
    throw new DataError(`the data has ${data.inputs.columns} input columns but model.layers[0] has ${inputs} units`);
  }
  const batches = runBatches(config, data.inputs, data);
  const progress = progressReport(batches.size('train'), config.train.batchSize, options.progress);
  const run = { config, options, data, batches, signal: options.interrupt.signal, progress };
  await options.interrupt.training();
  try {
    if (usesLabelRBM(config)) return await trainLabelRBM(run);
    return await (config.classify.from === 'dbm' ? trainDbmClassifier(run) : pretrainAndFineTune(run));
  } finally {
    progress.stop();
  }
}

/** What both kinds of classify run share: the config, the labelled batches, Ctrl-C and progress. */
interface ClassifyRun {
  readonly config: RunConfig;
  readonly options: ClassifyRunOptions;
  readonly data: LabelledData;
  readonly batches: InMemoryBatch;
  readonly signal: AbortSignal;
  readonly progress: ReturnType<typeof progressReport>;
}

/** Initializes a model's first layer and weights from the training split (`model.init`). */
async function initializeFromTrainingSplit(model: BoltzmannMachine, run: ClassifyRun): Promise<void> {
  const { batches, data, config } = run;
  const images = be.tensor(batches.hostMatrix('train').values, [batches.size('train'), data.inputs.columns]);
  await initializeModel(model, images, config.model.init);
  be.dispose(images);
}

/** A label RBM trained with the config's label method, saved in `--out`. */
async function trainLabelRBM(run: ClassifyRun): Promise<{ interrupted: boolean }> {
  const { config, options, progress } = run;
  const model = buildModel(config, options.config, run.data.numClasses);
  try {
    await initializeFromTrainingSplit(model, run);
    const history = await new SGD(model, run.batches).train(
      buildOptimizer(config),
      config.train.epochs,
      buildTrainOptions(config, {
        monitor: null,
        ...watchHooks(config, options.out),
        signal: run.signal,
        checkpoint: { directory: options.out, metadata: { config } },
        onBatch: progress.onBatch,
        onEpoch: progress.onEpoch,
      }),
    );
    await saveModel(model, options.out, { config, history: history.toJSON() });
    await writeRunFiles(options.out, config, history);
    return { interrupted: history.aborted };
  } finally {
    model.dispose();
  }
}

/** A DBN pretrained greedily, then fine-tuned as a feed-forward classifier. */
async function pretrainAndFineTune(run: ClassifyRun): Promise<{ interrupted: boolean }> {
  const { config, options, progress, data } = run;
  if (Object.keys(config.model.penalties).length > 0) {
    throw new ConfigError(
      `${options.config}: model.penalties: apply to task 'generative' and label methods only; remove them for fine-tuned classifiers`,
    );
  }
  const units = config.model.layers.map((layer) => layer.units);
  const dbn = DeepBeliefNetwork.fromLayers(
    config.model.layers.map((layer, i) => layerFromConfig(layer, `${options.config}: model.layers[${i}]`)),
  );
  try {
    const { classify } = config;
    const activation = { activation: classify.activation };
    let network: FeedForwardNetwork;
    let pretraining: unknown[] | undefined;
    if (config.train.epochs > 0) {
      await initializeFromTrainingSplit(dbn.rbms[0] as BoltzmannMachine, run);
      progress.stage('pretraining');
      const pretrainOptions = buildTrainOptions(config, {
        monitor: null,
        signal: run.signal,
        onBatch: progress.onBatch,
        onEpoch: progress.onEpoch,
      });
      const stages = await dbn
        .pretrain(run.batches, buildOptimizer(config), config.train.epochs, pretrainOptions)
        .finally(() => pretrainOptions.method.persistent?.release());
      pretraining = stages.map((history) => history.toJSON());
      network = FeedForwardNetwork.fromStack(dbn.rbms, data.numClasses, activation);
    } else {
      network = FeedForwardNetwork.random([...units, data.numClasses], activation);
    }
    if (pretraining) progress.stage('fine-tuning');
    const history = await new FineTune(network, run.batches).train(
      buildClassifierOptimizer(config),
      classify.epochs,
      fineTuneOptions(run),
    );
    await saveClassifier(network, options.out, { config, history: history.toJSON() });
    // Saves swap whole directories, so the DBN goes into the classifier's after its last save.
    if (pretraining) await saveDeepBeliefNetwork(dbn, join(options.out, 'dbn'), { config, pretraining });
    await writeRunFiles(options.out, config, history);
    network.dispose();
    return { interrupted: run.signal.aborted };
  } finally {
    dbn.dispose();
  }
}

/** `FineTune.train`'s options of a run: the config's cost and dropout, Ctrl-C, progress, a checkpoint each epoch. */
function fineTuneOptions(run: ClassifyRun): FineTuneOptions {
  const { config, options, progress } = run;
  return {
    cost: config.classify.cost,
    dropout: config.classify.dropout,
    inputDropout: config.classify.inputDropout,
    signal: run.signal,
    onBatch: progress.onBatch,
    onEpoch: progress.onEpoch,
    checkpoint: { directory: options.out, metadata: { config } },
  };
}

/**
 * A three-layer model trained as a DBM (each RBM, then the whole model: `LayerwisePretrain`
 * with `train.pretraining`), then its classifier on [v, q(h² | v)] fine-tuned and saved with
 * the DBM (`saveDbmClassifier`).
 */
async function trainDbmClassifier(run: ClassifyRun): Promise<{ interrupted: boolean }> {
  const { config, options, progress, data } = run;
  const dbm = buildModel(config, options.config);
  try {
    await initializeFromTrainingSplit(dbm, run);
    const trainOptions = buildTrainOptions(config, {
      monitor: null,
      signal: run.signal,
      onBatch: progress.onBatch,
      onEpoch: progress.onEpoch,
    });
    const { stages } = await new LayerwisePretrain(dbm, run.batches)
      .train(buildOptimizer(config), config.train.epochs, {
        ...trainOptions,
        ...config.train.pretraining,
        finalOptimizer: buildFinalOptimizer(config),
        onStage: (stage) => progress.stage(stage.name),
      })
      .finally(() => trainOptions.method.persistent?.release());
    const { meanFieldSteps } = config.classify;
    const classifier = dbmClassifier(dbm, data.numClasses, meanFieldSteps === undefined ? {} : { meanFieldSteps });
    try {
      progress.stage('fine-tuning');
      const history = await new FineTune(classifier.network, classifier.trainingData(run.batches)).train(
        buildClassifierOptimizer(config),
        config.classify.epochs,
        fineTuneOptions(run),
      );
      const pretraining = stages.map((stage) => stage.toJSON());
      await saveDbmClassifier(classifier, options.out, { config, history: history.toJSON(), pretraining });
      await writeRunFiles(options.out, config, history);
      return { interrupted: run.signal.aborted };
    } finally {
      classifier.dispose();
    }
  } finally {
    dbm.dispose();
  }
}
