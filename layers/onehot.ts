import { be, type Tensor } from '../backends/index.js';
import { BiasLayer } from './bias-layer.js';
import { biasedField, type InverseTemperature, linearEnergy, MOMENT_SHRINKAGE, sumXLogX } from './layer.js';
import { registerLayer } from './registry.js';

/**
 * One categorical variable as one-hot units (exactly one unit on), with bias `loc`:
 * `H(x) = −locᵀx`, `p(x = e_k | φ) = softmax(β(loc + φ))_k`.
 */
export class OneHotLayer extends BiasLayer {
  readonly type = 'onehot' as const;

  conditionalMean(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => be.softmax(biasedField(field, this.param('loc'), beta), 1));
  }

  conditionalMode(field: Tensor): Tensor {
    return be.tidy(() => {
      const total = be.add(field, this.param('loc'));
      const batch = be.shape(total)[0] as number;
      const winner = be.reshape(be.argMax(total, 1), [batch, 1]);
      const categories = be.tensor(Array.from({ length: this.numUnits }, (_, i) => i));
      return be.equal(categories, winner);
    });
  }

  conditionalSample(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => be.categorical(biasedField(field, this.param('loc'), beta)));
  }

  logPartition(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => be.logsumexp(biasedField(field, this.param('loc'), beta), 1));
  }

  meanFieldFreeEnergy(mean: Tensor): Tensor {
    return be.tidy(() => be.add(linearEnergy(mean, this.param('loc')), sumXLogX(mean)));
  }

  enumerateStates(): Tensor {
    const n = this.numUnits;
    const values = new Float32Array(n * n);
    for (let k = 0; k < n; k++) values[k * n + k] = 1;
    return be.tensor(values, [n, n]);
  }

  initializeFromMoments(mean: Float64Array): void {
    const uniform = 1 / this.numUnits;
    const loc = Float32Array.from(mean, (m) => Math.log((1 - MOMENT_SHRINKAGE) * m + MOMENT_SHRINKAGE * uniform));
    this.setParam('loc', be.tensor(loc));
  }
}

declare module './registry.js' {
  interface LayerTypes {
    onehot: OneHotLayer;
  }
}
registerLayer('onehot', OneHotLayer);
