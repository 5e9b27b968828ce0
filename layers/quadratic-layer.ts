import { be, type Tensor } from '../backends/index.js';
import { ShapeError } from '../errors/index.js';
import { batchMean, Layer, MOMENT_SHRINKAGE } from './layer.js';
import type { ParameterTensors } from './parameters.js';

/**
 * Real-valued units with location `loc` (m) and log-variance `logVar` (ln σ²), energy
 * `H(x) = Σ (x − m)² / (2σ²)` on the layer's support and rescale `r(x) = x / σ²`: what the
 * Gaussian layer (support ℝ) and the rectified linear layer (support [0, ∞)) share. Given
 * the field φ, the units follow N(m + φ, σ²/β) restricted to the support.
 */
export abstract class QuadraticLayer extends Layer {
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

  /**
   * From the conditional moments at β = 1, E[x] and E[x²]:
   * E[∂E/∂m] = −(E[x] − m)/σ²; E[∂E/∂(ln σ²)] = (φE[x] − ½E[(x − m)²])/σ².
   */
  conditionalDerivatives(field: Tensor, rowWeights?: Tensor): ParameterTensors {
    return be.tidy(() => {
      const [loc, variance] = [this.param('loc'), this.variance()];
      const { mean, meanSquare } = this.conditionalMoments(field);
      const meanSquareDeviation = be.add(be.sub(meanSquare, be.mul(be.mul(mean, loc), 2)), be.square(loc));
      const logVar = be.div(be.sub(be.mul(field, mean), be.mul(meanSquareDeviation, 0.5)), variance);
      return {
        loc: be.neg(batchMean(be.div(be.sub(mean, loc), variance), rowWeights)),
        logVar: batchMean(logVar, rowWeights),
      };
    });
  }

  /** E[x] and E[x²] given the field at β = 1. @param field - (batch, numUnits) @returns each (batch, numUnits) */
  protected abstract conditionalMoments(field: Tensor): { readonly mean: Tensor; readonly meanSquare: Tensor };

  initializeFromMoments(mean: Float64Array, variance: Float64Array): void {
    this.setParam('loc', be.tensor(mean));
    const logVar = Float32Array.from(variance, (v) => Math.log((1 - MOMENT_SHRINKAGE) * v + MOMENT_SHRINKAGE));
    this.setParam('logVar', be.tensor(logVar));
  }
}
