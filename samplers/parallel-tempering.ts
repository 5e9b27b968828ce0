import { be, hostRandom, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import { type BoltzmannMachine, State } from '../models/index.js';
import { checkOptions } from '../validation/index.js';
import type { Updater } from './sequential-mc.js';

/** Options of {@link ParallelTempering}. */
export interface ParallelTemperingOptions {
  /** Inverse temperatures from 1 (the model) down, e.g. [1, 0.8, 0.6] (default: 5 from 1 to 0.2 evenly). */
  readonly betas?: readonly number[];
  /** Sweeps between swap attempts (default 1). */
  readonly mcsteps?: number;
  /** How chains move at each temperature (default `markovChain`). */
  readonly updater?: Updater;
}

/**
 * Parallel tempering (replica exchange): `chains` copies of the model's units at each of
 * several inverse temperatures β₀ = 1 > β₁ > … ; after each round of sweeps, neighbouring
 * temperatures try to exchange their states, accepted with probability
 * min(1, exp((β_t − β_{t+1})(E_t − E_{t+1}))), which keeps every tempered distribution
 * invariant while letting the hot chains carry the cold ones across energy barriers.
 * Rows are grouped by temperature: rows t·chains … (t+1)·chains − 1 run at β_t.
 */
export class ParallelTempering {
  readonly betas: readonly number[];
  readonly mcsteps: number;
  readonly updater: Updater;
  private current: State;
  private readonly betaColumn: Tensor;
  private readonly attempts: number[];
  private readonly accepted: number[];
  private round = 0;

  constructor(
    readonly model: BoltzmannMachine,
    readonly chains: number,
    options: ParallelTemperingOptions = {},
  ) {
    checkOptions(options, { betas: true, mcsteps: true, updater: true }, 'ParallelTempering');
    const betas = options.betas ?? [1, 0.8, 0.6, 0.4, 0.2];
    if (betas[0] !== 1 || betas.some((b, i) => !(b > 0) || (i > 0 && b >= (betas[i - 1] as number)))) {
      throw new ConfigError(
        `ParallelTempering.betas: expected a decreasing list starting at 1, got [${betas.join(', ')}]`,
      );
    }
    if (!Number.isInteger(chains) || chains < 1)
      throw new ConfigError(`ParallelTempering: chains: expected a positive integer, got ${chains}`);
    this.betas = betas;
    this.mcsteps = options.mcsteps ?? 1;
    this.updater = options.updater ?? 'markovChain';
    this.current = model.randomState(chains * betas.length);
    for (const units of this.current.units) be.keep(units);
    this.betaColumn = be.keep(
      be.tensor(
        betas.flatMap((b) => Array.from({ length: chains }, () => b)),
        [chains * betas.length, 1],
      ),
    );
    this.attempts = betas.slice(1).map(() => 0);
    this.accepted = betas.slice(1).map(() => 0);
  }

  /** The units of every replica, grouped by temperature. */
  get state(): State {
    return this.current;
  }

  /** Fraction of accepted exchanges between β_t and β_{t+1}, for each t. */
  get acceptanceRates(): number[] {
    return this.accepted.map((a, t) => (this.attempts[t] ? a / (this.attempts[t] as number) : 0));
  }

  /**
   * `rounds` rounds of `mcsteps` sweeps at every temperature followed by exchange attempts
   * between neighbours (even pairs on even rounds, odd pairs on odd rounds).
   */
  async updateState(rounds = 1): Promise<void> {
    for (let r = 0; r < rounds; r++) {
      this.replace(this.model[this.updater](this.mcsteps, this.current, { beta: this.betaColumn }));
      await this.exchange();
      this.round += 1;
    }
  }

  /** The replicas at β = 1: samples of the model. @returns a new State (chains rows) */
  samples(): State {
    const rows = Array.from({ length: this.chains }, (_, i) => i);
    return new State(this.current.units.map((units) => be.gather(units, rows)));
  }

  /** Frees the replicas. */
  dispose(): void {
    this.current.dispose();
    be.dispose(this.betaColumn);
  }

  private async exchange(): Promise<void> {
    const energy = this.model.jointEnergy(this.current);
    const energies = await be.read(energy);
    be.dispose(energy);
    const random = hostRandom();
    const order = Array.from({ length: this.chains * this.betas.length }, (_, i) => i);
    for (let t = this.round % 2; t + 1 < this.betas.length; t += 2) {
      const gap = (this.betas[t] as number) - (this.betas[t + 1] as number);
      for (let c = 0; c < this.chains; c++) {
        const [cold, hot] = [t * this.chains + c, (t + 1) * this.chains + c];
        const logAcceptance = gap * ((energies[cold] as number) - (energies[hot] as number));
        this.attempts[t] = (this.attempts[t] as number) + 1;
        if (logAcceptance >= 0 || Math.log(1 - random.nextFloat()) < logAcceptance) {
          [order[cold], order[hot]] = [order[hot] as number, order[cold] as number];
          this.accepted[t] = (this.accepted[t] as number) + 1;
        }
      }
    }
    this.replace(new State(this.current.units.map((units) => be.gather(units, order))));
  }

  private replace(next: State): void {
    const old = this.current;
    for (const units of next.units) be.keep(units);
    this.current = next;
    be.dispose(old.units.filter((u) => !next.units.includes(u)));
  }
}
