import { be, type Tensor } from '../backends/index.js';
import { UnsupportedError } from '../errors/index.js';
import { BiasLayer } from './bias-layer.js';
import {
  biasedField,
  damped,
  type InverseTemperature,
  linearEnergy,
  type Magnetization,
  MOMENT_SHRINKAGE,
  sumXLogX,
} from './layer.js';
import type { ParameterTensors } from './parameters.js';
import { registerLayer } from './registry.js';

/** Most units a layer may have for {@link Layer.enumerateStates} (2²⁰ states). */
const MAX_ENUMERATED_UNITS = 20;

/** TAP magnetizations can approach 0 and 1 but are kept this far inside, so the entropies stay finite. */
const TAP_CLIP = 1e-6;

/** A Bernoulli magnetization: the means and their variances m − m². */
function magnetizationAt(mean: Tensor): Magnetization {
  return { mean, variance: be.sub(mean, be.square(mean)) };
}

/**
 * Binary units x ∈ {0, 1} with bias `loc` (a): `H(x) = −aᵀx`, `p(x=1 | φ) = σ(β(a + φ))`.
 */
export class BernoulliLayer extends BiasLayer {
  readonly type = 'bernoulli' as const;
  override readonly hasTapTerms = true;
  override readonly twoStateUnits = true;

  /** 0 ↔ 1 where `sites` is 1: |x − sites|. */
  override flipUnits(units: Tensor, sites: Tensor): Tensor {
    return be.tidy(() => be.abs(be.sub(units, sites)));
  }

  conditionalMean(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => be.sigmoid(biasedField(field, this.param('loc'), beta)));
  }

  conditionalMode(field: Tensor): Tensor {
    return be.tidy(() => be.greater(be.add(field, this.param('loc')), 0));
  }

  conditionalSample(field: Tensor, beta: InverseTemperature = 1): Tensor {
    if (beta === 1) return be.bernoulliLogits(field, this.param('loc'));
    return be.tidy(() => be.bernoulliLogits(biasedField(field, this.param('loc'), beta)));
  }

  logPartition(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => be.sum(be.softplus(biasedField(field, this.param('loc'), beta)), 1));
  }

  meanFieldFreeEnergy(mean: Tensor): Tensor {
    return be.tidy(() =>
      be.add(linearEnergy(mean, this.param('loc')), be.add(sumXLogX(mean), sumXLogX(be.sub(1, mean)))),
    );
  }

  enumerateStates(): Tensor {
    const n = this.numUnits;
    if (n > MAX_ENUMERATED_UNITS) {
      throw new UnsupportedError(`${this.describe()}: too many units to enumerate (${n} > ${MAX_ENUMERATED_UNITS})`);
    }
    const count = 2 ** n;
    const values = new Float32Array(count * n);
    // Row s holds the binary digits of s, most significant first.
    for (let s = 0; s < count; s++) {
      for (let i = 0; i < n; i++) values[s * n + i] = (s >> (n - 1 - i)) & 1;
    }
    return be.tensor(values, [count, n]);
  }

  /** Means uniform in [0.1, 0.9]. */
  override tapStart(particles: number): Magnetization {
    return be.tidy(() => magnetizationAt(be.add(be.mul(be.randomUniform([particles, this.numUnits]), 0.8), 0.1)));
  }

  /** m* = σ(a + φ + (½ − m)·c): ∂/∂m of m ln m + (1−m) ln(1−m) − am − φm − ½c(m − m²) set to 0. */
  override tapUpdate(field: Tensor, onsager: Tensor, current: Magnetization, damping: number): Magnetization {
    return be.tidy(() => {
      const stationary = be.sigmoid(
        be.add(be.add(field, this.param('loc')), be.mul(be.sub(0.5, current.mean), onsager)),
      );
      return magnetizationAt(be.clip(damped(current.mean, stationary, damping), TAP_CLIP, 1 - TAP_CLIP));
    });
  }

  override tapFreeEnergy(magnetization: Magnetization): Tensor {
    return this.meanFieldFreeEnergy(magnetization.mean);
  }

  /** r(x) = x. */
  override tapRescaledVariance(variance: Tensor): Tensor {
    return variance;
  }

  /** −m for the bias (r(x) = x owes nothing to it). */
  override tapDerivatives(magnetization: Magnetization): ParameterTensors {
    return this.derivatives(magnetization.mean, undefined);
  }

  initializeFromMoments(mean: Float64Array): void {
    const loc = Float32Array.from(mean, (m) => {
      const p = (1 - MOMENT_SHRINKAGE) * m + MOMENT_SHRINKAGE * 0.5;
      return Math.log(p / (1 - p));
    });
    this.setParam('loc', be.tensor(loc));
  }
}

declare module './registry.js' {
  interface LayerTypes {
    bernoulli: BernoulliLayer;
  }
}
registerLayer('bernoulli', BernoulliLayer);
