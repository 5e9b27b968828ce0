import type { Tensor, TensorLike } from '../backends/index.js';
import { be } from '../backends/index.js';
import { UnsupportedError } from '../errors/index.js';
import { type ParameterConfig, type ParameterTensors, Parametrized } from './parameters.js';
import { type LayerOptions, type LayerType, makeLayer } from './registry.js';

/** How a picture maps values to grey: `'unit'` ([0, 1] is black to white) or `'tile'` (each image to its own range). */
export type PictureScale = 'unit' | 'tile';

/** An inverse temperature β: a number, or a tensor (batch, 1) with one β per sample. */
export type InverseTemperature = TensorLike;

/** A layer's description, as saved in `model.json`. */
export interface LayerConfig extends ParameterConfig, LayerOptions {
  readonly type: LayerType;
  readonly units: number;
}

/**
 * A layer's TAP magnetization: the mean and the variance of each unit under the factorized
 * distribution q that the TAP free energy is a function of. Each (particles, numUnits). (A type,
 * not an interface, so `be.tidy` may return it.)
 */
export type Magnetization = {
  readonly mean: Tensor;
  readonly variance: Tensor;
};

/** Shrinkage toward an uninformative value applied when initializing from data moments (as Paysage). */
export const MOMENT_SHRINKAGE = 0.01;

/**
 * A layer of units. Its energy `H(x)` and rescale function `r(x)` enter the model energy
 * `E = Σ H_i(x_i) − Σ r(x_{i−1})ᵀ W_i r(x_i)`. Everything a layer needs from its neighbours
 * is the **field** `φ = Σ_neighbours r(x_j) W` (batch, numUnits), so that the unit's
 * Boltzmann weight at inverse temperature β is `exp(−β (H(x) − r(x)·φ))`.
 *
 * Parameters are vectors (numUnits); all methods take and return batches (batch, numUnits).
 */
export abstract class Layer extends Parametrized {
  /** The kind of layer. */
  abstract readonly type: LayerType;
  /** Whether {@link Layer.derivatives} uses the field (only when r(x) depends on the parameters). */
  readonly derivativesUseField: boolean = false;
  /** Whether the layer implements the second-order TAP terms ({@link Layer.tapUpdate} and its siblings). */
  readonly hasTapTerms: boolean = false;
  /** Whether the units take finitely many values (so states can be enumerated). */
  abstract readonly discrete: boolean;
  /** The smallest and the largest value a unit takes (±Infinity where the units are unbounded). */
  abstract readonly support: readonly [lowest: number, highest: number];
  /**
   * Whether the layer can be centered (Melchior et al. 2016): r(x) = x and `∂E/∂loc = −x`, so
   * shifting its units by an offset only moves its neighbours' biases.
   */
  readonly centerable: boolean = false;
  /**
   * Whether {@link Layer.annealedSample} moves the units between an {@link Layer.annealingBase}
   * fitted to data and the layer itself (so AIS can sample this layer as the visible one).
   */
  readonly annealable: boolean = false;
  /**
   * Whether every unit takes exactly two states, so {@link Layer.flipUnits} can move a single unit
   * to its other state while the rest stay put (what the pseudo-likelihood compares against).
   */
  readonly twoStateUnits: boolean = false;

  /** @param numUnits - number of units @param paramNames - names of the (numUnits) parameters */
  protected constructor(
    readonly numUnits: number,
    paramNames: readonly string[],
  ) {
    super(Object.fromEntries(paramNames.map((name) => [name, [numUnits]])));
    be.checkMemory(
      paramNames.map((name) => ({ what: `${this.describe()}.${name}`, shape: [numUnits] })),
      this.constructor.name,
      'use fewer units, or a backend with more memory',
    );
    for (const name of paramNames) this.setParam(name, be.zeros([numUnits]));
  }

  describe(): string {
    return `${this.constructor.name}(${this.numUnits})`;
  }

  /** The layer's own energy H(x). @param units - (batch, numUnits) @returns (batch) */
  abstract energy(units: Tensor): Tensor;

  /** The rescaled units r(x) that couple to the weights (identity unless Gaussian). @param units - (batch, numUnits) */
  rescale(units: Tensor): Tensor {
    return units;
  }

  /** E[x | φ] at inverse temperature β. @param field - (batch, numUnits) @returns (batch, numUnits) */
  abstract conditionalMean(field: Tensor, beta?: InverseTemperature): Tensor;

  /** The most probable x given φ. @param field - (batch, numUnits) @returns (batch, numUnits) */
  abstract conditionalMode(field: Tensor, beta?: InverseTemperature): Tensor;

  /** A sample of x ~ p(x | φ) at inverse temperature β. @param field - (batch, numUnits) @returns (batch, numUnits) */
  abstract conditionalSample(field: Tensor, beta?: InverseTemperature): Tensor;

  /**
   * A draw from the exact conditional p(x | φ) ∝ exp(−β (H(x) − r(x)·φ)) of the layer's energy,
   * which estimators need (AIS, importance weights); {@link Layer.conditionalSample} unless the
   * layer trains with an approximate sampler (NReLU). @param field - (batch, numUnits) @returns (batch, numUnits)
   */
  exactConditionalSample(field: Tensor, beta?: InverseTemperature): Tensor {
    return this.conditionalSample(field, beta);
  }

  /**
   * ln ∫ exp(−β (H(x) − r(x)·φ)) dx over the whole layer (the units are independent given φ).
   * @param field - (batch, numUnits) @returns (batch)
   */
  abstract logPartition(field: Tensor, beta?: InverseTemperature): Tensor;

  /**
   * Mean over the batch of ∂E/∂θ for each parameter θ, where E includes the coupling
   * `−r(x)·φ` (it depends on θ through r for Gaussian units).
   * @param units - (batch, numUnits)
   * @param field - (batch, numUnits); needed only where {@link Layer.derivativesUseField}
   * @param rowWeights - (batch) weights summing to 1 that replace the plain mean
   * @returns each (numUnits)
   */
  abstract derivatives(units: Tensor, field: Tensor | undefined, rowWeights?: Tensor): ParameterTensors;

  /**
   * Mean over the batch of E[∂E/∂θ] with x ~ p(x | φ) at β = 1 (equal to −∂ ln Z(φ)/∂θ).
   * @param field - (batch, numUnits) @param rowWeights - (batch) weights replacing the plain mean
   * @returns each (numUnits)
   */
  abstract conditionalDerivatives(field: Tensor, rowWeights?: Tensor): ParameterTensors;

  /**
   * E_q[H(x)] − S(q) for the factorized distribution q with means `mean` (and, for Gaussian
   * units, the layer's variance): this layer's part of the mean-field free energy.
   * @param mean - (batch, numUnits) @returns (batch)
   */
  abstract meanFieldFreeEnergy(mean: Tensor): Tensor;

  /** Random states drawn exactly from the layer with no field. @returns (batchSize, numUnits) */
  randomState(batchSize: number): Tensor {
    return be.tidy(() => this.exactConditionalSample(be.zeros([batchSize, this.numUnits])));
  }

  /** Every state of a discrete layer, one per row. @returns (numStates, numUnits) */
  abstract enumerateStates(): Tensor;

  /**
   * Sets the parameters so that, with no field, the units have (roughly) these moments,
   * shrunk by {@link MOMENT_SHRINKAGE} toward an uninformative value. Mutates the layer.
   * @param mean - (numUnits) @param variance - (numUnits)
   */
  abstract initializeFromMoments(mean: Float64Array, variance: Float64Array): void;

  /**
   * What a picture of this layer shows given the field from its neighbours: the noise-free
   * conditional mean, and how its values map to grey.
   * @param field - (batch, numUnits) @returns values (batch, numUnits), owned by the caller
   */
  picture(field: Tensor): { readonly values: Tensor; readonly scale: PictureScale } {
    return { values: this.conditionalMean(field), scale: 'tile' };
  }

  // ----- second-order TAP (extended mean-field) terms; a layer without them throws -----
  // biome-ignore-start lint/correctness/noUnusedFunctionParameters: the defaults throw; the names are documented

  /**
   * Starting magnetizations for the fixed-point iteration, random and inside the support.
   * @returns each (particles, numUnits), owned by the caller
   */
  tapStart(particles: number): Magnetization {
    throw this.unsupported('second-order TAP terms');
  }

  /**
   * One damped fixed-point update: the magnetization that makes the TAP free energy stationary
   * given the others (the units' field φ and Onsager coefficients c = Σ_j W²_ij Var r(x_j)),
   * mixed with the current one, m ← (1−λ) m + λ m*. @param field - (particles, numUnits)
   * @param onsager - (particles, numUnits) @param damping - λ in (0, 1]
   * @returns each (particles, numUnits), owned by the caller
   */
  tapUpdate(field: Tensor, onsager: Tensor, current: Magnetization, damping: number): Magnetization {
    throw this.unsupported('second-order TAP terms');
  }

  /** E_q[H(x)] − S(q) for the factorized q with this magnetization. @returns (particles) */
  tapFreeEnergy(magnetization: Magnetization): Tensor {
    throw this.unsupported('second-order TAP terms');
  }

  /**
   * Var r(x) under q, from Var x (the quantity the Onsager term couples).
   * @param variance - (particles, numUnits) @returns (particles, numUnits)
   */
  tapRescaledVariance(variance: Tensor): Tensor {
    throw this.unsupported('second-order TAP terms');
  }

  /**
   * ∂Γ/∂θ for this layer's parameters at fixed magnetization, averaged over the particles:
   * E_q[∂H/∂θ] plus what the coupling and Onsager terms owe to θ through r(x).
   * @param field - (particles, numUnits) @param onsager - (particles, numUnits) @returns each (numUnits)
   */
  tapDerivatives(magnetization: Magnetization, field: Tensor, onsager: Tensor): ParameterTensors {
    throw this.unsupported('second-order TAP terms');
  }

  /**
   * The largest Onsager coefficient relative to what the layer's TAP free energy tolerates
   * (c/σ² for Gaussian units): at 1 or more Γ has no minimum and the expansion has broken
   * down. Undefined for layers that tolerate any coupling. @param onsager - (particles, numUnits) @returns a scalar
   */
  tapOnsagerRatio(onsager: Tensor): Tensor | undefined {
    return undefined;
  }

  // ----- annealed importance sampling -----

  /**
   * The base distribution AIS starts from: a layer of the same type with no neighbours whose
   * units have (roughly) the data's moments, or its default parameters without them. The
   * caller owns (and disposes) it. @param moments - mean and variance, each (numUnits)
   */
  annealingBase(moments?: { readonly mean: Float64Array; readonly variance: Float64Array }): Layer {
    const base = this.sameKind();
    if (moments) base.initializeFromMoments(moments.mean, moments.variance);
    return base;
  }

  /**
   * A sample of the units on the AIS path between `base` (β = 0) and this layer (β = 1):
   * p_β(x) ∝ exp(−(1−β)H_base(x) − βH(x) + β r(x)·φ).
   * @param base - from {@link annealingBase} @param field - (batch, numUnits), the full coupling field φ
   * @returns (batch, numUnits)
   */
  annealedSample(base: Layer, field: Tensor, beta: number): Tensor {
    throw this.unsupported('an annealing path for AIS');
  }
  /**
   * The units with those that `sites` marks moved to their other state (layers with
   * {@link Layer.twoStateUnits}).
   * @param units - (batch, numUnits) @param sites - (batch, numUnits) of 0s and 1s, 1 where a unit flips
   * @returns (batch, numUnits)
   */
  flipUnits(units: Tensor, sites: Tensor): Tensor {
    throw this.unsupported('two-state units to flip one at a time');
  }
  // biome-ignore-end lint/correctness/noUnusedFunctionParameters: the defaults throw; the names are documented

  /** The error for a capability this layer lacks. */
  protected unsupported(what: string): UnsupportedError {
    return new UnsupportedError(`${this.describe()} lacks ${what}`);
  }

  /** What makes this layer besides its type and size: its options, as its type's registered options schema takes them (none by default). */
  protected layerOptions(): LayerOptions {
    return {};
  }

  /** A new layer of the same type, size and options, with fresh parameters. */
  sameKind(): Layer {
    return makeLayer(this.type, this.numUnits, this.layerOptions());
  }

  /** The layer's description for `model.json`. */
  toConfig(): LayerConfig {
    return {
      type: this.type,
      units: this.numUnits,
      ...this.layerOptions(),
      ...this.parameterConfig(),
    };
  }
}

/** `loc + φ`, the total field on each unit. @param field - (batch, numUnits) @param loc - (numUnits) */
export function biasedField(field: Tensor, loc: Tensor, beta: InverseTemperature = 1): Tensor {
  return be.tidy(() => (beta === 1 ? be.add(field, loc) : be.mul(be.add(field, loc), beta)));
}

/**
 * Mean over the batch (axis 0), or the weighted sum `Σ_b w_b t_b` when row weights are given.
 * @param t - (batch, n) @param rowWeights - (batch), summing to 1 @returns (n)
 */
export function batchMean(t: Tensor, rowWeights?: Tensor): Tensor {
  if (rowWeights === undefined) return be.mean(t, 0);
  return be.tidy(() => be.sum(be.mul(t, be.reshape(rowWeights, [be.shape(rowWeights)[0] as number, 1])), 0));
}

/** `−mean(x, 0)`, the derivative of `−locᵀx` averaged over a batch. @param units - (batch, numUnits) */
export function negativeBatchMean(units: Tensor, rowWeights?: Tensor): Tensor {
  return be.tidy(() => be.neg(batchMean(units, rowWeights)));
}

/** Σ_units of `−locᵀx` per sample. @param units - (batch, numUnits) @returns (batch) */
export function linearEnergy(units: Tensor, loc: Tensor): Tensor {
  return be.tidy(() => be.neg(be.sum(be.mul(units, loc), 1)));
}

/** Σ x ln x per sample, with 0 ln 0 = 0. @param p - (batch, n) values in [0, 1] @returns (batch) */
export function sumXLogX(p: Tensor): Tensor {
  return be.tidy(() => be.sum(be.mul(p, be.log(be.maximum(p, 1e-30))), 1));
}

/**
 * `ifTrue` where `mask` is 1 and `ifFalse` where it is 0, exactly (each term is the value or 0),
 * for tensors of one shape whose values are all finite.
 */
export function blend(mask: Tensor, ifTrue: Tensor, ifFalse: Tensor): Tensor {
  return be.tidy(() => be.add(be.mul(mask, ifTrue), be.mul(be.sub(1, mask), ifFalse)));
}

/** The damped update `(1−λ) current + λ fresh`. @param damping - λ @returns the shape of `current` */
export function damped(current: Tensor, fresh: Tensor, damping: number): Tensor {
  return be.tidy(() => be.add(be.mul(current, 1 - damping), be.mul(fresh, damping)));
}
