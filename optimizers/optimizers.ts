/**
 * Optimizers: each turns a model gradient (of the quantity to minimize) into a parameter
 * update, with a step size from a schedule advanced once per epoch. Fixed parameters are
 * never touched (they are absent from the gradient). State (moments) lives per parameter.
 * @packageDocumentation
 */

import * as z from 'zod';
import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import type { BoltzmannMachine, Gradient, NamedParameter } from '../models/index.js';
import { Constant, type Schedule, scheduleFromConfig, stepsizeConfigSchema } from '../schedules/index.js';
import { parseWith } from '../validation/index.js';

/** The step size every optimizer takes when none is given (Paysage's default). */
export const DEFAULT_STEPSIZE = 1e-3;

function isSchedule(value: unknown): value is Schedule {
  return typeof (value as Schedule | undefined)?.valueAt === 'function';
}

const weight = z.number().min(0).lt(1);
const positive = z.number().positive();
const stepsizeOption = z
  .union([positive, z.custom<Schedule>(isSchedule, { error: 'expected a positive number or a Schedule' })])
  .default(DEFAULT_STEPSIZE);
const momentumFields = { momentum: weight.default(0.9) };
const rmspropFields = { meanSquareWeight: weight.default(0.9), epsilon: positive.default(1e-6) };
const adamFields = {
  meanWeight: weight.default(0.9),
  meanSquareWeight: weight.default(0.999),
  epsilon: positive.default(1e-8),
};
const adagradFields = { epsilon: positive.default(1e-10) };
const sgdOptions = z.strictObject({ stepsize: stepsizeOption });
const momentumOptions = z.strictObject({ stepsize: stepsizeOption, ...momentumFields });
const rmspropOptions = z.strictObject({ stepsize: stepsizeOption, ...rmspropFields });
const adamOptions = z.strictObject({ stepsize: stepsizeOption, ...adamFields });
const adagradOptions = z.strictObject({ stepsize: stepsizeOption, ...adagradFields });

/** Options every optimizer takes: `stepsize`, a schedule over epochs or a number (constant), default {@link DEFAULT_STEPSIZE}. @useDeclaredType */
export type OptimizerOptions = z.input<typeof sgdOptions>;
/** Options of {@link Momentum}: `momentum` μ ∈ [0, 1), default 0.9. @useDeclaredType */
export type MomentumOptions = z.input<typeof momentumOptions>;
/** Options of {@link RMSProp}: `meanSquareWeight` ρ ∈ [0, 1), default 0.9; `epsilon` > 0, default 1e-6. @useDeclaredType */
export type RMSPropOptions = z.input<typeof rmspropOptions>;
/** Options of {@link ADAM}: β₁ `meanWeight` 0.9, β₂ `meanSquareWeight` 0.999, `epsilon` 1e-8 by default. @useDeclaredType */
export type ADAMOptions = z.input<typeof adamOptions>;
/** Options of {@link AdaGrad}: `epsilon` > 0, added to √G, default 1e-10 (PyTorch's). @useDeclaredType */
export type AdaGradOptions = z.input<typeof adagradOptions>;

/** The schema of an optimizer's description in run configs: `{ type, stepsize?, ... }`, strict. */
export const optimizerConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('sgd'), stepsize: stepsizeConfigSchema.optional() }),
  z.strictObject({ type: z.literal('momentum'), stepsize: stepsizeConfigSchema.optional(), ...momentumFields }),
  z.strictObject({ type: z.literal('rmsprop'), stepsize: stepsizeConfigSchema.optional(), ...rmspropFields }),
  z.strictObject({ type: z.literal('adam'), stepsize: stepsizeConfigSchema.optional(), ...adamFields }),
  z.strictObject({ type: z.literal('adagrad'), stepsize: stepsizeConfigSchema.optional(), ...adagradFields }),
]);

/** An optimizer's description, as in run configs. */
export type OptimizerConfig = z.input<typeof optimizerConfigSchema>;

/** The gradient tensor of each trainable parameter, by saved key (`layers.0.loc`, `connections.0.W`). */
export function gradientByKey(model: BoltzmannMachine, gradient: Gradient): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  model.layers.forEach((_, i) => {
    for (const [name, g] of Object.entries(gradient.layers[i] ?? {})) out.set(`layers.${i}.${name}`, g);
  });
  model.connections.forEach(({ weights }, i) => {
    const g = gradient.weights[i]?.[weights.parameterName];
    if (g) out.set(`connections.${i}.W`, g);
  });
  return out;
}

/** The optimizer types, by their run-config names. */
export type OptimizerKind = OptimizerConfig['type'];

/** Every optimizer type's run-config name, in the order of {@link optimizerConfigSchema}. */
export const OPTIMIZER_KINDS = optimizerConfigSchema.options.map(
  (branch) => branch.shape.type.value,
) as readonly OptimizerKind[] as readonly [OptimizerKind, ...OptimizerKind[]];

/**
 * Where an optimizer stands between two updates (for a checkpoint): its type, epoch, update
 * count, and each parameter's moment tensors by key (the optimizer's own, not copies).
 */
export interface OptimizerState {
  readonly kind: OptimizerKind;
  readonly epoch: number;
  readonly updates: number;
  readonly moments: ReadonlyMap<string, readonly Tensor[]>;
}

/**
 * Base of the optimizers: walks the trainable parameters, asks the subclass for each new
 * value, and replaces the parameter (the old tensor is disposed).
 */
export abstract class Optimizer {
  /** The type, as run configs name it. */
  abstract readonly kind: OptimizerKind;
  /** Moment tensors kept per parameter (ADAM 2, momentum, RMSProp and AdaGrad 1, plain descent 0). */
  abstract readonly momentsPerParameter: number;
  /** The step-size schedule. */
  readonly stepsize: Schedule;
  /** Epochs started so far (the schedule's t is `epoch`, from 0). */
  protected epoch = 0;
  /** Updates applied so far (for bias corrections). */
  protected updates = 0;
  private readonly moments = new Map<string, Tensor[]>();

  /** @param stepsize - a schedule over epochs, or a number (constant) */
  constructor(stepsize: Schedule | number) {
    this.stepsize = typeof stepsize === 'number' ? new Constant({ initial: stepsize }) : stepsize;
  }

  /** Sets the epoch index the step size is taken at (SGD calls it at the start of each epoch). */
  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** The current step size. */
  get learningRate(): number {
    return this.stepsize.valueAt(this.epoch);
  }

  /**
   * Applies one update to every trainable parameter of `model` (mutates the model).
   * @param gradient - from `model.gradient(...)`: the direction of increasing loss
   */
  update(model: BoltzmannMachine, gradient: Gradient): void {
    this.apply(model.namedParameters(), gradientByKey(model, gradient));
  }

  /**
   * Applies one update to named parameters of any owner (a model, a classifier): each
   * parameter with a gradient under its key, and not fixed, is replaced.
   * @param gradients - by key, each the shape of its parameter: the direction of increasing loss
   */
  apply(parameters: readonly NamedParameter[], gradients: ReadonlyMap<string, Tensor>): void {
    this.updates += 1;
    const rate = this.learningRate;
    for (const { key, owner, name } of parameters) {
      const g = gradients.get(key);
      if (g === undefined || owner.fixedParams.includes(name)) continue;
      const previous = this.moments.get(key);
      const { value, state } = be.tidy(() => {
        const stepped = this.step(owner.param(name), g, rate, previous);
        return { value: owner.constrain(name, stepped.value), state: stepped.state };
      });
      owner.setParam(name, value);
      for (const t of state) be.keep(t);
      if (previous) be.dispose(previous.filter((t) => !state.includes(t)));
      this.moments.set(key, state);
    }
  }

  /** Frees the optimizer's moment tensors and starts again from epoch 0 (e.g. for a new model). */
  reset(): void {
    for (const tensors of this.moments.values()) be.dispose(tensors);
    this.moments.clear();
    this.epoch = 0;
    this.updates = 0;
  }

  /** Where the optimizer stands now; its tensors stay the optimizer's. */
  snapshot(): OptimizerState {
    return { kind: this.kind, epoch: this.epoch, updates: this.updates, moments: new Map(this.moments) };
  }

  /**
   * Continues from a {@link snapshot} (e.g. read from a checkpoint), taking over its tensors.
   * @throws ConfigError when it was taken from another type of optimizer
   */
  restore(state: OptimizerState): void {
    if (state.kind !== this.kind) {
      throw new ConfigError(
        `Optimizer.restore: the state is of a '${state.kind}' optimizer; this one is '${this.kind}'`,
      );
    }
    const wrong = [...state.moments].find(([, tensors]) => tensors.length !== this.momentsPerParameter);
    if (wrong) {
      throw new ConfigError(
        `Optimizer.restore: '${this.kind}' keeps ${this.momentsPerParameter} moment tensors per parameter; the state has ${wrong[1].length} for ${wrong[0]}`,
      );
    }
    this.reset();
    for (const [key, tensors] of state.moments)
      this.moments.set(
        key,
        tensors.map((t) => be.keep(t)),
      );
    this.epoch = state.epoch;
    this.updates = state.updates;
  }

  /**
   * The new value of one parameter and the optimizer state to keep for it.
   * @param param - current value @param gradient - same shape @param rate - step size
   * @param previous - the state returned last time for this parameter, if any
   */
  protected abstract step(
    param: Tensor,
    gradient: Tensor,
    rate: number,
    previous: readonly Tensor[] | undefined,
  ): { value: Tensor; state: Tensor[] };
}

/** w·average + (1 − w)·fresh, with a missing average taken as zeros. Always a new tensor. */
function exponentialAverage(average: Tensor | undefined, fresh: Tensor, weight: number): Tensor {
  const scaled = be.mul(fresh, 1 - weight);
  return average === undefined ? scaled : be.add(be.mul(average, weight), scaled);
}

/** Plain gradient descent: θ ← θ − η g. */
export class GradientDescent extends Optimizer {
  readonly kind = 'sgd';
  readonly momentsPerParameter = 0;
  constructor(options: OptimizerOptions = {}) {
    super(parseWith(sgdOptions, options, 'GradientDescent').stepsize);
  }
  protected step(param: Tensor, gradient: Tensor, rate: number): { value: Tensor; state: Tensor[] } {
    return { value: be.sub(param, be.mul(gradient, rate)), state: [] };
  }
}

/** Momentum (heavy ball): v ← μ v + g; θ ← θ − η v. */
export class Momentum extends Optimizer {
  readonly kind = 'momentum';
  readonly momentsPerParameter = 1;
  readonly momentum: number;
  constructor(options: MomentumOptions = {}) {
    const parsed = parseWith(momentumOptions, options, 'Momentum');
    super(parsed.stepsize);
    this.momentum = parsed.momentum;
  }
  protected step(param: Tensor, gradient: Tensor, rate: number, previous?: readonly Tensor[]) {
    const velocity = be.add(be.mul(previous?.[0] ?? be.zeros(be.shape(gradient)), this.momentum), gradient);
    return { value: be.sub(param, be.mul(velocity, rate)), state: [velocity] };
  }
}

/** RMSProp (Hinton): s ← ρ s + (1 − ρ) g²; θ ← θ − η g / √(s + ε). */
export class RMSProp extends Optimizer {
  readonly kind = 'rmsprop';
  readonly momentsPerParameter = 1;
  readonly meanSquareWeight: number;
  readonly epsilon: number;
  constructor(options: RMSPropOptions = {}) {
    const parsed = parseWith(rmspropOptions, options, 'RMSProp');
    super(parsed.stepsize);
    this.meanSquareWeight = parsed.meanSquareWeight;
    this.epsilon = parsed.epsilon;
  }
  protected step(param: Tensor, gradient: Tensor, rate: number, previous?: readonly Tensor[]) {
    const meanSquare = exponentialAverage(previous?.[0], be.square(gradient), this.meanSquareWeight);
    const value = be.sub(param, be.mul(be.div(gradient, be.sqrt(be.add(meanSquare, this.epsilon))), rate));
    return { value, state: [meanSquare] };
  }
}

/**
 * ADAM (Kingma & Ba) with bias correction: m ← β₁m + (1 − β₁)g; s ← β₂s + (1 − β₂)g²;
 * θ ← θ − η m̂ / (√ŝ + ε) with m̂ = m/(1 − β₁ᵗ), ŝ = s/(1 − β₂ᵗ), t the update count.
 */
export class ADAM extends Optimizer {
  readonly kind = 'adam';
  readonly momentsPerParameter = 2;
  readonly meanWeight: number;
  readonly meanSquareWeight: number;
  readonly epsilon: number;
  constructor(options: ADAMOptions = {}) {
    const parsed = parseWith(adamOptions, options, 'ADAM');
    super(parsed.stepsize);
    this.meanWeight = parsed.meanWeight;
    this.meanSquareWeight = parsed.meanSquareWeight;
    this.epsilon = parsed.epsilon;
  }
  protected step(param: Tensor, gradient: Tensor, rate: number, previous?: readonly Tensor[]) {
    const next = be.adamStep(param, gradient, previous?.[0], previous?.[1], {
      rate,
      meanWeight: this.meanWeight,
      meanSquareWeight: this.meanSquareWeight,
      epsilon: this.epsilon,
      step: this.updates,
    });
    return { value: next.param, state: [next.mean, next.meanSquare] };
  }
}

/**
 * AdaGrad (Duchi, Hazan & Singer): G ← G + g²; θ ← θ − η g / (√G + ε), G the sum of every
 * squared gradient so far, from 0. ε is added outside the square root, as PyTorch's `Adagrad`
 * (which Learnergy's models take) and PyDeep's `ADAGDTrainer` add it; ε defaults to PyTorch's
 * 1e-10 (PyDeep's `numerical_stabilty` is 1e-6). PyTorch's `lr_decay` is a schedule here.
 */
export class AdaGrad extends Optimizer {
  readonly kind = 'adagrad';
  readonly momentsPerParameter = 1;
  readonly epsilon: number;
  constructor(options: AdaGradOptions = {}) {
    const parsed = parseWith(adagradOptions, options, 'AdaGrad');
    super(parsed.stepsize);
    this.epsilon = parsed.epsilon;
  }
  protected step(param: Tensor, gradient: Tensor, rate: number, previous?: readonly Tensor[]) {
    const squared = be.square(gradient);
    const sumOfSquares = previous?.[0] === undefined ? squared : be.add(previous[0], squared);
    const value = be.sub(param, be.mul(be.div(gradient, be.add(be.sqrt(sumOfSquares), this.epsilon)), rate));
    return { value, state: [sumOfSquares] };
  }
}

/** Alias of {@link GradientDescent}, Paysage's name. */
export const StochasticGradientDescent = GradientDescent;

/** An optimizer from an untrusted description `{ type, stepsize, ... }`; `where` names it in errors. */
export function optimizerFromConfig(config: unknown, where: string): Optimizer {
  const { type, stepsize, ...rest } = parseWith(optimizerConfigSchema, config, where);
  const options = {
    ...rest,
    ...(stepsize !== undefined && { stepsize: scheduleFromConfig(stepsize, `${where}.stepsize`) }),
  };
  switch (type) {
    case 'sgd':
      return new GradientDescent(options);
    case 'momentum':
      return new Momentum(options);
    case 'rmsprop':
      return new RMSProp(options);
    case 'adam':
      return new ADAM(options);
    case 'adagrad':
      return new AdaGrad(options);
  }
}
