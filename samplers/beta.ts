import { be, hostRandom, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import type { InverseTemperature } from '../layers/index.js';
import { Constant, type Schedule } from '../schedules/index.js';
import { checkOptions } from '../validation/index.js';
import { gamma, poisson } from './distributions.js';

/** Where a sampler's inverse temperature comes from, one value per update. */
export interface BetaSampler {
  /** The β for the next update of `batchSize` chains: a number or (batchSize, 1). */
  next(batchSize: number): InverseTemperature;
  /** Forgets any state (driven β restarts from its stationary distribution). */
  reset(): void;
}

/** β fixed at a value (1 by default: the model's own distribution). */
export class ConstantBeta implements BetaSampler {
  constructor(readonly beta = 1) {}
  next(): InverseTemperature {
    return this.beta;
  }
  reset(): void {}
}

/** β following a schedule over updates, e.g. annealing from 0.1 to 1. */
export class AnnealedBeta implements BetaSampler {
  private t = 0;
  constructor(readonly schedule: Schedule) {}
  next(): InverseTemperature {
    const value = this.schedule.valueAt(this.t);
    this.t += 1;
    return value;
  }
  reset(): void {
    this.t = 0;
  }
}

/** Options of {@link DrivenBeta}. */
export interface DrivenBetaOptions {
  /** Standard deviation of β around 1 (Paysage's `beta_std`). */
  readonly std?: number;
  /** Autocorrelation of β from one update to the next (Paysage's `beta_momentum`). */
  readonly momentum?: number;
  /** Annealing factor per update t: the process uses ν/s(t) and c·s(t) (Paysage's `schedule`). */
  readonly schedule?: Schedule;
}

/** Where a {@link DrivenBeta} stands: its update count and each chain's current β (null before the first draw). */
export interface DrivenBetaState {
  readonly t: number;
  readonly betas: readonly number[] | null;
}

/**
 * Paysage's driven inverse temperature: one β per chain following an autoregressive Gamma
 * process with stationary law Gamma(1/σ², σ²) (mean 1, standard deviation σ) and
 * autocorrelation φ: z_t ~ Poisson(β_{t−1} φ / c), β_t ~ Gamma(ν + z_t, c), with ν = 1/σ² and
 * c = (1 − φ)σ². Occasional low β let chains cross energy barriers. Draws run on the host
 * generator (`backends.hostRandom()`), reproducible with `backends.setSeed`.
 */
export class DrivenBeta implements BetaSampler {
  readonly std: number;
  readonly momentum: number;
  readonly schedule: Schedule;
  private betas: Float64Array | undefined;
  private t = 0;

  constructor(options: DrivenBetaOptions = {}) {
    checkOptions(options, { std: true, momentum: true, schedule: true }, 'DrivenBeta');
    const { std = 0.6, momentum = 0.9, schedule = new Constant({ initial: 1 }) } = options;
    if (!(std > 0)) throw new ConfigError(`DrivenBeta.std: expected a positive number, got ${std}`);
    if (!(momentum >= 0 && momentum < 1))
      throw new ConfigError(`DrivenBeta.momentum: expected a number in [0, 1), got ${momentum}`);
    this.std = std;
    this.momentum = momentum;
    this.schedule = schedule;
  }

  next(batchSize: number): Tensor {
    const random = hostRandom();
    const variance = this.std ** 2;
    const annealing = 1e-12 + this.schedule.valueAt(this.t);
    this.t += 1;
    const nu = 1 / variance / annealing;
    const c = (1 - this.momentum) * variance * annealing;
    if (this.betas === undefined || this.betas.length !== batchSize) {
      this.betas = Float64Array.from({ length: batchSize }, () => gamma(random, nu, c / (1 - this.momentum)));
    }
    const betas = this.betas;
    for (let i = 0; i < batchSize; i++) {
      const z = poisson(random, ((betas[i] as number) * this.momentum) / c);
      betas[i] = gamma(random, nu + z, c);
    }
    return be.tensor(betas, [batchSize, 1]);
  }

  reset(): void {
    this.betas = undefined;
    this.t = 0;
  }

  /** Where the process stands (for a checkpoint). */
  snapshot(): DrivenBetaState {
    return { t: this.t, betas: this.betas ? [...this.betas] : null };
  }

  /** Continues from a {@link snapshot}. */
  restore(state: DrivenBetaState): void {
    this.t = state.t;
    this.betas = state.betas ? Float64Array.from(state.betas) : undefined;
  }
}
