import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import { type BoltzmannMachine, State } from '../models/index.js';
import { checkOptions } from '../validation/index.js';
import type { Updater } from './sequential-mc.js';

/**
 * A ladder of inverse temperatures, checked: decreasing from 1, all positive (default 5 from 1
 * to 0.2 evenly). @param field - where the ladder came from, for the error
 * @throws ConfigError naming `field`
 */
export function temperatureLadder(betas: readonly number[] | undefined, field: string): readonly number[] {
  const ladder = betas ?? [1, 0.8, 0.6, 0.4, 0.2];
  if (ladder[0] !== 1 || ladder.some((b, i) => !(b > 0) || (i > 0 && b >= (ladder[i - 1] as number)))) {
    throw new ConfigError(`${field}: expected a decreasing list starting at 1, got [${ladder.join(', ')}]`);
  }
  return ladder;
}

/** Options of {@link ParallelTempering}. */
export interface ParallelTemperingOptions {
  /** Inverse temperatures from 1 (the model) down, e.g. [1, 0.8, 0.6] (default: 5 from 1 to 0.2 evenly). */
  readonly betas?: readonly number[];
  /** Sweeps between swap attempts (default 1). */
  readonly mcsteps?: number;
  /** How chains move at each temperature (default `markovChain`). */
  readonly updater?: Updater;
  /** Replicas to start from, (betas·chains, numUnits) per layer, taken over (default: random states). */
  readonly state?: readonly Tensor[];
}

/**
 * Parallel tempering (replica exchange): `chains` copies of the model's units at each of
 * several inverse temperatures β₀ = 1 > β₁ > … ; after each round of sweeps, neighbouring
 * temperatures try to exchange their states, accepted with probability
 * min(1, exp((β_t − β_{t+1})(E_t − E_{t+1}))), which keeps every tempered distribution
 * invariant while letting the hot chains carry the cold ones across energy barriers.
 * Rows are grouped by temperature: rows t·chains … (t+1)·chains − 1 run at β_t. Exchanges are
 * decided and made on the device, so updates are synchronous, as every sampler's.
 */
export class ParallelTempering {
  readonly betas: readonly number[];
  readonly mcsteps: number;
  readonly updater: Updater;
  private current: State;
  private readonly betaColumn: Tensor;
  /** Exchange attempts per neighbouring pair since the last reset, and the accepted ones (on the device). */
  private attempts: number[];
  private accepted: Tensor[];

  constructor(
    readonly model: BoltzmannMachine,
    readonly chains: number,
    options: ParallelTemperingOptions = {},
  ) {
    checkOptions(options, { betas: true, mcsteps: true, updater: true, state: true }, 'ParallelTempering');
    const betas = temperatureLadder(options.betas, 'ParallelTempering.betas');
    if (!Number.isInteger(chains) || chains < 1)
      throw new ConfigError(`ParallelTempering: chains: expected a positive integer, got ${chains}`);
    this.betas = betas;
    this.mcsteps = options.mcsteps ?? 1;
    this.updater = options.updater ?? 'markovChain';
    this.current = options.state ? new State(options.state) : model.randomState(chains * betas.length);
    for (const units of this.current.units) be.keep(units);
    this.betaColumn = be.keep(
      be.tensor(
        betas.flatMap((b) => Array.from({ length: chains }, () => b)),
        [chains * betas.length, 1],
      ),
    );
    this.attempts = betas.slice(1).map(() => 0);
    this.accepted = betas.slice(1).map(() => be.keep(be.zeros([])));
  }

  /** The units of every replica, grouped by temperature. */
  get state(): State {
    return this.current;
  }

  /** Fraction of accepted exchanges between β_t and β_{t+1} since the last reset, for each t (0 before any attempt). */
  async acceptanceRates(): Promise<number[]> {
    const accepted = await Promise.all(this.accepted.map((count) => be.readScalar(count)));
    return accepted.map((a, t) => (this.attempts[t] ? a / (this.attempts[t] as number) : 0));
  }

  /** Starts counting exchanges afresh (e.g. each epoch). */
  resetAcceptance(): void {
    be.dispose(this.accepted);
    this.accepted = this.betas.slice(1).map(() => be.keep(be.zeros([])));
    this.attempts = this.betas.slice(1).map(() => 0);
  }

  /**
   * `rounds` rounds of `mcsteps` sweeps at every temperature followed by exchange attempts
   * between every pair of neighbours.
   */
  updateState(rounds = 1): void {
    for (let r = 0; r < rounds; r++) {
      this.replace(this.model[this.updater](this.mcsteps, this.current, { beta: this.betaColumn }));
      this.exchange();
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
    be.dispose([this.betaColumn, ...this.accepted]);
  }

  /**
   * One round of exchange attempts between every neighbouring pair in turn (β₀↔β₁, then β₁↔β₂, …;
   * each keeps the tempered distributions invariant, so their composition does), each accepted
   * with probability min(1, exp((β_t − β_{t+1})(E_t − E_{t+1}))). Energies move with their states.
   */
  private exchange(): void {
    const chains = this.chains;
    const pairs = this.betas.slice(1).map((_, t) => t);
    const next = be.tidy(() => {
      /** Rows of temperature `index`. @param t - (betas·chains, columns) */
      const block = (t: Tensor, index: number) => be.slice(t, [index * chains, 0], [chains, be.shape(t)[1] as number]);
      const energy = be.reshape(this.model.jointEnergy(this.current), [chains * this.betas.length, 1]);
      const energies = this.betas.map((_, t) => block(energy, t));
      const layers = this.current.units.map((units) => this.betas.map((_, t) => block(units, t)));
      const counts = pairs.map((t) => {
        const gap = (this.betas[t] as number) - (this.betas[t + 1] as number);
        const logAcceptance = be.mul(be.sub(energies[t] as Tensor, energies[t + 1] as Tensor), gap);
        const accept = be.less(be.log(be.randomUniform([chains, 1])), logAcceptance);
        for (const blocks of [energies, ...layers]) {
          const [cold, hot] = [blocks[t] as Tensor, blocks[t + 1] as Tensor];
          blocks[t] = be.add(be.mul(cold, be.sub(1, accept)), be.mul(hot, accept));
          blocks[t + 1] = be.add(be.mul(hot, be.sub(1, accept)), be.mul(cold, accept));
        }
        return be.add(this.accepted[t] as Tensor, be.sum(accept));
      });
      return { units: layers.map((blocks) => be.concat(blocks, 0)), counts };
    });
    for (const t of pairs) {
      be.dispose(this.accepted[t] as Tensor);
      this.accepted[t] = be.keep(next.counts[t] as Tensor);
      this.attempts[t] = (this.attempts[t] as number) + chains;
    }
    this.replace(new State(next.units));
  }

  private replace(next: State): void {
    const old = this.current;
    for (const units of next.units) be.keep(units);
    this.current = next;
    be.dispose(old.units.filter((u) => !next.units.includes(u)));
  }
}
