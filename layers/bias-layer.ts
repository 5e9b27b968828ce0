import { be, type Tensor } from '../backends/index.js';
import { Layer, linearEnergy, negativeBatchMean } from './layer.js';
import type { ParameterTensors } from './parameters.js';

/**
 * Discrete units whose only parameter is a bias `loc`, with energy `H(x) = −locᵀx`
 * (Bernoulli and OneHot): the energy and its derivatives are shared; subclasses supply the
 * conditional distribution.
 */
export abstract class BiasLayer extends Layer {
  readonly discrete = true;

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
}
