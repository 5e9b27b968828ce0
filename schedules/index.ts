/**
 * Learning-rate (and annealing) schedules. A schedule is a pure function of a step count
 * `t = 0, 1, 2, …`; optimizers advance it **once per epoch**, as Paysage does (its SGD calls
 * `optimizer.update_lr()` at the start of every epoch), so `t` is the epoch index.
 * @packageDocumentation
 */
import { ConfigError } from '../errors/index.js';

/** A value that changes with the step count t = 0, 1, 2, … */
export interface Schedule {
  /** The value at step `t` (t ≥ 0). */
  valueAt(t: number): number;
  /** The schedule's description, as saved in configs. */
  toConfig(): ScheduleConfig;
}

/** Descriptions of the schedules, as in run configs. */
export type ScheduleConfig =
  | { readonly type: 'constant'; readonly initial: number }
  | { readonly type: 'exponentialDecay'; readonly initial: number; readonly coefficient: number }
  | { readonly type: 'powerLawDecay'; readonly initial: number; readonly coefficient: number }
  | { readonly type: 'linear'; readonly initial: number; readonly delta: number; readonly minimum?: number }
  | { readonly type: 'step'; readonly initial: number; readonly final: number; readonly steps: number };

function positive(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${where}: expected a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function finite(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(`${where}: expected a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** x(t) = initial. */
export class Constant implements Schedule {
  readonly initial: number;
  constructor({ initial = 1 }: { initial?: number } = {}) {
    this.initial = positive(initial, 'Constant.initial');
  }
  valueAt(): number {
    return this.initial;
  }
  toConfig(): ScheduleConfig {
    return { type: 'constant', initial: this.initial };
  }
}

/** x(t) = initial · coefficientᵗ. */
export class ExponentialDecay implements Schedule {
  readonly initial: number;
  readonly coefficient: number;
  constructor({ initial = 1, coefficient = 0.9 }: { initial?: number; coefficient?: number } = {}) {
    this.initial = positive(initial, 'ExponentialDecay.initial');
    this.coefficient = positive(coefficient, 'ExponentialDecay.coefficient');
  }
  valueAt(t: number): number {
    return this.initial * this.coefficient ** t;
  }
  toConfig(): ScheduleConfig {
    return { type: 'exponentialDecay', initial: this.initial, coefficient: this.coefficient };
  }
}

/** x(t) = initial / (1 + coefficient · t). */
export class PowerLawDecay implements Schedule {
  readonly initial: number;
  readonly coefficient: number;
  constructor({ initial = 1, coefficient = 0.1 }: { initial?: number; coefficient?: number } = {}) {
    this.initial = positive(initial, 'PowerLawDecay.initial');
    this.coefficient = finite(coefficient, 'PowerLawDecay.coefficient');
    if (coefficient < 0)
      throw new ConfigError(`PowerLawDecay.coefficient: expected a non-negative number, got ${coefficient}`);
  }
  valueAt(t: number): number {
    return this.initial / (1 + this.coefficient * t);
  }
  toConfig(): ScheduleConfig {
    return { type: 'powerLawDecay', initial: this.initial, coefficient: this.coefficient };
  }
}

/** x(t) = max(initial + delta · t, minimum), minimum 0 by default. */
export class Linear implements Schedule {
  readonly initial: number;
  readonly delta: number;
  readonly minimum: number;
  constructor({ initial = 1, delta = -0.1, minimum = 0 }: { initial?: number; delta?: number; minimum?: number } = {}) {
    this.initial = positive(initial, 'Linear.initial');
    this.delta = finite(delta, 'Linear.delta');
    this.minimum = finite(minimum, 'Linear.minimum');
  }
  valueAt(t: number): number {
    return Math.max(this.initial + this.delta * t, this.minimum);
  }
  toConfig(): ScheduleConfig {
    return { type: 'linear', initial: this.initial, delta: this.delta, minimum: this.minimum };
  }
}

/** x(t) = initial for t < steps, then final. */
export class Step implements Schedule {
  readonly initial: number;
  readonly final: number;
  readonly steps: number;
  constructor({ initial = 1, final = 0.1, steps = 1 }: { initial?: number; final?: number; steps?: number } = {}) {
    this.initial = positive(initial, 'Step.initial');
    this.final = finite(final, 'Step.final');
    if (!Number.isInteger(steps) || steps < 0)
      throw new ConfigError(`Step.steps: expected a non-negative integer, got ${steps}`);
    this.steps = steps;
  }
  valueAt(t: number): number {
    return t < this.steps ? this.initial : this.final;
  }
  toConfig(): ScheduleConfig {
    return { type: 'step', initial: this.initial, final: this.final, steps: this.steps };
  }
}

/** A schedule from an untrusted description (or a number, meaning a constant); `where` names it in errors. */
export function scheduleFromConfig(config: unknown, where: string): Schedule {
  if (typeof config === 'number') return new Constant({ initial: positive(config, where) });
  const fields = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  const number = (name: string) => (fields[name] === undefined ? undefined : finite(fields[name], `${where}.${name}`));
  const relabel = <T>(make: () => T): T => {
    try {
      return make();
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${where}.${error.message.replace(/^\w+\./, '')}`);
      throw error;
    }
  };
  switch (fields.type) {
    case 'constant':
      return relabel(() => new Constant({ initial: number('initial') }));
    case 'exponentialDecay':
      return relabel(() => new ExponentialDecay({ initial: number('initial'), coefficient: number('coefficient') }));
    case 'powerLawDecay':
      return relabel(() => new PowerLawDecay({ initial: number('initial'), coefficient: number('coefficient') }));
    case 'linear':
      return relabel(
        () => new Linear({ initial: number('initial'), delta: number('delta'), minimum: number('minimum') }),
      );
    case 'step':
      return relabel(() => new Step({ initial: number('initial'), final: number('final'), steps: number('steps') }));
    default:
      throw new ConfigError(
        `${where}.type: expected one of 'constant', 'exponentialDecay', 'powerLawDecay', 'linear', 'step', got ${JSON.stringify(fields.type)}`,
      );
  }
}
