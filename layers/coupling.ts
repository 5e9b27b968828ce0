import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import type { ConvolutionalWeightsConfig } from './convolutional-weights.js';
import { type ParameterTensors, Parametrized } from './parameters.js';
import type { WeightsConfig } from './weights.js';

/** A connection's description in `model.json`: dense weights or convolutional filters. */
export type CouplingDescription = WeightsConfig | ConvolutionalWeightsConfig;

/** Standard deviation of freshly made weights, N(0, 0.01²) as Hinton's guide suggests. */
export const INITIAL_WEIGHT_STD = 0.01;

/**
 * What couples two layers: one parameter θ (saved as `connections.<i>.W`) that defines a linear
 * map `L_θ` from the lower layer's units to the upper layer's, with energy `−r(upper)ᵀ L_θ r(lower)`
 * per sample. Dense weights (`L = Wᵀ`) and convolutional filters are the two kinds; everything
 * a model computes goes through the fields (L and Lᵀ) and the products ∂(r_uᵀ L r_l)/∂θ.
 */
export abstract class Coupling extends Parametrized {
  /** Units of the lower layer. */
  abstract readonly numLower: number;
  /** Units of the upper layer. */
  abstract readonly numUpper: number;
  /** The name of the coupling parameter (`'matrix'` or `'filters'`). */
  abstract readonly parameterName: string;

  /** `L_θ x` for a parameter value θ (the coupling's own, or its square). @param lower - (batch, numLower) @returns (batch, numUpper) */
  protected abstract mapUp(theta: Tensor, lower: Tensor): Tensor;

  /** `L_θᵀ y` for a parameter value θ. @param upper - (batch, numUpper) @returns (batch, numLower) */
  protected abstract mapDown(theta: Tensor, upper: Tensor): Tensor;

  private scales = { up: 1, down: 1 };

  /**
   * Salakhutdinov & Hinton's modified RBMs (the stages of DBM pretraining): until set back to
   * 1 and 1, the field on the upper layer is multiplied by `up` and the field on the lower
   * layer by `down`, as if the other layer were counted that many times. Energies use the
   * scaled upward field; the derivatives stay the products ∂(r_uᵀ L r_l)/∂θ, as in their
   * updates, and TAP's Onsager terms are not scaled.
   * @throws ConfigError when a scale is not a positive finite number
   */
  scaleFields(up: number, down: number): void {
    for (const [name, scale] of Object.entries({ up, down })) {
      if (!(Number.isFinite(scale) && scale > 0)) {
        throw new ConfigError(`${this.describe()}.scaleFields: ${name}: expected a positive number, got ${scale}`);
      }
    }
    this.scales = { up, down };
  }

  /** The parameter value the fields use: θ (DropConnect masks it). */
  protected get coupling(): Tensor {
    return this.parameter;
  }

  /** The field on the upper layer, `L r(lower)`. @param lower - (batch, numLower) rescaled @returns (batch, numUpper) */
  fieldUp(lower: Tensor): Tensor {
    const field = this.mapUp(this.coupling, lower);
    return this.scales.up === 1 ? field : be.mul(field, this.scales.up);
  }

  /** The field on the lower layer, `Lᵀ r(upper)`. @param upper - (batch, numUpper) rescaled @returns (batch, numLower) */
  fieldDown(upper: Tensor): Tensor {
    const field = this.mapDown(this.coupling, upper);
    return this.scales.down === 1 ? field : be.mul(field, this.scales.down);
  }

  /**
   * The TAP Onsager coefficients on the upper layer, `L_θ² Var r(lower)` (Σ_l W²_lu v_l for dense
   * weights; the convolution with squared filters). @param lowerVariance - (batch, numLower) @returns (batch, numUpper)
   */
  onsagerUp(lowerVariance: Tensor): Tensor {
    return be.tidy(() => this.mapUp(be.square(this.coupling), lowerVariance));
  }

  /** The TAP Onsager coefficients on the lower layer, `L_θ²ᵀ Var r(upper)`. @param upperVariance - (batch, numUpper) @returns (batch, numLower) */
  onsagerDown(upperVariance: Tensor): Tensor {
    return be.tidy(() => this.mapDown(be.square(this.coupling), upperVariance));
  }

  /**
   * The Onsager term's share of ∂Γ/∂θ averaged over the batch, `−θ ∘ ⟨∂(v_uᵀ L v_l)/∂θ⟩`
   * (−W ∘ mean v_l v_uᵀ for dense weights). @param lowerVariance - (batch, numLower) Var r
   * @param upperVariance - (batch, numUpper) Var r @returns the parameter's shape
   */
  onsagerDerivatives(lowerVariance: Tensor, upperVariance: Tensor): Tensor {
    return be.tidy(() =>
      be.mul(
        this.products(lowerVariance, upperVariance),
        be.mul(this.parameter, -1 / (be.shape(lowerVariance)[0] as number)),
      ),
    );
  }

  /**
   * `Σ_b ∂(r_u,bᵀ L r_l,b)/∂θ` over the batch, in the parameter's shape.
   * @param lower - (batch, numLower) rescaled @param upper - (batch, numUpper) rescaled
   */
  protected abstract products(lower: Tensor, upper: Tensor): Tensor;

  /**
   * The weights that feed each upper feature, one column per feature: the matrix W
   * (numLower, numUpper) for dense weights, (channels·kh·kw, numFilters) for filters. Make it
   * inside a `tidy`: it may be a new tensor.
   */
  abstract featureWeights(): Tensor;

  /** The description for `model.json`. */
  abstract toConfig(): CouplingDescription;

  /**
   * The dense matrix W (numLower, numUpper), as scripts read `connections[i].weights.matrix`.
   * @throws UnsupportedError for convolutional weights (read `filters` or `featureWeights()`)
   */
  abstract get matrix(): Tensor;

  /** The coupling parameter θ. */
  get parameter(): Tensor {
    return this.param(this.parameterName);
  }

  /** `−r(upper)ᵀ L r(lower)` per sample. @param lower - (batch, numLower) rescaled @param upper - (batch, numUpper) rescaled @returns (batch) */
  energy(lower: Tensor, upper: Tensor): Tensor {
    return be.tidy(() => be.neg(be.sum(be.mul(this.fieldUp(lower), upper), 1)));
  }

  /**
   * Mean over the batch of ∂E/∂θ (or the weighted sum with `rowWeights`).
   * @param lower - (batch, numLower) rescaled @param upper - (batch, numUpper) rescaled
   * @param rowWeights - (batch), summing to 1 @returns the parameter's gradient by name
   */
  derivatives(lower: Tensor, upper: Tensor, rowWeights?: Tensor): ParameterTensors {
    return {
      [this.parameterName]: be.tidy(() => {
        if (rowWeights === undefined) return be.mul(this.products(lower, upper), -1 / (be.shape(lower)[0] as number));
        const weighted = be.mul(lower, be.reshape(rowWeights, [be.shape(rowWeights)[0] as number, 1]));
        return be.neg(this.products(weighted, upper));
      }),
    };
  }

  /**
   * `⟨∂E/∂θ⟩_data − ⟨∂E/∂θ⟩_model` as the products of the stacked batches, the upper ones
   * scaled (the two may differ in size; the lower ones stay as they are, so binary units keep
   * a 0/1 factor the cpu backend multiplies sparsely).
   * @param lowerData - (batchData, numLower) rescaled @param upperData - (batchData, numUpper) rescaled
   * @param lowerModel - (batchModel, numLower) rescaled @param upperModel - (batchModel, numUpper) rescaled
   * @returns the parameter's shape
   */
  derivativeDifference(lowerData: Tensor, upperData: Tensor, lowerModel: Tensor, upperModel: Tensor): Tensor {
    return be.tidy(() => {
      const [dataRows, modelRows] = [be.shape(lowerData)[0] as number, be.shape(lowerModel)[0] as number];
      return this.stackedProducts([
        [lowerData, be.mul(upperData, -1 / dataRows)],
        [lowerModel, be.mul(upperModel, 1 / modelRows)],
      ]);
    });
  }

  /**
   * The products of stacked batches: those of the stacked (lower, upper) pairs.
   * @param pairs - (batchᵢ, numLower) and (batchᵢ, numUpper) rescaled units each @returns the parameter's shape
   */
  protected stackedProducts(pairs: readonly (readonly [Tensor, Tensor])[]): Tensor {
    const [lowers, uppers] = [pairs.map(([lower]) => lower), pairs.map(([, upper]) => upper)];
    return this.products(be.concat(lowers, 0), be.concat(uppers, 0));
  }
}
