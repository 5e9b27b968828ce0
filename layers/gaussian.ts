import { be, type Tensor } from '../backends/index.js';
import { ShapeError, UnsupportedError } from '../errors/index.js';
import { batchMean, type InverseTemperature, Layer, MOMENT_SHRINKAGE } from './layer.js';
import type { ParameterTensors } from './parameters.js';
import { registerLayer } from './registry.js';

const LOG_TWO_PI = Math.log(2 * Math.PI);

/**
 * Real-valued units with location `loc` (m) and log-variance `logVar` (ln σ²):
 * `H(x) = Σ (x − m)² / (2σ²)`, rescale `r(x) = x / σ²`. Given the field φ the units are
 * normal with mean `m + φ` and variance `σ²/β` (Cho et al.'s Gaussian–Bernoulli RBM; the
 * mean is `m + φ`, not `m + σ²φ`, because the coupling uses r(x) = x/σ²).
 */
export class GaussianLayer extends Layer {
  readonly type = 'gaussian' as const;
  override readonly derivativesUseField = true;
  readonly discrete = false;

  /** @param numUnits - number of units */
  constructor(numUnits: number) {
    super(numUnits, ['loc', 'logVar']);
  }

  /** σ² per unit. @returns (numUnits) */
  variance(): Tensor {
    return be.exp(this.param('logVar'));
  }

  energy(units: Tensor): Tensor {
    return be.tidy(() => be.sum(be.div(be.square(be.sub(units, this.param('loc'))), be.mul(this.variance(), 2)), 1));
  }

  override rescale(units: Tensor): Tensor {
    return be.tidy(() => be.mul(units, be.exp(be.neg(this.param('logVar')))));
  }

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
    return be.tidy(() => {
      const [loc, logVar] = [this.param('loc'), this.param('logVar')];
      const quadratic = be.div(be.add(be.mul(loc, field), be.mul(be.square(field), 0.5)), this.variance());
      const logBeta = typeof beta === 'number' ? Math.log(beta) : be.log(beta);
      const normalizer = be.mul(be.sub(be.add(logVar, LOG_TWO_PI), logBeta), 0.5);
      return be.sum(be.add(be.mul(quadratic, beta), normalizer), 1);
    });
  }

  /** ∂E/∂m = −(x − m)/σ²; ∂E/∂(ln σ²) = −(x − m)²/(2σ²) + xφ/σ² (the coupling term's share). */
  derivatives(units: Tensor, field: Tensor | undefined, rowWeights?: Tensor): ParameterTensors {
    if (field === undefined)
      throw new ShapeError(`${this.describe()}.derivatives: the logVar derivative needs the field`);
    return be.tidy(() => {
      const deviation = be.sub(units, this.param('loc'));
      const variance = this.variance();
      const logVar = be.div(be.sub(be.mul(units, field), be.mul(be.square(deviation), 0.5)), variance);
      return {
        loc: be.neg(batchMean(be.div(deviation, variance), rowWeights)),
        logVar: batchMean(logVar, rowWeights),
      };
    });
  }

  /** E[∂E/∂m] = −φ/σ²; E[∂E/∂(ln σ²)] = −½ + (mφ + φ²/2)/σ². */
  conditionalDerivatives(field: Tensor, rowWeights?: Tensor): ParameterTensors {
    return be.tidy(() => {
      const variance = this.variance();
      const quadratic = be.add(be.mul(this.param('loc'), field), be.mul(be.square(field), 0.5));
      return {
        loc: be.neg(batchMean(be.div(field, variance), rowWeights)),
        logVar: be.sub(batchMean(be.div(quadratic, variance), rowWeights), 0.5),
      };
    });
  }

  /** With q = N(μ, σ²): Σ (μ − m)²/(2σ²) − ½ Σ (ln 2π + ln σ²). */
  meanFieldFreeEnergy(mean: Tensor): Tensor {
    return be.tidy(() => be.sub(this.energy(mean), be.mul(be.sum(be.add(this.param('logVar'), LOG_TWO_PI)), 0.5)));
  }

  enumerateStates(): Tensor {
    throw new UnsupportedError(`${this.describe()}: Gaussian units are continuous and cannot be enumerated`);
  }

  initializeFromMoments(mean: Float64Array, variance: Float64Array): void {
    this.setParam('loc', be.tensor(mean));
    const logVar = Float32Array.from(variance, (v) => Math.log((1 - MOMENT_SHRINKAGE) * v + MOMENT_SHRINKAGE));
    this.setParam('logVar', be.tensor(logVar));
  }
}

declare module './registry.js' {
  interface LayerTypes {
    gaussian: GaussianLayer;
  }
}
registerLayer('gaussian', GaussianLayer);
