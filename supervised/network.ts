import { be, type Tensor } from '../backends/index.js';
import { ConfigError, ShapeError } from '../errors/index.js';
import type { BoltzmannMachine, NamedParameter } from '../models/index.js';
import { checkOptions } from '../validation/index.js';
import { type Classifier, checkInputs } from './classifier.js';
import { type Cost, checkCost, costGradient, costValue } from './costs.js';
import { type Activation, activate, activationSlope, checkActivation, DenseLayer } from './dense.js';

export { crossEntropy } from './costs.js';

/** Options of a forward pass in training. */
export interface DropoutOptions {
  /** Probability of dropping each hidden unit (default 0: no dropout). */
  readonly dropout?: number;
  /** Probability of dropping each input unit (default 0). */
  readonly inputDropout?: number;
}

/** What a loss is measured by: its cost (default `softmaxCrossEntropy`). */
export interface CostOptions {
  readonly cost?: Cost;
}

/** Options of {@link FeedForwardNetwork.gradient}: dropout and the cost. */
export interface GradientOptions extends DropoutOptions, CostOptions {}

/** The loss of a minibatch and the gradient of every parameter by key (`dense.0.matrix`, …). */
export type NetworkGradient = {
  /** Mean cost of the batch plus the penalties, a scalar. */
  readonly loss: Tensor;
  /** ∂loss/∂θ, each the shape of its parameter. */
  readonly gradients: Readonly<Record<string, Tensor>>;
};

/** What a forward pass keeps for the backward pass: per dense layer its input, pre-activation and output. */
interface Pass {
  readonly inputs: Tensor[];
  readonly preActivations: Tensor[];
  readonly outputs: Tensor[];
  /** The dropout mask (scaled by 1/keep) applied to each layer's input, where dropout is on. */
  readonly masks: (Tensor | undefined)[];
}

/**
 * A feed-forward classifier: dense layers with hidden units of one {@link Activation} and a
 * softmax output, trained on a {@link Cost} (the softmax cross-entropy by default) by
 * hand-written backpropagation on the backend primitives (so it trains on every backend).
 * Its class probabilities are softmax(z) of the last layer's z whatever the cost trained it.
 * Start it from an RBM or a DBN
 * ({@link FeedForwardNetwork.fromStack}) or at random ({@link FeedForwardNetwork.random}).
 */
export class FeedForwardNetwork implements Classifier {
  readonly layers: readonly DenseLayer[];
  readonly activation: Activation;

  /** @param layers - consecutive dense layers; the last gives the class scores */
  constructor(layers: readonly DenseLayer[], options: { readonly activation?: Activation } = {}) {
    checkOptions(options, { activation: true }, 'FeedForwardNetwork');
    if (layers.length < 1) throw new ConfigError('FeedForwardNetwork: expected at least one dense layer');
    layers.slice(1).forEach((layer, i) => {
      const below = layers[i] as DenseLayer;
      if (layer.numInputs !== below.numOutputs) {
        throw new ShapeError(
          `FeedForwardNetwork: layer ${i + 1} takes ${layer.numInputs} inputs but layer ${i} gives ${below.numOutputs}`,
        );
      }
    });
    this.layers = [...layers];
    this.activation = checkActivation(options.activation ?? 'sigmoid', 'FeedForwardNetwork: activation');
  }

  /**
   * A network with seeded random weights (the "no pretraining" baseline).
   * @param units - input size, each hidden layer's size, then the number of classes
   */
  static random(units: readonly number[], options: { readonly activation?: Activation } = {}): FeedForwardNetwork {
    checkUnits(units, 'FeedForwardNetwork.random');
    const activation = options.activation ?? 'sigmoid';
    const layers = units.slice(1).map((outputs, i) => {
      const isOutput = i === units.length - 2;
      return DenseLayer.random(units[i] as number, outputs, isOutput ? 'softmax' : activation);
    });
    return new FeedForwardNetwork(layers, { activation });
  }

  /**
   * A network whose hidden layers start as the up-pass of a stack of RBMs (each RBM's
   * weights W and hidden bias: σ(vW + b) is then exactly the RBM's p(h = 1 | v) for
   * Bernoulli hidden units and a visible layer that does not rescale its units), topped by a
   * random softmax layer. The RBMs are not changed; the network has its own copies.
   * @param rbms - two-layer models, each one's hidden layer as wide as the next one's visible layer
   */
  static fromStack(
    rbms: readonly BoltzmannMachine[],
    numClasses: number,
    options: { readonly activation?: Activation } = {},
  ): FeedForwardNetwork {
    const hidden = rbms.map((rbm, i) => {
      if (rbm.numLayers !== 2)
        throw new ConfigError(`fromStack: model ${i} has ${rbm.numLayers} layers, expected an RBM (2)`);
      const weights = rbm.denseWeights(0, `fromStack: model ${i}`);
      return new DenseLayer(weights.numLower, weights.numUpper, {
        matrix: weights.matrix,
        bias: rbm.layer(1).param('loc'),
      });
    });
    const top = hidden.at(-1)?.numOutputs ?? 0;
    checkUnits([top, numClasses], 'fromStack');
    return new FeedForwardNetwork([...hidden, DenseLayer.random(top, numClasses, 'softmax')], options);
  }

  /** Shorthand for {@link FeedForwardNetwork.fromStack} with one RBM. */
  static fromRBM(rbm: BoltzmannMachine, numClasses: number, options: { readonly activation?: Activation } = {}) {
    return FeedForwardNetwork.fromStack([rbm], numClasses, options);
  }

  get numInputs(): number {
    return (this.layers[0] as DenseLayer).numInputs;
  }

  get numClasses(): number {
    return (this.layers.at(-1) as DenseLayer).numOutputs;
  }

  /** Every parameter with its saved name (`dense.<i>.matrix`, `dense.<i>.bias`). */
  namedParameters(): NamedParameter[] {
    return this.layers.flatMap((layer, i) =>
      layer.paramNames.map((name) => ({ key: `dense.${i}.${name}`, owner: layer, name })),
    );
  }

  /** The class scores before the softmax. @param inputs - (batch, numInputs) @returns (batch, numClasses) */
  logits(inputs: Tensor): Tensor {
    checkInputs(this, inputs, 'FeedForwardNetwork.logits');
    return be.tidy(() => this.forward(inputs, {}).preActivations.at(-1) as Tensor);
  }

  predictProba(inputs: Tensor): Tensor {
    return be.tidy(() => be.softmax(this.logits(inputs), 1));
  }

  /**
   * The mean cost of the batch plus the penalties; by default the cross-entropy
   * `−(1/B) Σ_b Σ_k y_bk ln p_bk`.
   * @param inputs - (batch, numInputs) @param targets - (batch, numClasses), one-hot (or class probabilities)
   * @returns a scalar
   */
  loss(inputs: Tensor, targets: Tensor, options: CostOptions = {}): Tensor {
    checkOptions(options, { cost: true }, 'FeedForwardNetwork.loss');
    this.checkTargets(inputs, targets, 'FeedForwardNetwork.loss');
    const cost = checkCost(options.cost ?? 'softmaxCrossEntropy', 'FeedForwardNetwork.loss: cost');
    return be.tidy(() => this.lossFromLogits(this.logits(inputs), targets, cost));
  }

  /**
   * The loss of a minibatch and its gradient by backpropagation: δ = ∂cost/∂z at the output
   * (`costGradient`: (softmax(z) − y)/B for the default cost); for each layer ∂/∂W = xᵀδ,
   * ∂/∂b = Σ_rows δ; the δ of the layer below is (δWᵀ) ⊙ f'(z) ⊙ mask. With dropout, each
   * hidden unit (and input) is kept with probability 1 − p and scaled by 1/(1 − p) (inverted
   * dropout, so prediction needs no rescaling).
   * @param inputs - (batch, numInputs) @param targets - (batch, numClasses)
   */
  gradient(inputs: Tensor, targets: Tensor, options: GradientOptions = {}): NetworkGradient {
    checkOptions(options, { dropout: true, inputDropout: true, cost: true }, 'FeedForwardNetwork.gradient');
    this.checkTargets(inputs, targets, 'FeedForwardNetwork.gradient');
    const cost = checkCost(options.cost ?? 'softmaxCrossEntropy', 'FeedForwardNetwork.gradient: cost');
    return be.tidy((): NetworkGradient => {
      const pass = this.forward(inputs, options);
      const logits = pass.preActivations.at(-1) as Tensor;
      const gradients: Record<string, Tensor> = {};
      let delta = costGradient(cost, logits, targets);
      for (let i = this.layers.length - 1; i >= 0; i--) {
        const layer = this.layers[i] as DenseLayer;
        const input = pass.inputs[i] as Tensor;
        gradients[`dense.${i}.matrix`] = layer.penalize('matrix', be.matmul(input, delta, { transposeA: true }));
        gradients[`dense.${i}.bias`] = layer.penalize('bias', be.sum(delta, 0));
        if (i === 0) break;
        const below = be.matmul(delta, layer.param('matrix'), { transposeB: true });
        const slope = activationSlope(
          this.activation,
          pass.preActivations[i - 1] as Tensor,
          pass.outputs[i - 1] as Tensor,
        );
        const mask = pass.masks[i];
        delta = be.mul(below, mask === undefined ? slope : be.mul(slope, mask));
      }
      for (const { key, owner, name } of this.namedParameters()) {
        if (owner.fixedParams.includes(name)) delete gradients[key];
      }
      return { loss: this.lossFromLogits(logits, targets, cost), gradients };
    });
  }

  /** Frees every parameter. */
  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }

  private lossFromLogits(logits: Tensor, targets: Tensor, cost: Cost): Tensor {
    const penalties = this.layers.reduce<Tensor>((total, layer) => be.add(total, layer.penaltyValue()), be.zeros([]));
    return be.add(costValue(cost, logits, targets), penalties);
  }

  private forward(inputs: Tensor, options: DropoutOptions): Pass {
    const pass: Pass = { inputs: [], preActivations: [], outputs: [], masks: [] };
    let current = inputs;
    this.layers.forEach((layer, i) => {
      const rate = i === 0 ? (options.inputDropout ?? 0) : (options.dropout ?? 0);
      const mask = dropoutMask(be.shape(current), rate, i === 0 ? 'inputDropout' : 'dropout');
      const input = mask === undefined ? current : be.mul(current, mask);
      const z = layer.preActivation(input);
      pass.inputs.push(input);
      pass.masks.push(mask);
      pass.preActivations.push(z);
      current = i === this.layers.length - 1 ? z : activate(this.activation, z);
      pass.outputs.push(current);
    });
    return pass;
  }

  private checkTargets(inputs: Tensor, targets: Tensor, where: string): void {
    checkInputs(this, inputs, where);
    const [batch] = be.shape(inputs);
    const shape = be.shape(targets);
    if (shape.length !== 2 || shape[0] !== batch || shape[1] !== this.numClasses) {
      throw new ShapeError(`${where}: expected targets (${batch}, ${this.numClasses}), got [${shape.join(', ')}]`);
    }
  }
}

/** A dropout mask keeping each unit with probability 1 − rate, scaled by 1/(1 − rate); none for rate 0. */
function dropoutMask(shape: readonly number[], rate: number, where: string): Tensor | undefined {
  if (!(rate >= 0 && rate < 1)) throw new ConfigError(`${where}: expected a probability in [0, 1), got ${rate}`);
  if (rate === 0) return undefined;
  return be.tidy(() => be.div(be.bernoulli(be.fill(shape, 1 - rate)), 1 - rate));
}

function checkUnits(units: readonly number[], where: string): void {
  if (units.length < 2 || !units.every((u) => Number.isInteger(u) && u >= 1)) {
    throw new ConfigError(`${where}: expected at least two positive integer sizes, got [${units.join(', ')}]`);
  }
  if ((units.at(-1) as number) < 2) throw new ConfigError(`${where}: expected at least 2 classes, got ${units.at(-1)}`);
}
