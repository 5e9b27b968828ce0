/**
 * Learning-rate (and annealing) schedules. A schedule is a pure function of a step count
 * `t = 0, 1, 2, …`; optimizers advance it **once per epoch**, as Paysage does (its SGD calls
 * `optimizer.update_lr()` at the start of every epoch), so `t` is the epoch index.
 * @packageDocumentation
 * @module relief/schedules
 */
import * as z from 'zod';
import { parseWith } from '../validation/index.js';

/** A value that changes with the step count t = 0, 1, 2, … */
export interface Schedule {
  /** The value at step `t` (t ≥ 0). */
  valueAt(t: number): number;
  /** The schedule's description, as saved in configs. */
  toConfig(): ScheduleConfig;
}

const positive = z.number().positive();

const constantOptions = z.strictObject({ initial: positive });
const exponentialDecayOptions = z.strictObject({ initial: positive, coefficient: positive.default(0.9) });
const powerLawDecayOptions = z.strictObject({ initial: positive, coefficient: z.number().min(0).default(0.1) });
const linearOptions = z.strictObject({
  initial: positive,
  delta: z.number().default(-0.1),
  minimum: z.number().default(0),
});
const stepOptions = z.strictObject({
  initial: positive,
  final: z.number().default(0.1),
  steps: z.int().min(0).default(1),
});

/** Options of {@link Constant}: `initial` is required (no default learning rate hides here). @useDeclaredType */
export type ConstantOptions = z.input<typeof constantOptions>;
/** Options of {@link ExponentialDecay}; `coefficient` defaults to 0.9. @useDeclaredType */
export type ExponentialDecayOptions = z.input<typeof exponentialDecayOptions>;
/** Options of {@link PowerLawDecay}; `coefficient` defaults to 0.1. @useDeclaredType */
export type PowerLawDecayOptions = z.input<typeof powerLawDecayOptions>;
/** Options of {@link Linear}; `delta` defaults to −0.1, `minimum` to 0. @useDeclaredType */
export type LinearOptions = z.input<typeof linearOptions>;
/** Options of {@link Step}; `final` defaults to 0.1, `steps` to 1. @useDeclaredType */
export type StepOptions = z.input<typeof stepOptions>;

/** The schema of a schedule's description in run configs: `{ type, initial, ... }`, strict. */
export const scheduleConfigSchema = z.discriminatedUnion('type', [
  constantOptions.extend({ type: z.literal('constant') }),
  exponentialDecayOptions.extend({ type: z.literal('exponentialDecay') }),
  powerLawDecayOptions.extend({ type: z.literal('powerLawDecay') }),
  linearOptions.extend({ type: z.literal('linear') }),
  stepOptions.extend({ type: z.literal('step') }),
]);

/** A step size in run configs: a positive number (a constant) or a schedule's description. */
export const stepsizeConfigSchema = z.union([positive, scheduleConfigSchema]);

/** Descriptions of the schedules, as in run configs (every field filled in). */
export type ScheduleConfig = z.output<typeof scheduleConfigSchema>;

/** x(t) = initial. */
export class Constant implements Schedule {
  readonly initial: number;
  constructor(options: ConstantOptions) {
    this.initial = parseWith(constantOptions, options, 'Constant').initial;
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
  constructor(options: ExponentialDecayOptions) {
    ({ initial: this.initial, coefficient: this.coefficient } = parseWith(
      exponentialDecayOptions,
      options,
      'ExponentialDecay',
    ));
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
  constructor(options: PowerLawDecayOptions) {
    ({ initial: this.initial, coefficient: this.coefficient } = parseWith(
      powerLawDecayOptions,
      options,
      'PowerLawDecay',
    ));
  }
  valueAt(t: number): number {
    return this.initial / (1 + this.coefficient * t);
  }
  toConfig(): ScheduleConfig {
    return { type: 'powerLawDecay', initial: this.initial, coefficient: this.coefficient };
  }
}

/** x(t) = max(initial + delta · t, minimum). */
export class Linear implements Schedule {
  readonly initial: number;
  readonly delta: number;
  readonly minimum: number;
  constructor(options: LinearOptions) {
    ({ initial: this.initial, delta: this.delta, minimum: this.minimum } = parseWith(linearOptions, options, 'Linear'));
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
  constructor(options: StepOptions) {
    ({ initial: this.initial, final: this.final, steps: this.steps } = parseWith(stepOptions, options, 'Step'));
  }
  valueAt(t: number): number {
    return t < this.steps ? this.initial : this.final;
  }
  toConfig(): ScheduleConfig {
    return { type: 'step', initial: this.initial, final: this.final, steps: this.steps };
  }
}

/** A schedule from an untrusted description (or a positive number, meaning a constant); `where` names it in errors. */
export function scheduleFromConfig(config: unknown, where: string): Schedule {
  const description = parseWith(stepsizeConfigSchema, config, where);
  if (typeof description === 'number') return new Constant({ initial: description });
  const { type, ...options } = description;
  switch (type) {
    case 'constant':
      return new Constant(options as ConstantOptions);
    case 'exponentialDecay':
      return new ExponentialDecay(options as ExponentialDecayOptions);
    case 'powerLawDecay':
      return new PowerLawDecay(options as PowerLawDecayOptions);
    case 'linear':
      return new Linear(options as LinearOptions);
    case 'step':
      return new Step(options as StepOptions);
  }
}
