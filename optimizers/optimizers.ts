/**
 * Optimizers: each turns a model gradient (of the quantity to minimize) into a parameter
 * update, with a step size from a schedule advanced once per epoch. Fixed parameters are
 * never touched (they are absent from the gradient). State (moments) lives per parameter.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import type { BoltzmannMachine, Gradient } from '../models/index.js';
import { Constant, type Schedule, scheduleFromConfig } from '../schedules/index.js';

/** Options every optimizer takes. */
export interface OptimizerOptions {
  /** Step size: a schedule over epochs, or a number (constant). Default 1e-3. */
  readonly stepsize?: Schedule | number;
}

/** The gradient tensor of each trainable parameter, by saved key (`layers.0.loc`, `connections.0.W`). */
export function gradientByKey(model: BoltzmannMachine, gradient: Gradient): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  model.layers.forEach((_, i) => {
    for (const [name, g] of Object.entries(gradient.layers[i] ?? {})) out.set(`layers.${i}.${name}`, g);
  });
  model.connections.forEach((_, i) => {
    const g = gradient.weights[i]?.matrix;
    if (g) out.set(`connections.${i}.W`, g);
  });
  return out;
}

/**
 * Base of the optimizers: walks the trainable parameters, asks the subclass for each new
 * value, and replaces the parameter (the old tensor is disposed).
 */
export abstract class Optimizer {
  /** The step-size schedule. */
  readonly stepsize: Schedule;
  /** Epochs started so far (the schedule's t is `epoch`, from 0). */
  protected epoch = 0;
  /** Updates applied so far (for bias corrections). */
  protected updates = 0;
  private readonly state = new Map<string, Tensor[]>();

  constructor(options: OptimizerOptions = {}) {
    const stepsize = options.stepsize ?? 1e-3;
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
    const gradients = gradientByKey(model, gradient);
    this.updates += 1;
    const rate = this.learningRate;
    for (const { key, owner, name } of model.namedParameters()) {
      const g = gradients.get(key);
      if (g === undefined || owner.fixedParams.includes(name)) continue;
      const previous = this.state.get(key);
      const { value, state } = be.tidy(() => this.step(owner.param(name), g, rate, previous));
      owner.setParam(name, value);
      for (const t of state) be.keep(t);
      if (previous) be.dispose(previous.filter((t) => !state.includes(t)));
      this.state.set(key, state);
    }
  }

  /** Frees the optimizer's moment tensors and starts again from epoch 0 (e.g. for a new model). */
  reset(): void {
    for (const tensors of this.state.values()) be.dispose(tensors);
    this.state.clear();
    this.epoch = 0;
    this.updates = 0;
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
  protected step(param: Tensor, gradient: Tensor, rate: number): { value: Tensor; state: Tensor[] } {
    return { value: be.sub(param, be.mul(gradient, rate)), state: [] };
  }
}

/** Momentum (heavy ball): v ← μ v + g; θ ← θ − η v. */
export class Momentum extends Optimizer {
  readonly momentum: number;
  constructor(options: OptimizerOptions & { momentum?: number } = {}) {
    super(options);
    this.momentum = options.momentum ?? 0.9;
  }
  protected step(param: Tensor, gradient: Tensor, rate: number, previous?: readonly Tensor[]) {
    const velocity = be.add(be.mul(previous?.[0] ?? be.zeros(be.shape(gradient)), this.momentum), gradient);
    return { value: be.sub(param, be.mul(velocity, rate)), state: [velocity] };
  }
}

/** RMSProp (Hinton): s ← ρ s + (1 − ρ) g²; θ ← θ − η g / √(s + ε). */
export class RMSProp extends Optimizer {
  readonly meanSquareWeight: number;
  readonly epsilon: number;
  constructor(options: OptimizerOptions & { meanSquareWeight?: number; epsilon?: number } = {}) {
    super(options);
    this.meanSquareWeight = options.meanSquareWeight ?? 0.9;
    this.epsilon = options.epsilon ?? 1e-6;
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
  readonly meanWeight: number;
  readonly meanSquareWeight: number;
  readonly epsilon: number;
  constructor(options: OptimizerOptions & { meanWeight?: number; meanSquareWeight?: number; epsilon?: number } = {}) {
    super(options);
    this.meanWeight = options.meanWeight ?? 0.9;
    this.meanSquareWeight = options.meanSquareWeight ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
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

/** Alias of {@link GradientDescent}, Paysage's name. */
export const StochasticGradientDescent = GradientDescent;

/** An optimizer from an untrusted description `{ type, stepsize, ... }`; `where` names it in errors. */
export function optimizerFromConfig(config: unknown, where: string): Optimizer {
  const fields = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  const stepsize = fields.stepsize === undefined ? undefined : scheduleFromConfig(fields.stepsize, `${where}.stepsize`);
  const number = (name: string): number | undefined => {
    const value = fields[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ConfigError(`${where}.${name}: expected a number, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const base = { ...(stepsize && { stepsize }) };
  switch (fields.type) {
    case 'sgd':
      return new GradientDescent(base);
    case 'momentum':
      return new Momentum({ ...base, momentum: number('momentum') });
    case 'rmsprop':
      return new RMSProp({ ...base, meanSquareWeight: number('meanSquareWeight'), epsilon: number('epsilon') });
    case 'adam':
      return new ADAM({
        ...base,
        meanWeight: number('meanWeight'),
        meanSquareWeight: number('meanSquareWeight'),
        epsilon: number('epsilon'),
      });
    default:
      throw new ConfigError(
        `${where}.type: expected one of 'sgd', 'momentum', 'rmsprop', 'adam', got ${JSON.stringify(fields.type)}`,
      );
  }
}
