import { be, type Tensor } from '../backends/index.js';
import type { ConstraintType } from '../constraints/index.js';
import { ShapeError } from '../errors/index.js';
import { type PenaltyConfig, penaltyConfig } from '../penalties/index.js';
import { type ParameterTensors, Parametrized } from './parameters.js';

/** A weights matrix's description, as saved in `model.json`. */
export interface WeightsConfig {
  readonly shape: readonly [number, number];
  readonly fixedParams: readonly string[];
  readonly penalties: Readonly<Record<string, PenaltyConfig>>;
  readonly constraints: Readonly<Record<string, ConstraintType>>;
}

/** Standard deviation of freshly made weights, N(0, 0.01²) as Hinton's guide suggests. */
export const INITIAL_WEIGHT_STD = 0.01;

/**
 * The coupling between two layers: parameter `matrix` W (numLower, numUpper) with energy
 * `−r(lower)ᵀ W r(upper)` per sample.
 */
export class Weights extends Parametrized {
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
  private get coupling(): Tensor {
    return this.connectionMask === undefined ? this.matrix : be.mul(this.matrix, this.connectionMask);
  }

  /** A derivative with respect to W, zero at dropped connections. */
  private masked(derivative: Tensor): Tensor {
    return this.connectionMask === undefined ? derivative : be.mul(derivative, this.connectionMask);
  }

  /** −r(lower)ᵀ W r(upper) per sample. @param lower - (batch, numLower) rescaled @param upper - (batch, numUpper) rescaled @returns (batch) */
  energy(lower: Tensor, upper: Tensor): Tensor {
    return be.tidy(() => be.neg(be.sum(be.mul(be.matmul(lower, this.coupling), upper), 1)));
  }

  /**
   * Mean over the batch of ∂E/∂W = −r(lower) r(upper)ᵀ (or the weighted sum with `rowWeights`).
   * @param lower - (batch, numLower) rescaled @param upper - (batch, numUpper) rescaled
   * @param rowWeights - (batch), summing to 1 @returns matrix (numLower, numUpper)
   */
  derivatives(lower: Tensor, upper: Tensor, rowWeights?: Tensor): ParameterTensors {
    return {
      matrix: be.tidy(() => {
        if (rowWeights === undefined) {
          return this.masked(
            be.mul(be.matmul(lower, upper, { transposeA: true }), -1 / (be.shape(lower)[0] as number)),
          );
        }
        const weighted = be.mul(lower, be.reshape(rowWeights, [be.shape(rowWeights)[0] as number, 1]));
        return this.masked(be.neg(be.matmul(weighted, upper, { transposeA: true })));
      }),
    };
  }

  /**
   * `⟨∂E/∂W⟩_data − ⟨∂E/∂W⟩_model = −⟨r_l r_uᵀ⟩_data + ⟨r_l r_uᵀ⟩_model` as one matrix product
   * of the stacked batches, the upper ones scaled (the two may differ in size; the lower ones
   * stay as they are, so binary units keep a 0/1 factor the cpu backend multiplies sparsely).
   * @param lowerData - (batchData, numLower) rescaled @param upperData - (batchData, numUpper) rescaled
   * @param lowerModel - (batchModel, numLower) rescaled @param upperModel - (batchModel, numUpper) rescaled
   * @returns (numLower, numUpper)
   */
  derivativeDifference(lowerData: Tensor, upperData: Tensor, lowerModel: Tensor, upperModel: Tensor): Tensor {
    return be.tidy(() => {
      const [dataRows, modelRows] = [be.shape(lowerData)[0] as number, be.shape(lowerModel)[0] as number];
      const upper = be.concat([be.mul(upperData, -1 / dataRows), be.mul(upperModel, 1 / modelRows)], 0);
      return this.masked(be.matmul(be.concat([lowerData, lowerModel], 0), upper, { transposeA: true }));
    });
  }

  /** The field on the upper layer, r(lower) W. @param lower - (batch, numLower) rescaled @returns (batch, numUpper) */
  fieldUp(lower: Tensor): Tensor {
    return be.matmul(lower, this.coupling);
  }

  /** The field on the lower layer, r(upper) Wᵀ. @param upper - (batch, numUpper) rescaled @returns (batch, numLower) */
  fieldDown(upper: Tensor): Tensor {
    return be.matmul(upper, this.coupling, { transposeB: true });
  }

  /** The weights' description for `model.json`. */
  toConfig(): WeightsConfig {
    return {
      shape: [this.numLower, this.numUpper],
      fixedParams: this.fixedParams,
      penalties: Object.fromEntries([...this.penalties].map(([name, p]) => [name, penaltyConfig(p)])),
      constraints: Object.fromEntries([...this.constraints].map(([name, c]) => [name, c.type])),
    };
  }
}
