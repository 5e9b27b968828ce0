import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import { type BoltzmannMachine, dropUnits, State, type UnitMasks } from '../models/index.js';
import type { Schedule } from '../schedules/index.js';
import { checkChoice, checkOptions } from '../validation/index.js';
import { type BetaSampler, ConstantBeta, DrivenBeta } from './beta.js';

/** How a sampler moves its chains: Gibbs sampling, mean-field or deterministic (mode) updates. */
export const UPDATERS = ['markovChain', 'meanFieldIteration', 'deterministicIteration'] as const;
/** One of {@link UPDATERS}. */
export type Updater = (typeof UPDATERS)[number];

/** Options of {@link SequentialMC}. */
export interface SequentialMCOptions {
  /** Monte Carlo sweeps per {@link SequentialMC.updateState} (default 1). */
  readonly mcsteps?: number;
  /** Layers the chains keep fixed (e.g. `[0]` for the positive phase). */
  readonly clamped?: readonly number[];
  /** The update (default `markovChain`). */
  readonly updater?: Updater;
  /** Inverse temperatures (default β = 1). */
  readonly beta?: BetaSampler;
}

/** Options of {@link SequentialMC.generateFantasyState}. */
export interface FantasyOptions {
  /** Standard deviation of a driven β (0 or absent: β = 1). */
  readonly betaStd?: number;
  /** Autocorrelation of a driven β. */
  readonly betaMomentum?: number;
  /** Annealing schedule of a driven β. */
  readonly schedule?: Schedule;
  /** The update (default `markovChain`). */
  readonly updater?: Updater;
}

/**
 * A set of persistent Markov chains (fantasy particles) over a model's units. The sampler
 * owns its state: replacing it frees the tensors no longer used.
 */
export class SequentialMC {
  readonly mcsteps: number;
  readonly clamped: readonly number[];
  readonly updater: Updater;
  readonly beta: BetaSampler;
  private current: State | undefined;
  private masksFor: ((rows: number) => UnitMasks) | undefined;

  constructor(
    readonly model: BoltzmannMachine,
    options: SequentialMCOptions = {},
  ) {
    checkOptions(options, { mcsteps: true, clamped: true, updater: true, beta: true }, 'SequentialMC');
    this.mcsteps = options.mcsteps ?? 1;
    if (!Number.isInteger(this.mcsteps) || this.mcsteps < 0) {
      throw new ConfigError(`SequentialMC.mcsteps: expected a non-negative integer, got ${this.mcsteps}`);
    }
    this.clamped = options.clamped ?? [];
    this.updater = checkChoice(options.updater ?? 'markovChain', UPDATERS, 'SequentialMC.updater');
    this.beta = options.beta ?? new ConstantBeta();
  }

  /** Chains started from visible data (hidden layers at their conditional means). @param visible - (batch, numVisible) */
  static fromVisible(model: BoltzmannMachine, visible: Tensor, options: SequentialMCOptions = {}): SequentialMC {
    const sampler = new SequentialMC(model, options);
    sampler.setStateFromVisible(visible);
    return sampler;
  }

  /** Chains started from random states of each layer. */
  static fromModel(model: BoltzmannMachine, batchSize: number, options: SequentialMCOptions = {}): SequentialMC {
    be.checkMemory(
      model.stateTensors(batchSize, `${batchSize} chains`),
      'SequentialMC.fromModel',
      'use fewer chains, or a backend with more memory',
    );
    const sampler = new SequentialMC(model, options);
    sampler.setState(model.randomState(batchSize));
    return sampler;
  }

  /**
   * Fantasy particles: `batchSize` chains from random states run for `steps` sweeps.
   * @returns a State the caller owns
   */
  static generateFantasyState(
    model: BoltzmannMachine,
    batchSize: number,
    steps: number,
    options: FantasyOptions = {},
  ): State {
    checkOptions(
      options,
      { betaStd: true, betaMomentum: true, schedule: true, updater: true },
      'SequentialMC.generateFantasyState',
    );
    const beta = options.betaStd
      ? new DrivenBeta({ std: options.betaStd, momentum: options.betaMomentum, schedule: options.schedule })
      : new ConstantBeta();
    const sampler = SequentialMC.fromModel(model, batchSize, { beta, updater: options.updater });
    sampler.updateState(steps);
    return sampler.release();
  }

  /** Whether the sampler holds chains. */
  get hasState(): boolean {
    return this.current !== undefined;
  }

  /** The chains' current state. */
  get state(): State {
    if (!this.current) throw new ConfigError('SequentialMC: no state yet; call setState or setStateFromVisible first');
    return this.current;
  }

  /** Replaces the chains' state (takes ownership; frees the old tensors not in `state`). */
  setState(state: State): void {
    const old = this.current;
    for (const units of state.units) be.keep(units);
    this.current = state;
    if (old) be.dispose(old.units.filter((u) => !state.units.includes(u)));
  }

  /**
   * Drops units (see `fit.dropout`) until called again with undefined: every later update
   * holds at 0 the units whose mask is 0, with the masks `masksFor` gives for the chains' count.
   * The caller owns the masks.
   */
  setMasks(masksFor: ((rows: number) => UnitMasks) | undefined): void {
    this.masksFor = masksFor;
  }

  /** Restarts the chains from visible data. @param visible - (batch, numVisible), not taken over */
  setStateFromVisible(visible: Tensor): void {
    this.setState(this.model.stateFromVisible(be.clone(visible), this.masks(be.shape(visible)[0] as number)));
  }

  /** Advances every chain `steps` sweeps (default `mcsteps`), drawing a β per sweep. */
  updateState(steps = this.mcsteps): void {
    for (let s = 0; s < steps; s++) {
      const beta = this.beta.next(this.state.batchSize);
      const masks = this.masks(this.state.batchSize);
      const next = this.model[this.updater](1, this.state, { beta, clamped: this.clamped, masks });
      if (typeof beta !== 'number') be.dispose(beta);
      this.setState(next);
    }
  }

  /**
   * The state with layer `target` replaced by its conditional mean given the others (the
   * usual final mean-field step before a gradient). @returns a State the caller owns
   */
  stateForGrad(target: number): State {
    const units = this.state.units;
    const mask = this.masks(this.state.batchSize)[target];
    const mean = be.tidy(() =>
      dropUnits(this.model.layer(target).conditionalMean(this.model.fieldOn(target, units)), mask),
    );
    return new State(units.map((u, i) => (i === target ? mean : be.clone(u))));
  }

  private masks(rows: number): UnitMasks {
    return this.masksFor?.(rows) ?? [];
  }

  /** Hands the state to the caller and forgets it. */
  release(): State {
    const state = this.state;
    this.current = undefined;
    return state;
  }

  /** Frees the chains' tensors. */
  dispose(): void {
    this.current?.dispose();
    this.current = undefined;
  }
}
