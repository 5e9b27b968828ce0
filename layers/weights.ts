import { be, type Tensor } from '../backends/index.js';
import { ShapeError } from '../errors/index.js';
import { Coupling, INITIAL_WEIGHT_STD } from './coupling.js';
import type { ParameterConfig } from './parameters.js';

/** A weights matrix's description, as saved in `model.json`. */
export interface WeightsConfig extends ParameterConfig {
  readonly shape: readonly [number, number];
}

/**
 * Dense coupling between two layers: parameter `matrix` W (numLower, numUpper) with energy
 * `−r(lower)ᵀ W r(upper)` per sample.
 */
export class Weights extends Coupling {
  readonly parameterName = 'matrix';
  private connectionMask: Tensor | undefined;

  /**
   * @param numLower - units of the lower layer @param numUpper - units of the upper layer
   * @param initial - `'random'`: N(0, 0.01²) samples of the backend's seeded generator; `'zeros'`
   */
  constructor(
    readonly numLower: number,
    readonly numUpper: number,
    initial: 'random' | 'zeros' = 'random',
  ) {
    super({ matrix: [numLower, numUpper] });
    const shape = [numLower, numUpper];
    this.setParam(
      'matrix',
      initial === 'zeros' ? be.zeros(shape) : be.tidy(() => be.mul(be.randomNormal(shape), INITIAL_WEIGHT_STD)),
    );
  }

  describe(): string {
    return `Weights(${this.numLower}, ${this.numUpper})`;
  }

  /** W. @returns (numLower, numUpper) */
  get matrix(): Tensor {
    return this.param('matrix');
  }

  /**
   * DropConnect (Wan et al. 2013): until called with undefined, fields and energies couple
   * the layers through W ∘ mask and the derivatives are masked, so a dropped connection learns
   * nothing from this minibatch's data (penalties still see W). The caller owns the mask.
   * @param mask - (numLower, numUpper) of 0s and 1s, or undefined to restore every connection
   */
  dropConnections(mask: Tensor | undefined): void {
    const shape = mask === undefined ? [this.numLower, this.numUpper] : be.shape(mask);
    if (shape[0] !== this.numLower || shape[1] !== this.numUpper || shape.length !== 2) {
      throw new ShapeError(
        `${this.describe()}.dropConnections: expected a mask of shape [${this.numLower}, ${this.numUpper}], got [${shape.join(', ')}]`,
      );
    }
    this.connectionMask = mask;
  }

  /** The coupling in use: W, or W ∘ mask while connections are dropped. */
  protected override get coupling(): Tensor {
    return this.connectionMask === undefined ? this.matrix : be.mul(this.matrix, this.connectionMask);
  }

  /** `r(lower)ᵀ r(upper)` summed over the batch, zero at dropped connections. @returns (numLower, numUpper) */
  protected products(lower: Tensor, upper: Tensor): Tensor {
    return this.masked(be.matmul(lower, upper, { transposeA: true }));
  }

  /** Σᵢ lowerᵢᵀ upperᵢ as the backend computes it best (`be.stackedOuter`). */
  protected override stackedProducts(pairs: readonly (readonly [Tensor, Tensor])[]): Tensor {
    return this.masked(be.stackedOuter(pairs));
  }

  /** The products with the connections the mask cuts set to 0. @param products - (numLower, numUpper) */
  private masked(products: Tensor): Tensor {
    return this.connectionMask === undefined ? products : be.mul(products, this.connectionMask);
  }

  /** x θ. @param lower - (batch, numLower) @returns (batch, numUpper) */
  protected mapUp(theta: Tensor, lower: Tensor): Tensor {
    return be.matmul(lower, theta);
  }

  /** y θᵀ. @param upper - (batch, numUpper) @returns (batch, numLower) */
  protected mapDown(theta: Tensor, upper: Tensor): Tensor {
    return be.matmul(upper, theta, { transposeB: true });
  }

  /** W itself. @returns (numLower, numUpper) */
  featureWeights(): Tensor {
    return this.matrix;
  }

  /** The weights' description for `model.json`. */
  toConfig(): WeightsConfig {
    return { shape: [this.numLower, this.numUpper], ...this.parameterConfig() };
  }
}
