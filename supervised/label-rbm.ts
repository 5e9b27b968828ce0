import * as z from 'zod';
import { be, type Tensor } from '../backends/index.js';
import { isLabelled } from '../batch/index.js';
import { ConfigError, ShapeError } from '../errors/index.js';
import {
  type FitMethod,
  type MethodFactory,
  type MethodValidation,
  methodFactory,
  registerMethod,
} from '../fit/index.js';
import { type Layer, OneHotLayer, type ParameterTensors, type Weights } from '../layers/index.js';
import { BoltzmannMachine, type Gradient, State } from '../models/index.js';
import type { SequentialMC } from '../samplers/index.js';
import type { Classifier } from './classifier.js';
import { VALIDATION_METRICS, validationMetrics } from './evaluation.js';

/**
 * A label RBM (Larochelle & Bengio 2008; PyDeep's BinaryBinaryLabelRBM): visible units x and
 * one-hot labels y both coupled to the hidden units h, with energy
 * `E = −aᵀx − dᵀy − bᵀh − xᵀWh − hᵀUy`. Relief builds it as the three-layer BoltzmannMachine
 * `[x, h, y]`: its chain is exactly this bipartite graph ({x, y} given h and h given both), so
 * block Gibbs sampling, PCD, saving and loading all work unchanged.
 * @param visible - the input layer @param hidden - the hidden layer
 */
export function labelRBM(visible: Layer, hidden: Layer, numClasses: number): BoltzmannMachine {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new ConfigError(`labelRBM: numClasses: expected an integer of at least 2, got ${numClasses}`);
  }
  return new BoltzmannMachine([visible, hidden, new OneHotLayer(numClasses)]);
}

/** The label layer's index in a label RBM `[x, h, y]`. */
const LABELS = 2;
const HIDDEN = 1;

/** @throws ConfigError unless `model` is a label RBM `[x, h, y]` with discrete labels */
function checkLabelModel(model: BoltzmannMachine, where: string): void {
  if (model.numLayers !== 3 || !model.layer(LABELS).discrete) {
    throw new ConfigError(
      `${where}: expected a label RBM, a 3-layer model [inputs, hidden, labels] (see labelRBM), got ${model.numLayers} layers`,
    );
  }
}

/** The class count of a label RBM (the states of its label layer). */
function numClassesOf(model: BoltzmannMachine): number {
  return model.layer(LABELS).numUnits;
}

/**
 * The exact class scores `−F(x, y)` for every class, where
 * `F(x, y) = H_x(x) + H_y(y) − ln Σ_h exp(−H_h(h) + hᵀ(Wᵀr(x) + U r(y)))` sums out the hidden
 * units analytically; `softmax` of the scores is the exact p(y | x).
 * @param inputs - (batch, numVisible) @returns (batch, numClasses), owned by the caller
 */
export function classScores(model: BoltzmannMachine, inputs: Tensor): Tensor {
  checkLabelModel(model, 'classScores');
  const shape = be.shape(inputs);
  const numVisible = model.layer(0).numUnits;
  if (shape.length !== 2 || shape[1] !== numVisible) {
    throw new ShapeError(`classScores: expected inputs (batch, ${numVisible}), got [${shape.join(', ')}]`);
  }
  return be.tidy(() => scoresOf(model, inputs, everyClass(model, inputs)));
}

/** The class scores of {@link classScores} from the pairs {@link everyClass} made. @returns (batch, numClasses) */
function scoresOf(model: BoltzmannMachine, inputs: Tensor, pairs: ClassPairs): Tensor {
  const freeEnergy = be.sub(
    be.add(be.gather(model.layer(0).energy(inputs), pairs.rows), model.layer(LABELS).energy(pairs.labels)),
    model.layer(HIDDEN).logPartition(pairs.field),
  );
  return be.reshape(be.neg(freeEnergy), [be.shape(inputs)[0] as number, numClassesOf(model)]);
}

/** The exact p(y | x) of a label RBM. @param inputs - (batch, numVisible) @returns (batch, numClasses) */
export function classProbabilities(model: BoltzmannMachine, inputs: Tensor): Tensor {
  return be.tidy(() => be.softmax(classScores(model, inputs), 1));
}

/** A label RBM as a {@link Classifier} (predicting by comparing free energies). */
export function labelClassifier(model: BoltzmannMachine): Classifier {
  checkLabelModel(model, 'labelClassifier');
  return {
    numInputs: model.layer(0).numUnits,
    numClasses: numClassesOf(model),
    predictProba: (inputs) => classProbabilities(model, inputs),
  };
}

/** Every input paired with every class (see {@link everyClass}). */
interface ClassPairs {
  readonly rows: Int32Array;
  readonly labels: Tensor;
  readonly field: Tensor;
}

/**
 * Every input paired with every class, input-major: row b·C + c pairs input b with class c.
 * The hidden field of each pair is the input's field plus the class's, so the input's matrix
 * product is taken once, not once per class.
 * @param inputs - (batch, numVisible)
 * @returns rows (batch·C) the input of each pair; labels (batch·C, C); field (batch·C, numHidden)
 */
function everyClass(model: BoltzmannMachine, inputs: Tensor): ClassPairs {
  const batch = be.shape(inputs)[0] as number;
  const classes = numClassesOf(model);
  const rows = Int32Array.from({ length: batch * classes }, (_, i) => Math.floor(i / classes));
  const classOf = Int32Array.from({ length: batch * classes }, (_, i) => i % classes);
  const { labels, field } = be.tidy(() => {
    const states = model.layer(LABELS).enumerateStates();
    const [fromInputs, fromLabels] = model.connections.map((c) => c.weights) as [Weights, Weights];
    const inputField = fromInputs.fieldUp(model.layer(0).rescale(inputs));
    const classField = fromLabels.fieldDown(model.layer(LABELS).rescale(states));
    return {
      labels: be.gather(states, classOf),
      field: be.add(be.gather(inputField, rows), be.gather(classField, classOf)),
    };
  });
  return { rows, labels, field };
}

/** How a label fit method weighs its two objectives. */
interface LabelObjective {
  /** Weight of −ln p(y | x). */
  readonly discriminative: number;
  /** Weight α of −ln p(x, y). */
  readonly generative: number;
  /** How the generative part's negative chains move: restarted at the data (cd) or persistent (pcd). */
  readonly chains: 'cd' | 'pcd';
}

/**
 * The gradient of `w_d·(−ln p(y|x)) + α·(−ln p(x, y))` for a label RBM, averaged over the batch.
 * With D(x, y) = ⟨∂E/∂θ⟩_{h|x,y} = ∂F(x, y)/∂θ:
 * `∇(−ln p(y|x)) = D(x, y) − Σ_c p(c|x) D(x, c)` (exact) and
 * `∇(−ln p(x, y)) = D(x, y) − ⟨D⟩_model` (the chains' estimate). Both are one
 * `model.gradient(dataState, modelPhase)`, whose model phase sums the class mixture
 * (weight w_d, see {@link classMixtureDerivatives}), the chains' row-weighted derivatives
 * (weight α) and the data's (weight 1 − w_d − α), so the weights sum to 1.
 */
function labelGradient(
  objective: LabelObjective,
  visible: Tensor,
  model: BoltzmannMachine,
  negativePhase: SequentialMC,
  targets: Tensor | undefined,
): Gradient {
  checkLabelModel(model, 'label fit method');
  const batch = be.shape(visible)[0] as number;
  const classes = numClassesOf(model);
  const targetShape = targets === undefined ? [] : be.shape(targets);
  if (targets === undefined || targetShape[0] !== batch || targetShape[1] !== classes) {
    throw new ShapeError(`label fit method: expected targets (${batch}, ${classes}), got [${targetShape.join(', ')}]`);
  }
  const dataState = withHiddenMeans(model, visible, targets);
  const parts: { state: State; weights: Tensor }[] = [];
  if (objective.generative > 0) {
    if (objective.chains === 'cd') negativePhase.setState(new State(dataState.units.map((u) => be.clone(u))));
    negativePhase.updateState();
    const chains = negativePhase.stateForGrad(HIDDEN);
    parts.push({ state: chains, weights: be.fill([chains.batchSize], objective.generative / chains.batchSize) });
  }
  const dataWeight = (1 - objective.discriminative - objective.generative) / batch;
  if (dataWeight !== 0) {
    parts.push({ state: new State(dataState.units.map((u) => be.clone(u))), weights: be.fill([batch], dataWeight) });
  }
  const gradient = be.tidy(() => {
    const sampled = parts.length === 0 ? undefined : model.derivatives(stackStates(parts), concatWeights(parts));
    const mixture =
      objective.discriminative > 0 ? classMixtureDerivatives(model, visible, objective.discriminative) : undefined;
    return model.gradient(dataState, sumGradients(mixture, sampled));
  });
  for (const part of parts) {
    part.state.dispose();
    be.dispose(part.weights);
  }
  dataState.dispose();
  return gradient;
}

/** The row-wise concatenation of the parts' states. */
function stackStates(parts: readonly { state: State }[]): State {
  const first = parts[0] as { state: State };
  return new State(
    first.state.units.map((_, i) =>
      be.concat(
        parts.map((p) => p.state.getLayer(i)),
        0,
      ),
    ),
  );
}

/** The concatenation of the parts' row weights. */
function concatWeights(parts: readonly { weights: Tensor }[]): Tensor {
  return be.concat(
    parts.map((p) => p.weights),
    0,
  );
}

/** The sum of two sets of derivatives of one model, either of which may be absent (not both). */
function sumGradients(a: Gradient | undefined, b: Gradient | undefined): Gradient {
  if (a === undefined || b === undefined) return (a ?? b) as Gradient;
  const add = (x: ParameterTensors, y: ParameterTensors): ParameterTensors =>
    Object.fromEntries(Object.entries(x).map(([name, value]) => [name, be.add(value, y[name] as Tensor)]));
  return {
    layers: a.layers.map((derivatives, i) => add(derivatives, b.layers[i] as ParameterTensors)),
    weights: a.weights.map((derivatives, i) => add(derivatives, b.weights[i] as ParameterTensors)),
  };
}

/**
 * `w·(1/B) Σ_b Σ_c p(c|x_b) D(x_b, c)`, the class-averaged derivatives of the discriminative
 * gradient. Every term is bilinear in the rescaled units, so the input–hidden product takes the
 * class mixture `Σ_c p(c|x) r(E[h|x, c])` of each input — one (numVisible × batch × numHidden)
 * product instead of one per class; the hidden and label terms, which are cheap, take each
 * (input, class) pair. @param inputs - (batch, numVisible)
 */
function classMixtureDerivatives(model: BoltzmannMachine, inputs: Tensor, weight: number): Gradient {
  return be.tidy((): Gradient => {
    const batch = be.shape(inputs)[0] as number;
    const classes = numClassesOf(model);
    const [visibleLayer, hiddenLayer, labelLayer] = model.layers as [Layer, Layer, Layer];
    const [inputsToHidden, hiddenToLabels] = model.connections.map((c) => c.weights) as [Weights, Weights];
    const pairs = everyClass(model, inputs);
    const probabilities = be.reshape(be.softmax(scoresOf(model, inputs, pairs), 1), [batch * classes, 1]);
    const hidden = hiddenLayer.conditionalMean(pairs.field);
    const mixture = be.sum(be.reshape(be.mul(hidden, probabilities), [batch, classes, hiddenLayer.numUnits]), 1);
    const inputWeights = be.fill([batch], weight / batch);
    const pairWeights = be.mul(be.reshape(probabilities, [batch * classes]), weight / batch);
    const fieldOrUndefined = (layer: Layer, index: number, units: (Tensor | undefined)[]) =>
      layer.derivativesUseField ? model.fieldOn(index, units) : undefined;
    return {
      layers: [
        visibleLayer.derivatives(inputs, fieldOrUndefined(visibleLayer, 0, [inputs, mixture]), inputWeights),
        hiddenLayer.derivatives(hidden, pairs.field, pairWeights),
        labelLayer.derivatives(
          pairs.labels,
          fieldOrUndefined(labelLayer, LABELS, [undefined, hidden, pairs.labels]),
          pairWeights,
        ),
      ],
      weights: [
        inputsToHidden.derivatives(visibleLayer.rescale(inputs), hiddenLayer.rescale(mixture), inputWeights),
        hiddenToLabels.derivatives(hiddenLayer.rescale(hidden), labelLayer.rescale(pairs.labels), pairWeights),
      ],
    };
  });
}

/** The state (x, E[h | x, y], y). @param inputs - (batch, numVisible) @param labels - (batch, numClasses) */
function withHiddenMeans(model: BoltzmannMachine, inputs: Tensor, labels: Tensor): State {
  const hidden = be.tidy(() => model.layer(HIDDEN).conditionalMean(model.fieldOn(HIDDEN, [inputs, undefined, labels])));
  return new State([be.clone(inputs), hidden, be.clone(labels)]);
}

/** A label fit method: SGD hands it the one-hot targets of each batch. */
function labelMethod(objective: LabelObjective): FitMethod {
  const method = (
    visible: Tensor,
    model: BoltzmannMachine,
    _positivePhase: SequentialMC,
    negativePhase: SequentialMC,
    targets?: Tensor,
  ) => labelGradient(objective, visible, model, negativePhase, targets);
  return Object.assign(method, { usesLabels: true, validation: LABEL_VALIDATION });
}

/** A label RBM's classification of the validation split after each epoch: `validationLoss` (−ln p(y|x)) and `validationAccuracy`. */
const LABEL_VALIDATION: MethodValidation = {
  metrics: VALIDATION_METRICS,
  evaluate: async (model, data) =>
    isLabelled(data) ? validationMetrics(data, (inputs) => classScores(model, inputs)) : {},
};

/** Options of {@link discriminative} (none). */
export const discriminativeOptionsSchema = z.strictObject({});

/**
 * Discriminative training of a label RBM (Larochelle & Bengio 2008; Learnergy's
 * DiscriminativeRBM): `discriminative()` makes the method of the exact gradient of
 * −ln p(y | x), no sampling.
 */
export const discriminative: MethodFactory<z.input<typeof discriminativeOptionsSchema>> = methodFactory(
  discriminativeOptionsSchema,
  'discriminative',
  () => labelMethod({ discriminative: 1, generative: 0, chains: 'pcd' }),
);

/** How a label method's generative part runs its chains: persistent (default) or CD-k from the data. */
const chainsSchema = z.enum(['cd', 'pcd']).default('pcd');

/** Options of {@link hybrid}. */
export const hybridOptionsSchema = z.strictObject({
  /** The generative weight α ≥ 0 (the paper's best MNIST model: 0.01). */
  alpha: z.number().min(0).default(0.01),
  chains: chainsSchema,
});
/** Options of {@link hybrid}. */
export type HybridOptions = z.input<typeof hybridOptionsSchema>;

/**
 * Hybrid training (Learnergy's HybridDiscriminativeRBM): `−ln p(y|x) − α ln p(x, y)`, the
 * generative part estimated with persistent chains (or CD-k with `chains: 'cd'`):
 * `hybrid({ alpha: 0.01 })`.
 */
export const hybrid: MethodFactory<HybridOptions> = methodFactory(hybridOptionsSchema, 'hybrid', ({ alpha, chains }) =>
  labelMethod({ discriminative: 1, generative: alpha, chains }),
);

/** Options of {@link generativeLabels}. */
export const generativeLabelsOptionsSchema = z.strictObject({ chains: chainsSchema });

/**
 * Generative training of the joint p(x, y) of a label RBM (PyDeep's BinaryBinaryLabelRBM),
 * with the labels clamped in the data phase. @param options.chains - `'pcd'` (default) or `'cd'`
 */
export const generativeLabels: MethodFactory<z.input<typeof generativeLabelsOptionsSchema>> = methodFactory(
  generativeLabelsOptionsSchema,
  'generativeLabels',
  ({ chains }) => labelMethod({ discriminative: 0, generative: 1, chains }),
);

registerMethod({
  name: 'discriminative',
  schema: discriminativeOptionsSchema,
  create: () => discriminative(),
  usesLabels: true,
});
registerMethod({ name: 'hybrid', schema: hybridOptionsSchema, create: (options) => hybrid(options), usesLabels: true });
registerMethod({
  name: 'generative-labels',
  schema: generativeLabelsOptionsSchema,
  create: (options) => generativeLabels(options),
  usesLabels: true,
});
