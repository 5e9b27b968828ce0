import { be, type Tensor } from '../backends/index.js';
import { UnsupportedError } from '../errors/index.js';
import { gaussianLogPartition } from './gaussian.js';
import type { InverseTemperature } from './layer.js';
import { logNormalCdf, truncatedNormalDraw, truncatedNormalMean } from './normal-tails.js';
import { QuadraticLayer } from './quadratic-layer.js';
import { registerLayer } from './registry.js';

/**
 * Rectified linear units as truncated Gaussians: `H(x) = Σ (x − m)²/(2σ²)` for
 * x ≥ 0, rescale `r(x) = x/σ²`. Given the field φ a unit is N(μ, s²) truncated to [0, ∞), with
 * μ = m + φ and s² = σ²/β, so with a = μ/s and λ the inverse Mills ratio φ/Φ:
 * `E[x] = μ + s·λ(a)` (computed without cancellation for a ≪ 0), `E[x²] = s² + μ·E[x]`, and the log partition function is the Gaussian
 * one plus `ln Φ(a)`, exactly. Samples invert the truncated normal's distribution function.
 *
 * The peers' rectified units are not this model, nor any model with a partition function:
 * PyDeep's rectified RBMs (`BinaryRectRBM`, `GaussianRectRBM`, `RectRectRBM`) give a hidden
 * unit with input x the mean softplus(x) and draw it as `clip(x + ε·sigmoid(x), 0, max_act)`,
 * ε ~ N(0, 1), max_act 1000 (10 for `GaussianRectRBM`), and leave its energy and ln Z
 * unimplemented; Learnergy's `GaussianReluRBM` sets each hidden unit to `relu(a)`,
 * a = Wᵀv + b, with no noise (this layer's {@link ReLULayer.conditionalMode} at σ = 1, not a
 * draw), and trains on its Gaussian–Bernoulli free energy.
 * {@link NReLULayer} keeps this model and draws with Nair & Hinton's noise instead.
 */
export class ReLULayer extends QuadraticLayer {
  readonly type: 'relu' | 'nrelu' = 'relu';
  readonly support = [0, Infinity] as const;

  /** μ = m + φ and s = σ/√β. @returns each (batch, numUnits) */
  protected location(field: Tensor, beta: InverseTemperature): { readonly mu: Tensor; readonly scale: Tensor } {
    return { mu: be.add(field, this.param('loc')), scale: be.sqrt(be.div(this.variance(), beta)) };
  }

  conditionalMean(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => {
      const { mu, scale } = this.location(field, beta);
      return be.mul(scale, truncatedNormalMean(be.div(mu, scale)));
    });
  }

  conditionalMode(field: Tensor): Tensor {
    return be.tidy(() => be.maximum(be.add(field, this.param('loc')), 0));
  }

  conditionalSample(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => {
      const { mu, scale } = this.location(field, beta);
      return be.maximum(be.add(mu, be.mul(scale, truncatedNormalDraw(be.neg(be.div(mu, scale))))), 0);
    });
  }

  /** The Gaussian log partition function plus Σ_units ln Φ(μ/s), the mass the truncation keeps. */
  logPartition(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => {
      const { mu, scale } = this.location(field, beta);
      const untruncated = gaussianLogPartition(field, this.param('loc'), this.param('logVar'), beta);
      return be.sum(be.add(untruncated, logNormalCdf(be.div(mu, scale))), 1);
    });
  }

  /** E[x] = μ + σλ(μ/σ), E[x²] = σ² + μE[x]. */
  protected conditionalMoments(field: Tensor): { readonly mean: Tensor; readonly meanSquare: Tensor } {
    return be.tidy(() => {
      const mean = this.conditionalMean(field);
      const meanSquare = be.add(this.variance(), be.mul(be.add(field, this.param('loc')), mean));
      return { mean, meanSquare };
    });
  }

  meanFieldFreeEnergy(_mean: Tensor): Tensor {
    throw this.unsupported('a mean-field free energy (use it in RBMs, where free energies are exact)');
  }

  enumerateStates(): Tensor {
    throw new UnsupportedError(`${this.describe()}: rectified units are continuous and cannot be enumerated`);
  }
}

/**
 * Noisy rectified linear units (Nair & Hinton 2010): the {@link ReLULayer}'s model, sampled in
 * training as `s · max(0, η + √sigmoid(η) · ε)`, ε ~ N(0, 1), η = μ/s: noise of variance
 * sigmoid(η), Nair & Hinton's approximation of a sum of many tied binary units. PyDeep's
 * rectified units draw `clip(x + sigmoid(x) · ε, 0, max_act)` instead (standard deviation
 * sigmoid(x), an upper clip; see {@link ReLULayer}). Only the training sampler differs from
 * `relu`: means, modes, free energies, gradients and the estimators' exact draws are the
 * truncated Gaussian's.
 */
export class NReLULayer extends ReLULayer {
  override readonly type = 'nrelu' as const;

  override conditionalSample(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => {
      const { mu, scale } = this.location(field, beta);
      const eta = be.div(mu, scale);
      const noise = be.mul(be.sqrt(be.sigmoid(eta)), be.randomNormal(be.shape(eta)));
      return be.mul(be.maximum(be.add(eta, noise), 0), scale);
    });
  }

  override exactConditionalSample(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return super.conditionalSample(field, beta);
  }
}

declare module './registry.js' {
  interface LayerTypes {
    relu: ReLULayer;
    nrelu: NReLULayer;
  }
}
registerLayer('relu', ReLULayer);
registerLayer('nrelu', NReLULayer);
