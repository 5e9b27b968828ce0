import { be, type Shape, type Tensor } from '../backends/index.js';
import type { Constraint, ConstraintConfig } from '../constraints/index.js';
import { ConfigError, formatShape, ShapeError } from '../errors/index.js';
import { type Penalty, type PenaltyConfig, penaltyConfig } from '../penalties/index.js';

/** Named parameter tensors, e.g. `{ loc: (numUnits) }` or `{ matrix: (nLower, nUpper) }`. */
export type ParameterTensors = Readonly<Record<string, Tensor>>;

/** The parameter fields of every layer's and connection's description in `model.json`. */
export interface ParameterConfig {
  readonly fixedParams: readonly string[];
  readonly penalties: Readonly<Record<string, PenaltyConfig>>;
  readonly constraints: Readonly<Record<string, ConstraintConfig>>;
}

/**
 * What owns trainable parameters (a layer, a weights matrix): named tensors of fixed
 * shapes, the names that are fixed (never updated), and penalties per name. The owner
 * holds its tensors outside any `tidy` scope and disposes a tensor when it is replaced.
 */
export abstract class Parametrized {
  private readonly values = new Map<string, Tensor>();
  private readonly fixed = new Set<string>();
  /** Penalties by parameter name. */
  readonly penalties = new Map<string, Penalty>();
  /** Constraints by parameter name, applied after every optimizer step. */
  readonly constraints = new Map<string, Constraint>();

  /** @param shapes - the shape of each parameter, in a fixed order */
  protected constructor(private readonly shapes: Readonly<Record<string, Shape>>) {}

  /** Names of the parameters, in a fixed order. */
  get paramNames(): readonly string[] {
    return Object.keys(this.shapes);
  }

  /** Names of the parameters that training must not change. */
  get fixedParams(): readonly string[] {
    return [...this.fixed];
  }

  /** Names of the parameters that training may change. */
  get trainableParams(): readonly string[] {
    return this.paramNames.filter((name) => !this.fixed.has(name));
  }

  /** The expected shape of parameter `name`. */
  paramShape(name: string): Shape {
    return this.shapes[this.checkName(name)] as Shape;
  }

  /** The current value of parameter `name`. */
  param(name: string): Tensor {
    const value = this.values.get(this.checkName(name));
    if (value === undefined) throw new ConfigError(`parameter '${name}' has no value yet`);
    return value;
  }

  /** All parameters by name. */
  params(): ParameterTensors {
    return Object.fromEntries(this.paramNames.map((name) => [name, this.param(name)]));
  }

  /**
   * Replaces parameter `name` (mutates this object), keeping `value` alive outside any
   * `tidy` and disposing the previous tensor. Fixed parameters can still be set here:
   * fixing only stops training from changing them.
   * @throws ShapeError when `value` does not have the parameter's shape
   */
  setParam(name: string, value: Tensor): void {
    const expected = this.paramShape(name);
    const shape = be.shape(value);
    if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
      throw new ShapeError(
        `${this.describe()}.${name}: expected shape ${formatShape(expected)}, got ${formatShape(shape)}`,
      );
    }
    const previous = this.values.get(name);
    this.values.set(name, be.keep(value));
    if (previous !== undefined && previous !== value) be.dispose(previous);
  }

  /** Marks parameters as fixed, so training never moves them (replaces the previous set). */
  setFixedParams(names: readonly string[]): void {
    for (const name of names) this.checkName(name);
    this.fixed.clear();
    for (const name of names) this.fixed.add(name);
  }

  /** Attaches penalties by parameter name, e.g. `{ loc: l2(1e-3) }`. */
  addPenalty(penalties: Readonly<Record<string, Penalty>>): void {
    for (const [name, penalty] of Object.entries(penalties)) this.penalties.set(this.checkName(name), penalty);
  }

  /**
   * Attaches constraints by parameter name, e.g. `{ matrix: nonNegative }`; the parameter is
   * moved into the allowed set now and after every optimizer step.
   * @throws ConfigError when the parameter's shape cannot take the constraint
   */
  addConstraint(constraints: Readonly<Record<string, Constraint>>): void {
    for (const [name, constraint] of Object.entries(constraints)) {
      constraint.check(this.paramShape(name), `${this.describe()}.${name}`);
      this.constraints.set(name, constraint);
      if (this.values.has(name)) this.setParam(name, this.constrain(name, this.param(name)));
    }
  }

  /** Moves every constrained parameter into its allowed set (after setting parameters outside the optimizer). */
  applyConstraints(): void {
    for (const name of this.constraints.keys()) this.setParam(name, this.constrain(name, this.param(name)));
  }

  /** `value` moved into the allowed set of parameter `name` (itself when it has no constraint). */
  constrain(name: string, value: Tensor): Tensor {
    const constraint = this.constraints.get(name);
    return constraint === undefined ? value : constraint.apply(value);
  }

  /** The sum of all attached penalties' values, a scalar tensor. */
  penaltyValue(): Tensor {
    return be.tidy(() =>
      [...this.penalties].reduce<Tensor>(
        (total, [name, penalty]) => be.add(total, penalty.value(this.param(name))),
        be.zeros([]),
      ),
    );
  }

  /** Adds the gradient of the penalty on `name` (if any) to `gradient`. */
  penalize(name: string, gradient: Tensor): Tensor {
    const penalty = this.penalties.get(name);
    return penalty === undefined ? gradient : be.tidy(() => be.add(gradient, penalty.gradient(this.param(name))));
  }

  /** Frees every parameter tensor. */
  dispose(): void {
    be.dispose([...this.values.values()]);
    this.values.clear();
  }

  /** The fixed parameters, penalties and constraints, as `model.json` saves them. */
  protected parameterConfig(): ParameterConfig {
    return {
      fixedParams: this.fixedParams,
      penalties: Object.fromEntries([...this.penalties].map(([name, p]) => [name, penaltyConfig(p)])),
      constraints: Object.fromEntries([...this.constraints].map(([name, c]) => [name, c.config])),
    };
  }

  /** A short description for error messages, e.g. `BernoulliLayer(784)`. */
  abstract describe(): string;

  private checkName(name: string): string {
    if (!Object.hasOwn(this.shapes, name)) {
      throw new ConfigError(`${this.describe()}: no parameter '${name}' (it has ${this.paramNames.join(', ')})`);
    }
    return name;
  }
}
