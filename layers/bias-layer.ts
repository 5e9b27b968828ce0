import { be, type Tensor } from '../backends/index.js';
import { Layer, linearEnergy, negativeBatchMean, type PictureScale } from './layer.js';
import type { ParameterTensors } from './parameters.js';

/**
 * Units whose only parameter is a bias `loc`, with energy `H(x) = −locᵀx` (Bernoulli,
 * OneHot, continuous Bernoulli): the energy and its derivatives are shared; subclasses supply
 * the conditional distribution.
 */
export abstract class BiasLayer extends Layer {
  readonly discrete: boolean = true;
  /** Every unit lies in [0, 1]. */
  readonly support = [0, 1] as const;
  override readonly centerable = true;
  override readonly annealable = true;

  /** @param numUnits - number of units */
  constructor(numUnits: number) {
    super(numUnits, ['loc']);
  }

  energy(units: Tensor): Tensor {
    return linearEnergy(units, this.param('loc'));
  }

  derivatives(units: Tensor, _field: Tensor | undefined, rowWeights?: Tensor): ParameterTensors {
    return { loc: negativeBatchMean(units, rowWeights) };
  }

  conditionalDerivatives(field: Tensor, rowWeights?: Tensor): ParameterTensors {
    return { loc: be.tidy(() => negativeBatchMean(this.conditionalMean(field), rowWeights)) };
  }

  /** The conditional probabilities, drawn on the unit scale. */
  override picture(field: Tensor): { readonly values: Tensor; readonly scale: PictureScale } {
    return { values: this.conditionalMean(field), scale: 'unit' };
  }

  /**
   * The energy is linear in `loc`, so the path's distribution is this layer's with bias
   * (1−β)loc_base + β loc and field βφ: the conditional sample with field βφ + (1−β)(loc_base − loc).
   */
  override annealedSample(base: Layer, field: Tensor, beta: number): Tensor {
    return be.tidy(() => {
      const shift = be.mul(be.sub(base.param('loc'), this.param('loc')), 1 - beta);
      return this.conditionalSample(be.add(be.mul(field, beta), shift));
    });
  }
}
