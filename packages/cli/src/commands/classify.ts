/**
 * `relief train` for `task: 'classify'`: the model's layers are pretrained greedily as a DBN
 * (`train.epochs` per RBM; 0 skips pretraining and starts from random weights), then a
 * feed-forward network over the same layers plus a softmax layer is fine-tuned by
 * backpropagation (`classify`). The classifier is saved in `--out` (checkpointed every
 * epoch), the pretrained DBN in `--out/dbn` at the end.
 */
import { join } from 'node:path';
import { be } from 'relief/backends';
import { InMemoryBatch } from 'relief/batch';
import { ConfigError, DataError } from 'relief/errors';
import { layerFromConfig } from 'relief/layers';
import { initializeModel } from 'relief/models';
import {
  DeepBeliefNetwork,
  FeedForwardNetwork,
  FineTune,
  saveClassifier,
  saveDeepBeliefNetwork,
} from 'relief/supervised';
import {
  buildClassifierOptimizer,
  buildMethod,
  buildOptimizer,
  loadRunLabelledData,
  type RunConfig,
} from '../config.js';
import { interruptible, progressReport, writeRunFiles } from '../run-output.js';

/** Pretrains and fine-tunes the classifier a config describes; `out` receives it. */
export async function trainClassifier(
  config: RunConfig,
  options: { readonly config: string; readonly out: string; readonly progress?: boolean },
): Promise<{ interrupted: boolean }> {
  if (Object.keys(config.model.penalties).length > 0) {
    throw new ConfigError(
      `${options.config}: model.penalties: apply to task 'generative' only; remove them for 'classify'`,
    );
  }
  const data = await loadRunLabelledData(config, 'train');
  const units = config.model.layers.map((layer) => layer.units);
  if (data.inputs.columns !== units[0]) {
    throw new DataError(`the data has ${data.inputs.columns} input columns but model.layers[0] has ${units[0]} units`);
  }
  const batches = new InMemoryBatch(data.inputs, {
    batchSize: config.train.batchSize,
    trainFraction: config.data.trainFraction,
    seed: config.seed,
    labels: data.labels,
    numClasses: data.numClasses,
  });
  const controller = interruptible();
  const progress = progressReport(batches.size('train'), config.train.batchSize, options.progress);
  const dbn = DeepBeliefNetwork.fromLayers(
    config.model.layers.map((layer, i) => layerFromConfig(layer, `${options.config}: model.layers[${i}]`)),
  );
  try {
    const { classify } = config;
    const activation = { activation: classify.activation };
    let network: FeedForwardNetwork;
    let pretraining: unknown[] | undefined;
    if (config.train.epochs > 0) {
      const images = be.tensor(batches.hostMatrix('train').values, [batches.size('train'), data.inputs.columns]);
      await initializeModel(dbn.rbms[0] as DeepBeliefNetwork['rbms'][number], images, config.model.init);
      be.dispose(images);
      const stages = await dbn.pretrain(batches, buildOptimizer(config), config.train.epochs, {
        method: buildMethod(config),
        mcsteps: config.train.mcsteps,
        monitor: null,
        signal: controller.signal,
        onBatch: progress.onBatch,
        onEpoch: progress.onEpoch,
      });
      pretraining = stages.map((history) => history.toJSON());
      network = FeedForwardNetwork.fromStack(dbn.rbms, data.numClasses, activation);
    } else {
      network = FeedForwardNetwork.random([...units, data.numClasses], activation);
    }
    const history = await new FineTune(network, batches).train(buildClassifierOptimizer(config), classify.epochs, {
      dropout: classify.dropout,
      inputDropout: classify.inputDropout,
      signal: controller.signal,
      onBatch: progress.onBatch,
      onEpoch: progress.onEpoch,
      checkpoint: { directory: options.out, metadata: { config } },
    });
    await saveClassifier(network, options.out, { config, history: history.toJSON() });
    // Saves swap whole directories, so the DBN goes into the classifier's after its last save.
    if (pretraining) await saveDeepBeliefNetwork(dbn, join(options.out, 'dbn'), { config, pretraining });
    await writeRunFiles(options.out, config, history);
    network.dispose();
    return { interrupted: controller.signal.aborted };
  } finally {
    dbn.dispose();
    progress.stop();
    controller.release();
  }
}
