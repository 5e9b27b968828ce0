import { be, type Tensor } from '../backends/index.js';
import type { LabelledBatchSource } from '../batch/index.js';
import { ConfigError, DivergenceError } from '../errors/index.js';
import { checkRunHooks, endEpoch, History, RUN_HOOK_KEYS, type RunHooks } from '../fit/index.js';
import type { Optimizer } from '../optimizers/index.js';
import { checkOptions, type OptionKeys } from '../validation/index.js';
import { checkCost } from './costs.js';
import { validationMetrics } from './evaluation.js';
import type { FeedForwardNetwork, GradientOptions } from './network.js';
import { saveClassifier } from './persistence.js';

/** Options of {@link FineTune.train}: dropout, the cost (default `softmaxCrossEntropy`) and the run hooks. */
export interface FineTuneOptions extends GradientOptions, RunHooks<FeedForwardNetwork> {}

const FINE_TUNE_OPTION_KEYS: OptionKeys<FineTuneOptions> = {
  dropout: true,
  inputDropout: true,
  cost: true,
  ...RUN_HOOK_KEYS,
};

/**
 * Supervised training of a {@link FeedForwardNetwork} by minibatch backpropagation on a cost,
 * the softmax cross-entropy by default ("fine-tuning" when the network starts from pretrained
 * RBMs). Each epoch records the mean training loss (of the cost trained on) and, when the data
 * has a validation split, the validation cross-entropy and accuracy ({@link validationMetrics}).
 * Every step runs inside `be.tidy`.
 */
export class FineTune {
  constructor(
    readonly network: FeedForwardNetwork,
    readonly data: LabelledBatchSource,
  ) {
    if (data.numVisible !== network.numInputs || data.numClasses !== network.numClasses) {
      throw new ConfigError(
        `FineTune: the data has ${data.numVisible} columns and ${data.numClasses} classes; the network takes ${network.numInputs} inputs and gives ${network.numClasses} classes`,
      );
    }
  }

  /**
   * Trains for `epochs` epochs (mutates the network) and returns the history.
   * @throws DivergenceError when the loss or a parameter becomes NaN or infinite
   */
  async train(optimizer: Optimizer, epochs: number, options: FineTuneOptions = {}): Promise<History> {
    if (!Number.isInteger(epochs) || epochs < 0)
      throw new ConfigError(`FineTune.train: epochs: expected a non-negative integer, got ${epochs}`);
    checkOptions(options, FINE_TUNE_OPTION_KEYS, 'FineTune.train');
    checkRunHooks(options, 'FineTune.train');
    const { network, data } = this;
    const step = {
      dropout: options.dropout ?? 0,
      inputDropout: options.inputDropout ?? 0,
      cost: checkCost(options.cost ?? 'softmaxCrossEntropy', 'FineTune.train: cost'),
    };
    const history = new History();
    for (let epoch = 1; epoch <= epochs; epoch++) {
      optimizer.setEpoch(epoch - 1);
      const started = performance.now();
      let samples = 0;
      let totalLoss: Tensor = be.keep(be.zeros([]));
      for await (const { inputs, targets } of data.labelledBatches('train')) {
        if (options.signal?.aborted) {
          be.dispose([inputs, targets]);
          break;
        }
        const rows = be.shape(inputs)[0] as number;
        const next = be.tidy(() => {
          const { loss, gradients } = network.gradient(inputs, targets, step);
          optimizer.apply(network.namedParameters(), new Map(Object.entries(gradients)));
          return be.add(totalLoss, be.mul(loss, rows));
        });
        be.dispose([totalLoss, inputs, targets]);
        totalLoss = be.keep(next);
        samples += rows;
        options.onBatch?.(epoch, samples);
      }
      const seconds = (performance.now() - started) / 1000;
      const loss = (await be.readScalar(totalLoss)) / Math.max(samples, 1);
      be.dispose(totalLoss);
      if (!Number.isFinite(loss))
        throw new DivergenceError(`fine-tuning diverged in epoch ${epoch}: the loss is ${loss}`);
      const validation = await validationMetrics(data, (inputs) => network.logits(inputs));
      const record = { epoch, seconds, loss, ...validation };
      if (await endEpoch(history, record, epochs, options, network, saveClassifier)) break;
    }
    return history;
  }
}
