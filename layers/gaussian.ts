import { be, type Tensor } from '../backends/index.js';
import { UnsupportedError } from '../errors/index.js';
import type { InverseTemperature } from './layer.js';
import { QuadraticLayer } from './quadratic-layer.js';
import { registerLayer } from './registry.js';

/** ln 2π. */
const LOG_TWO_PI = Math.log(2 * Math.PI);

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
