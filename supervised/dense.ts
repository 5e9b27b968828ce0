import { be, type Tensor } from '../backends/index.js';
import { Parametrized } from '../layers/index.js';
import { checkChoice } from '../validation/index.js';

/**
 * What a hidden layer of a feed-forward network applies to its pre-activations z: the logistic
 * `sigmoid`, `relu` max(0, z), `tanh`, `softplus` ln(1 + eᶻ) or `linear`, the identity (PyDeep's
 * `Sigmoid`, `Rectifier`, `TangentsHyperbolicus`, `SoftPlus` and `Identity`; PyTorch's `Sigmoid`,
 * `ReLU`, `Tanh`, `Softplus` and `Identity`).
 */
export type Activation = 'sigmoid' | 'relu' | 'tanh' | 'softplus' | 'linear';

/** The activations a network's hidden layers may use. */
export const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'relu', 'tanh', 'softplus', 'linear'];

/**
 * One fully connected layer of a feed-forward network: `z = x W + b` with `matrix` W
 * (numInputs, numOutputs) and `bias` b (numOutputs). Penalties attach per parameter, as on
 * the layers of a Boltzmann machine.
 */
export class DenseLayer extends Parametrized {
  /** @param initial - W and b, or omitted for zeros */
  constructor(
    readonly numInputs: number,
    readonly numOutputs: number,
    initial?: { readonly matrix: Tensor; readonly bias: Tensor },
  ) {
    super({ matrix: [numInputs, numOutputs], bias: [numOutputs] });
    be.checkMemory(
      [{ what: `${this.describe()}.matrix`, shape: [numInputs, numOutputs] }],
      'DenseLayer',
      'use fewer units, or a backend with more memory',
    );
    this.setParam('matrix', initial ? be.clone(initial.matrix) : be.zeros([numInputs, numOutputs]));
    this.setParam('bias', initial ? be.clone(initial.bias) : be.zeros([numOutputs]));
  }

  /**
   * A layer with seeded normal weights scaled for its activation (He for ReLU, Glorot
   * otherwise) and zero biases: the usual start without pretraining.
   */
  static random(numInputs: number, numOutputs: number, activation: Activation | 'softmax'): DenseLayer {
    const std = activation === 'relu' ? Math.sqrt(2 / numInputs) : Math.sqrt(2 / (numInputs + numOutputs));
    const matrix = be.tidy(() => be.mul(be.randomNormal([numInputs, numOutputs]), std));
    const bias = be.zeros([numOutputs]);
    const layer = new DenseLayer(numInputs, numOutputs, { matrix, bias });
    be.dispose([matrix, bias]);
    return layer;
  }

  describe(): string {
    return `DenseLayer(${this.numInputs}, ${this.numOutputs})`;
  }

  /** The pre-activations `x W + b`. @param inputs - (batch, numInputs) @returns (batch, numOutputs) */
  preActivation(inputs: Tensor): Tensor {
    return be.tidy(() => be.add(be.matmul(inputs, this.param('matrix')), this.param('bias')));
  }
}

/** `f(z)` of a hidden layer (tanh as 2σ(2z) − 1). @param z - (batch, n) @returns (batch, n), owned by the caller */
export function activate(activation: Activation, z: Tensor): Tensor {
  switch (activation) {
    case 'sigmoid':
      return be.sigmoid(z);
    case 'relu':
      return be.maximum(z, 0);
    case 'tanh':
      return be.tidy(() => be.sub(be.mul(be.sigmoid(be.mul(z, 2)), 2), 1));
    case 'softplus':
      return be.softplus(z);
    case 'linear':
      return be.clone(z);
  }
}

/**
 * `f'(z)`, written with the layer's output `a = f(z)` where that is cheaper: sigmoid a(1 − a),
 * ReLU 1 where z > 0, tanh 1 − a², softplus σ(z), linear 1.
 * @param z - (batch, n) @param a - (batch, n) @returns (batch, n), owned by the caller
 */
export function activationSlope(activation: Activation, z: Tensor, a: Tensor): Tensor {
  return be.tidy(() => {
    switch (activation) {
      case 'sigmoid':
        return be.mul(a, be.sub(1, a));
      case 'relu':
        return be.greater(z, 0);
      case 'tanh':
        return be.sub(1, be.square(a));
      case 'softplus':
        return be.sigmoid(z);
      case 'linear':
        return be.ones(be.shape(z));
    }
  });
}

/** Checks an activation name. @throws ConfigError naming the allowed ones */
export function checkActivation(activation: unknown, where: string): Activation {
  return checkChoice(activation, ACTIVATIONS, where);
}
