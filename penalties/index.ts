/**
 * Penalties on parameters, as in Paysage: each gives its value (added to the objective) and
 * its gradient (added to the parameter's gradient). Attach them with
 * `layer.addPenalty({ loc: l2(1e-3) })` or `weights.addPenalty({ matrix: l1(1e-3) })`.
 * @packageDocumentation
 */

import * as z from 'zod';
import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import { parseWith } from '../validation/index.js';

/** The kinds of penalty, as saved in `model.json`. */
export type PenaltyType = 'l1' | 'l2' | 'log';

/** A penalty's description, as saved in `model.json`. */
export interface PenaltyConfig {
  readonly type: PenaltyType;
  readonly coefficient: number;
}

/** A penalty on a parameter tensor of any shape. */
export interface Penalty extends PenaltyConfig {
  /** The penalty's value, a scalar tensor. @param parameter - any shape */
  value(parameter: Tensor): Tensor;
  /** Its gradient with respect to the parameter. @param parameter - any shape @returns the same shape */
  gradient(parameter: Tensor): Tensor;
}

function checkCoefficient(coefficient: number, type: PenaltyType): void {
  if (!Number.isFinite(coefficient) || coefficient < 0) {
    throw new ConfigError(`${type} penalty: coefficient: expected a non-negative number, got ${coefficient}`);
  }
}

/** Ridge penalty `c/2 · Σ x²`, gradient `c · x`. */
export function l2(coefficient: number): Penalty {
  checkCoefficient(coefficient, 'l2');
  return {
    type: 'l2',
    coefficient,
    value: (x) => be.tidy(() => be.mul(be.sum(be.square(x)), coefficient / 2)),
    gradient: (x) => be.mul(x, coefficient),
  };
}

/** Lasso penalty `c · Σ |x|`, (sub)gradient `c · sign(x)`. */
export function l1(coefficient: number): Penalty {
  checkCoefficient(coefficient, 'l1');
  return {
    type: 'l1',
    coefficient,
    value: (x) => be.tidy(() => be.mul(be.sum(be.abs(x)), coefficient)),
    gradient: (x) => be.tidy(() => be.mul(be.sign(x), coefficient)),
  };
}

/** Log barrier `−c · Σ ln x` for positive parameters, gradient `−c / x`. */
export function logPenalty(coefficient: number): Penalty {
  checkCoefficient(coefficient, 'log');
  return {
    type: 'log',
    coefficient,
    value: (x) => be.tidy(() => be.mul(be.sum(be.log(x)), -coefficient)),
    gradient: (x) => be.tidy(() => be.div(-coefficient, x)),
  };
}

/** Alias of {@link l2}. */
export const ridge = l2;
/** Alias of {@link l1}. */
export const lasso = l1;

const FACTORIES: Record<PenaltyType, (coefficient: number) => Penalty> = { l1, l2, log: logPenalty };

/** The schema of a penalty's description `{ type, coefficient }`, strict. */
export const penaltyConfigSchema = z.strictObject({
  type: z.enum(['l1', 'l2', 'log']),
  coefficient: z.number().min(0),
});

/** The penalty described by untrusted `config`; `where` names it in errors. */
export function penaltyFromConfig(config: unknown, where: string): Penalty {
  const { type, coefficient } = parseWith(penaltyConfigSchema, config, where);
  return FACTORIES[type](coefficient);
}
