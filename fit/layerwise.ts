import { be, type Tensor } from '../backends/index.js';
import { type BatchSource, MappedBatches } from '../batch/index.js';
import { ConfigError } from '../errors/index.js';
import { BoltzmannMachine } from '../models/index.js';
import type { Optimizer } from '../optimizers/index.js';
import { checkOptions } from '../validation/index.js';
import { History } from './monitor.js';
import { SGD, TRAIN_OPTION_KEYS, type TrainOptions } from './sgd.js';

/** The conditional means of layer `target` given `visible`, carried up layer by layer. @param visible - (batch, numVisible) */
function upward(model: BoltzmannMachine, target: number, visible: Tensor): Tensor {
  return be.tidy(() => {
    let units = visible;
    for (let i = 0; i < target; i++) {
      const { weights } = model.connections[i] as BoltzmannMachine['connections'][number];
      units = model.layer(i + 1).conditionalMean(weights.fieldUp(model.layer(i).rescale(units)));
    }
    return units;
  });
}

/** One history per stage: each RBM in turn, then the whole model. */
export interface PretrainHistory {
  readonly stages: readonly History[];
}

/**
 * Greedy layerwise pretraining of a deep model (Hinton & Salakhutdinov): each pair of
 * consecutive layers is trained as an RBM in turn (sharing the deep model's layers and
 * weights), the upper ones on the conditional means of the layer below; then the deep model
 * is trained as a whole for `finalEpochs`.
 */
export class LayerwisePretrain {
  constructor(
    readonly model: BoltzmannMachine,
    readonly data: BatchSource,
  ) {}

  /**
   * Runs every stage (mutates the model). The optimizer is reset before each stage. Every
   * stage's checkpoints save the whole model and the stage, so `resume` (a snapshot from
   * `loadCheckpoint`) continues at the stage and minibatch where the run stopped.
   * @param epochs - epochs per RBM @param options - as for SGD, plus `finalEpochs` (default `epochs`)
   */
  async train(
    optimizer: Optimizer,
    epochs: number,
    options: TrainOptions & { readonly finalEpochs?: number } = {},
  ): Promise<PretrainHistory> {
    checkOptions(options, { ...TRAIN_OPTION_KEYS, finalEpochs: true }, 'LayerwisePretrain.train');
    const { model } = this;
    if (model.numLayers < 2) throw new ConfigError('LayerwisePretrain: the model needs at least 2 layers');
    const { finalEpochs, resume, ...stageOptions } = options;
    const stages = (resume?.stages ?? []).map((records) => new History(records));
    const pairs = model.connections.map((connection, i) => ({
      rbm: new BoltzmannMachine([model.layer(i), model.layer(i + 1)], { weights: [connection.weights] }),
      data: i === 0 ? this.data : new MappedBatches(this.data, model.layer(i).numUnits, (v) => upward(model, i, v)),
      epochs,
    }));
    const plan =
      model.numLayers > 2 ? [...pairs, { rbm: model, data: this.data, epochs: finalEpochs ?? epochs }] : pairs;
    if (resume && (resume.stage >= plan.length || resume.stages.length !== resume.stage)) {
      throw new ConfigError(
        `LayerwisePretrain: resume: the snapshot is of stage ${resume.stage} with ${resume.stages.length} earlier histories; this model has ${plan.length} stages`,
      );
    }
    for (const [index, { rbm, data, epochs: stageEpochs }] of plan.entries()) {
      if (index < stages.length) continue;
      optimizer.reset();
      const sgd = new SGD(rbm, data, { saves: model, index, before: [...stages] });
      stages.push(
        await sgd.train(optimizer, stageEpochs, {
          ...stageOptions,
          resume: resume?.stage === index ? resume : undefined,
        }),
      );
      if (stages.at(-1)?.aborted) break;
    }
    return { stages };
  }
}
