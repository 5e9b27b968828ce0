import { be, type Tensor } from '../backends/index.js';
import { type BatchSource, MappedBatches } from '../batch/index.js';
import { ConfigError } from '../errors/index.js';
import type { Layer } from '../layers/index.js';
import { BoltzmannMachine, type InitializationMethod, initializeModel } from '../models/index.js';
import type { Optimizer } from '../optimizers/index.js';
import { checkChoice, checkOptions, show } from '../validation/index.js';
import { History } from './monitor.js';
import { stageSGD, TRAIN_OPTION_KEYS, type TrainOptions } from './sgd.js';

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

/** A stage of layerwise pretraining, as {@link PretrainOptions.onStage} announces it. */
export interface PretrainStage {
  /** 0 for the bottom RBM, up to the number of RBMs for the joint stage. */
  readonly index: number;
  /** `'layer 1 (784-500)'` for the RBM over layers 0 and 1 (units below-above), `'joint'` for the whole model. */
  readonly name: string;
  /** Whether this is the joint stage, which trains the whole model. */
  readonly joint: boolean;
  /** Epochs this stage trains for. */
  readonly epochs: number;
}

/** One history per stage: each RBM in turn, then the whole model. */
export interface PretrainHistory {
  readonly stages: readonly History[];
}

/**
 * How the RBMs of a deep model's pretraining are joined into it:
 * - `'salakhutdinov-hinton'` (Salakhutdinov & Hinton 2009; Hinton & Salakhutdinov 2012): the
 *   bottom RBM counts the visible layer twice in its hidden units' input, the top RBM its
 *   upper layer twice in its lower units' input, and the weights of the RBMs between are
 *   halved when the model is put together, so no layer of the deep model counts the evidence
 *   from below (or above) twice;
 * - `'none'`: each RBM is an ordinary RBM and its weights go into the deep model as they are.
 */
export const PRETRAINING_SCALINGS = ['salakhutdinov-hinton', 'none'] as const;
/** One of {@link PRETRAINING_SCALINGS}. */
export type PretrainingScaling = (typeof PRETRAINING_SCALINGS)[number];

/** The options of {@link LayerwisePretrain.train}: those of SGD plus the stages' own. */
export interface PretrainOptions extends TrainOptions {
  /** Epochs of the whole model after the RBMs (default: the RBMs' epochs). */
  readonly finalEpochs?: number;
  /**
   * Epochs of each RBM, bottom first (default: `epochs` each). A stage of 0 epochs keeps its
   * coupling as initialized: with `scaling: 'none'` and `[n, 0]`, the joint stage starts
   * from the bottom RBM with a top layer barely coupled to it, whose log-likelihood it nearly shares.
   */
  readonly rbmEpochs?: readonly number[];
  /** The joint stage's optimizer (default: the RBMs'), as Salakhutdinov & Hinton's smaller joint step size. */
  readonly finalOptimizer?: Optimizer;
  /** How the RBMs join the deep model (default `'salakhutdinov-hinton'`). */
  readonly scaling?: PretrainingScaling;
  /**
   * Paysage's per-stage initialization: each RBM is initialized by this method on its own
   * data when its stage begins (the bottom one whole; an upper one's weights, its lower
   * layer keeping what the stage below trained). Default: the model's parameters as given.
   */
  readonly init?: InitializationMethod;
  /** Called as each stage begins (a resumed run: from the stage it resumes), before its first epoch. */
  readonly onStage?: (stage: PretrainStage) => void;
}

/**
 * Greedy layerwise pretraining of a deep model (Salakhutdinov & Hinton 2009): each pair of
 * consecutive layers is trained as an RBM in turn (sharing the deep model's layers and
 * weights), the upper ones on the conditional means of the layer below; then the deep model
 * is trained as a whole for `finalEpochs`. An upper RBM's lower layer is a fixed copy of the
 * deep model's layer, with the parameters the stage below trained (as in Paysage), so the
 * data a stage sees does not move with what it trains.
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
   * @param epochs - epochs per RBM
   */
  async train(optimizer: Optimizer, epochs: number, options: PretrainOptions = {}): Promise<PretrainHistory> {
    checkOptions(
      options,
      {
        ...TRAIN_OPTION_KEYS,
        finalEpochs: true,
        rbmEpochs: true,
        finalOptimizer: true,
        scaling: true,
        init: true,
        onStage: true,
      },
      'LayerwisePretrain.train',
    );
    const { model } = this;
    if (model.numLayers < 2) throw new ConfigError('LayerwisePretrain: the model needs at least 2 layers');
    const {
      finalEpochs,
      rbmEpochs = model.connections.map(() => epochs),
      finalOptimizer = optimizer,
      resume,
      scaling: requested = 'salakhutdinov-hinton',
      init,
      onStage,
      ...stageOptions
    } = options;
    const scaling = checkChoice(requested, PRETRAINING_SCALINGS, 'LayerwisePretrain.train: scaling');
    checkRbmEpochs(rbmEpochs, model.connections.length);
    const stages = (resume?.stages ?? []).map((records) => new History(records));
    const pairs = model.connections.map((connection, i) => ({
      rbm: () =>
        new BoltzmannMachine([i === 0 ? model.layer(0) : fixedCopy(model.layer(i)), model.layer(i + 1)], {
          weights: [connection.weights],
        }),
      data: i === 0 ? this.data : new MappedBatches(this.data, model.layer(i).numUnits, (v) => upward(model, i, v)),
      epochs: rbmEpochs[i] as number,
      name: `layer ${i + 1} (${model.layer(i).numUnits}-${model.layer(i + 1).numUnits})`,
    }));
    const plan =
      model.numLayers > 2
        ? [...pairs, { rbm: () => model, data: this.data, epochs: finalEpochs ?? epochs, name: 'joint' }]
        : pairs;
    if (resume && (resume.stage >= plan.length || resume.stages.length !== resume.stage)) {
      throw new ConfigError(
        `LayerwisePretrain: resume: the snapshot is of stage ${resume.stage} with ${resume.stages.length} earlier histories; this model has ${plan.length} stages`,
      );
    }
    const scaled = scaling === 'salakhutdinov-hinton' && model.numLayers > 2;
    try {
      for (const [index, stage] of plan.entries()) {
        if (index < stages.length) continue;
        const resuming = resume?.stage === index;
        const joint = index === pairs.length;
        if (scaled) joinScaled(model, joint, resuming);
        const rbm = stage.rbm();
        onStage?.({ index, name: stage.name, joint, epochs: stage.epochs });
        try {
          if (init && !joint && !resuming) {
            await initializeModel(rbm, stage.data.batches('train'), init, { visible: index === 0 });
          }
          const stageOptimizer = joint ? finalOptimizer : optimizer;
          stageOptimizer.reset();
          const sgd = stageSGD(rbm, stage.data, { saves: model, index, before: [...stages] });
          stages.push(
            await sgd.train(stageOptimizer, stage.epochs, { ...stageOptions, resume: resuming ? resume : undefined }),
          );
        } finally {
          if (index > 0 && !joint) rbm.layer(0).dispose();
        }
        if (stages.at(-1)?.aborted) break;
      }
    } finally {
      for (const { weights } of model.connections) weights.scaleFields(1, 1);
    }
    return { stages };
  }
}

/** Refuses per-RBM epochs that are not one non-negative integer per RBM. */
function checkRbmEpochs(rbmEpochs: readonly number[], rbms: number): void {
  if (
    !Array.isArray(rbmEpochs) ||
    rbmEpochs.length !== rbms ||
    !rbmEpochs.every((n) => Number.isInteger(n) && n >= 0)
  ) {
    throw new ConfigError(
      `LayerwisePretrain.train: rbmEpochs: expected ${rbms} non-negative integers (one per RBM, bottom first), got ${show(rbmEpochs)}`,
    );
  }
}

/** A copy of `layer` with every parameter fixed: an upper RBM's lower layer, which the stage below trained. */
function fixedCopy(layer: Layer): Layer {
  const copy = layer.sameKind();
  for (const name of layer.paramNames) copy.setParam(name, be.clone(layer.param(name)));
  copy.setFixedParams(copy.paramNames);
  return copy;
}

/**
 * Salakhutdinov & Hinton's scaling of a deep model's couplings. During the RBM stages the
 * bottom coupling doubles its upward field and the top one its downward field (the upward
 * passes that make the upper stages' data use the doubled bottom field, as the bottom RBM's
 * posterior does). For the joint stage the fields are plain again and, unless the stage
 * resumes from a checkpoint (whose weights already are), the middle couplings' weights are halved.
 */
function joinScaled(model: BoltzmannMachine, joint: boolean, resuming: boolean): void {
  const last = model.connections.length - 1;
  for (const [i, { weights }] of model.connections.entries()) {
    if (!joint) {
      weights.scaleFields(i === 0 ? 2 : 1, i === last ? 2 : 1);
      continue;
    }
    weights.scaleFields(1, 1);
    if (!resuming && i > 0 && i < last) {
      weights.setParam(
        weights.parameterName,
        be.tidy(() => be.mul(weights.parameter, 0.5)),
      );
    }
  }
}
