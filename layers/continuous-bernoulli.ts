import { be, type Tensor } from '../backends/index.js';
import { UnsupportedError } from '../errors/index.js';
import { BiasLayer } from './bias-layer.js';
import { biasedField, blend, type InverseTemperature, MOMENT_SHRINKAGE } from './layer.js';
import { registerLayer } from './registry.js';

/** Below this |η|/2 the closed forms lose digits to cancellation and their series are used. */
const SERIES_BELOW = 0.1;
/** Below this |η| a draw is u + η·u(1 − u)/2, the inverse distribution function to first order. */
const LINEAR_DRAW_BELOW = 1e-3;

/**
 * Real units on [0, 1] with bias `loc` (a): `H(x) = −aᵀx`, so given the field φ a unit has
 * density ∝ exp(ηx) on [0, 1] with η = β(a + φ) — the continuous Bernoulli distribution, a
 * truncated exponential. This is the exact model for grey-level data in [0, 1] that
 * Learnergy's SigmoidRBM approximates by feeding sigmoid probabilities forward. Per unit,
 * ln Z = ln((e^η − 1)/η), E[x] = 1/(1 − e^{−η}) − 1/η, and draws invert the distribution
 * function; every formula is computed from |η| so that neither tail overflows.
 */
export class ContinuousBernoulliLayer extends BiasLayer {
  readonly type = 'continuous-bernoulli' as const;
  override readonly discrete = false;

  /** ½ + ½(coth(η/2) − 2/η). */
  conditionalMean(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => {
      const half = be.mul(biasedField(field, this.param('loc'), beta), 0.5);
      const w = be.abs(half);
      const large = be.maximum(w, SERIES_BELOW);
      const decay = be.exp(be.mul(large, -2));
      const closed = be.sub(be.div(be.add(1, decay), be.sub(1, decay)), be.div(1, large)); // coth w − 1/w
      const small = be.minimum(w, SERIES_BELOW);
      const smallSquare = be.square(small);
      const series = be.mul(small, be.add(1 / 3, be.mul(smallSquare, be.add(-1 / 45, be.mul(smallSquare, 2 / 945)))));
      const langevin = blend(be.less(w, SERIES_BELOW), series, closed);
      return be.add(0.5, be.mul(be.mul(langevin, be.sign(half)), 0.5));
    });
  }

  conditionalMode(field: Tensor): Tensor {
    return be.tidy(() => be.greater(be.add(field, this.param('loc')), 0));
  }

  /** y = 1 + ln(u + (1 − u)e^{−|η|})/|η| has density ∝ e^{|η|y}; x = y for η > 0, 1 − y otherwise. */
  conditionalSample(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => {
      const eta = biasedField(field, this.param('loc'), beta);
      const w = be.abs(eta);
      const u = be.randomUniform(be.shape(eta));
      const large = be.maximum(w, LINEAR_DRAW_BELOW);
      const mixture = be.add(u, be.mul(be.sub(1, u), be.exp(be.neg(large))));
      const closed = be.add(1, be.div(be.log(mixture), large));
      const linear = be.add(u, be.mul(be.mul(w, be.mul(u, be.sub(1, u))), 0.5));
      const y = be.minimum(be.maximum(blend(be.less(w, LINEAR_DRAW_BELOW), linear, closed), 0), 1);
      return blend(be.greater(eta, 0), y, be.sub(1, y));
    });
  }

  /** Σ ln((e^η − 1)/η) = Σ η/2 + ln(sinh(w)/w) with w = |η|/2. */
  logPartition(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => {
      const half = be.mul(biasedField(field, this.param('loc'), beta), 0.5);
      const w = be.abs(half);
      const large = be.maximum(w, SERIES_BELOW);
      const closed = be.sub(
        be.add(large, be.log1p(be.neg(be.exp(be.mul(large, -2))))),
        be.add(be.log(large), Math.LN2),
      );
      const smallSquare = be.square(be.minimum(w, SERIES_BELOW));
      const series = be.mul(
        smallSquare,
        be.add(1 / 6, be.mul(smallSquare, be.add(-1 / 180, be.mul(smallSquare, 1 / 2835)))),
      );
      return be.sum(be.add(half, blend(be.less(w, SERIES_BELOW), series, closed)), 1);
    });
  }

  meanFieldFreeEnergy(_mean: Tensor): Tensor {
    throw this.unsupported('a mean-field free energy (use it in RBMs, where free energies are exact)');
  }

  enumerateStates(): Tensor {
    throw new UnsupportedError(`${this.describe()}: continuous units on [0, 1] cannot be enumerated`);
  }

  /** The bias whose mean with no field is the data mean (shrunk toward ½, that is a = 0). */
  initializeFromMoments(mean: Float64Array): void {
    const loc = Float32Array.from(mean, (m) => rateWithMean((1 - MOMENT_SHRINKAGE) * m + MOMENT_SHRINKAGE * 0.5));
    this.setParam('loc', be.tensor(loc));
  }
}

/** The mean of the continuous Bernoulli distribution with rate η, in float64. */
function meanOfRate(eta: number): number {
  if (Math.abs(eta) < 1e-4) return 0.5 + eta / 12;
  return 1 / -Math.expm1(-eta) - 1 / eta;
}

/** The rate η whose continuous Bernoulli mean is `mean` ∈ (0, 1), by bisection (the mean increases with η). */
function rateWithMean(mean: number): number {
  let [low, high] = [-1e4, 1e4];
  for (let i = 0; i < 100; i++) {
    const middle = (low + high) / 2;
    if (meanOfRate(middle) < mean) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

declare module './registry.js' {
  interface LayerTypes {
    'continuous-bernoulli': ContinuousBernoulliLayer;
  }
}
registerLayer('continuous-bernoulli', ContinuousBernoulliLayer);
