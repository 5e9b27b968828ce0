import { be, type Tensor } from '../backends/index.js';
import { UnsupportedError } from '../errors/index.js';
import { damped, type InverseTemperature, type Magnetization } from './layer.js';
import type { ParameterTensors } from './parameters.js';
import { QuadraticLayer } from './quadratic-layer.js';
import { registerLayer } from './registry.js';

/** ln 2π. */
const LOG_TWO_PI = Math.log(2 * Math.PI);

/** The smallest 1 − c/σ² the TAP variance update uses, so s* stays finite (at most 10⁴σ²). */
const MIN_PRECISION_RATIO = 1e-4;

/**
 * Real-valued units with location `loc` (m) and log-variance `logVar` (ln σ²):
 * `H(x) = Σ (x − m)² / (2σ²)`, rescale `r(x) = x / σ²`. Given the field φ the units are
 * normal with mean `m + φ` and variance `σ²/β` (Cho et al.'s Gaussian–Bernoulli RBM; the
 * mean is `m + φ`, not `m + σ²φ`, because the coupling uses r(x) = x/σ²). Training `logVar`
 * learns each unit's variance (Learnergy's VarianceGaussianRBM, PyDeep's
 * GaussianBinaryVarianceRBM); fixing it (`setFixedParams(['logVar'])`) gives the
 * fixed-variance model of Learnergy's GaussianRBM.
 */
export class GaussianLayer extends QuadraticLayer {
  readonly type = 'gaussian' as const;
  readonly support = [-Infinity, Infinity] as const;
  override readonly hasTapTerms = true;

  conditionalMean(field: Tensor): Tensor {
    return be.add(field, this.param('loc'));
  }

  conditionalMode(field: Tensor): Tensor {
    return this.conditionalMean(field);
  }

  conditionalSample(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => {
      const deviation = be.sqrt(be.div(this.variance(), beta));
      return be.add(this.conditionalMean(field), be.mul(deviation, be.randomNormal(be.shape(field))));
    });
  }

  /** Σ_units β(mφ + φ²/2)/σ² + ½ ln(2πσ²/β). */
  logPartition(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => be.sum(gaussianLogPartition(field, this.param('loc'), this.param('logVar'), beta), 1));
  }

  /** E[x] = m + φ, E[x²] = (m + φ)² + σ². */
  protected conditionalMoments(field: Tensor): { readonly mean: Tensor; readonly meanSquare: Tensor } {
    const mean = this.conditionalMean(field);
    return { mean, meanSquare: be.add(be.square(mean), this.variance()) };
  }

  /** With q = N(μ, σ²): Σ (μ − m)²/(2σ²) − ½ Σ (ln 2π + ln σ²). */
  meanFieldFreeEnergy(mean: Tensor): Tensor {
    return be.tidy(() => be.sub(this.energy(mean), be.mul(be.sum(be.add(this.param('logVar'), LOG_TWO_PI)), 0.5)));
  }

  /** Means N(m, σ²/4) around the location, variances σ². */
  override tapStart(particles: number): Magnetization {
    return be.tidy(() => {
      const deviation = be.mul(be.sqrt(this.variance()), 0.5);
      const mean = be.add(this.param('loc'), be.mul(deviation, be.randomNormal([particles, this.numUnits])));
      return { mean, variance: be.add(be.zeros([particles, this.numUnits]), this.variance()) };
    });
  }

  /**
   * μ* = m + φ and s* = σ⁴/(σ² − c), where ∂/∂μ and ∂/∂s of
   * ((μ − m)² + s)/(2σ²) − ½ ln(2πe s) − μφ/σ² − ½ c s/σ⁴ vanish. Where c ≥ σ² the TAP free energy
   * has no minimum in s (the expansion breaks down, see `estimators.tapBreakdown`); s* is then
   * capped at 10⁴ σ² (the ratio 1 − c/σ² is floored at 10⁻⁴).
   */
  override tapUpdate(field: Tensor, onsager: Tensor, current: Magnetization, damping: number): Magnetization {
    return be.tidy(() => {
      const variance = this.variance();
      const precisionRatio = be.maximum(be.sub(1, be.div(onsager, variance)), MIN_PRECISION_RATIO);
      return {
        mean: damped(current.mean, this.conditionalMean(field), damping),
        variance: damped(current.variance, be.div(variance, precisionRatio), damping),
      };
    });
  }

  /** max c/σ². */
  override tapOnsagerRatio(onsager: Tensor): Tensor {
    return be.tidy(() => be.max(be.div(onsager, this.variance())));
  }

  /** Σ ((μ − m)² + s)/(2σ²) − ½ ln(2πe s). */
  override tapFreeEnergy({ mean, variance }: Magnetization): Tensor {
    return be.tidy(() =>
      be.sub(
        be.add(this.energy(mean), be.sum(be.div(variance, be.mul(this.variance(), 2)), 1)),
        be.mul(be.sum(be.add(be.log(variance), LOG_TWO_PI + 1), 1), 0.5),
      ),
    );
  }

  /** Var(x/σ²) = s/σ⁴. */
  override tapRescaledVariance(variance: Tensor): Tensor {
    return be.tidy(() => be.mul(variance, be.exp(be.mul(this.param('logVar'), -2))));
  }

  /**
   * At fixed (μ, s): ∂/∂m = −(μ − m)/σ²; ∂/∂(ln σ²) = (μφ − ½((μ − m)² + s))/σ² + c s/σ⁴, the
   * last from the Onsager term's Var r(x) = s/σ⁴.
   */
  override tapDerivatives(magnetization: Magnetization, field: Tensor, onsager: Tensor): ParameterTensors {
    return be.tidy(() => {
      const { loc, logVar } = this.derivatives(magnetization.mean, field);
      const rescaled = this.tapRescaledVariance(magnetization.variance);
      const share = be.sub(be.mul(rescaled, onsager), be.div(magnetization.variance, be.mul(this.variance(), 2)));
      return { loc: loc as Tensor, logVar: be.add(logVar as Tensor, be.mean(share, 0)) };
    });
  }

  enumerateStates(): Tensor {
    throw new UnsupportedError(`${this.describe()}: Gaussian units are continuous and cannot be enumerated`);
  }
}

/**
 * Per unit, ln ∫ exp(−β((x − m)²/(2σ²) − xφ/σ²)) dx over ℝ = β(mφ + φ²/2)/σ² + ½ ln(2πσ²/β).
 * @param field - (batch, numUnits) @param loc - (numUnits) @param logVar - (numUnits) @returns (batch, numUnits)
 */
export function gaussianLogPartition(field: Tensor, loc: Tensor, logVar: Tensor, beta: InverseTemperature): Tensor {
  return be.tidy(() => {
    const quadratic = be.div(be.add(be.mul(loc, field), be.mul(be.square(field), 0.5)), be.exp(logVar));
    const logBeta = typeof beta === 'number' ? Math.log(beta) : be.log(beta);
    const normalizer = be.mul(be.sub(be.add(logVar, LOG_TWO_PI), logBeta), 0.5);
    return be.add(be.mul(quadratic, beta), normalizer);
  });
}

declare module './registry.js' {
  interface LayerTypes {
    gaussian: GaussianLayer;
  }
}
registerLayer('gaussian', GaussianLayer);
