/**
 * Penalties on parameters, as in Paysage: each gives its value (added to the objective) and
 * its gradient (added to the parameter's gradient). Attach them with
 * `layer.addPenalty({ loc: l2(1e-3) })` or `weights.addPenalty({ matrix: l1(1e-3) })`.
 * @packageDocumentation
 * @module relief/penalties
 */

import * as z from 'zod';
import { be, type Tensor } from '../backends/index.js';
import { ConfigError, formatShape, ShapeError } from '../errors/index.js';
import { inverseAndLogDet } from '../linalg/index.js';
import { parseWith } from '../validation/index.js';

/** The kinds of penalty, as saved in `model.json`. */
export type PenaltyType = 'l1' | 'l2' | 'log' | 'expL2' | 'l1AdaptiveDecay' | 'logNorm' | 'l2Norm' | 'logDet';

/** A penalty's description, as saved in `model.json`. */
export interface PenaltyConfig {
  readonly type: PenaltyType;
  readonly coefficient: number;
  /** The column norm `l2Norm` pulls toward (default 1). */
  readonly target?: number;
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

/** `c/2 · Σ e^{2x}` (Paysage's `exp_l2_penalty`, an l2 penalty on e^x), gradient `c · e^{2x}`. */
export function expL2(coefficient: number): Penalty {
  checkCoefficient(coefficient, 'expL2');
  return {
    type: 'expL2',
    coefficient,
    value: (x) => be.tidy(() => be.mul(be.sum(be.exp(be.mul(x, 2))), coefficient / 2)),
    gradient: (x) => be.tidy(() => be.mul(be.exp(be.mul(x, 2)), coefficient)),
  };
}

/**
 * `c/2 · Σ_j (Σ_i |W_ij|)²`: an l1 penalty that grows with each column's total coupling
 * (Paysage's `l1_adaptive_decay_penalty_2`, Tubiana & Monasson 2017), gradient
 * `c · (Σ_i |W_ij|) · sign(W_ij)`, on a parameter of shape (rows, columns) or a vector (one
 * column). @param coefficient - c, non-negative
 */
export function l1AdaptiveDecay(coefficient: number): Penalty {
  checkCoefficient(coefficient, 'l1AdaptiveDecay');
  return {
    type: 'l1AdaptiveDecay',
    coefficient,
    value: (x) => be.tidy(() => be.mul(be.sum(be.square(be.sum(be.abs(x), 0))), coefficient / 2)),
    gradient: (x) => be.tidy(() => be.mul(be.mul(be.sign(x), be.sum(be.abs(x), 0, true)), coefficient)),
  };
}

/** Each column's squared Euclidean norm, kept as a row. @param x - (rows, columns) @returns (1, columns) */
function columnSquareNorms(x: Tensor): Tensor {
  return be.sum(be.square(x), 0, true);
}

/**
 * `−c/2 · Σ_j ln ‖w_j‖²`, which keeps every column of a weight matrix away from zero
 * (Paysage's `log_norm`), gradient `−c · W_ij / ‖w_j‖²`, on a parameter of shape
 * (rows, columns). @param coefficient - c, non-negative
 */
export function logNorm(coefficient: number): Penalty {
  checkCoefficient(coefficient, 'logNorm');
  return {
    type: 'logNorm',
    coefficient,
    value: (x) => be.tidy(() => be.mul(be.sum(be.log(columnSquareNorms(x))), -coefficient / 2)),
    gradient: (x) => be.tidy(() => be.mul(be.div(x, columnSquareNorms(x)), -coefficient)),
  };
}

/**
 * `c/2 · Σ_j (‖w_j‖ − target)²`, which pulls each column's norm toward `target` (Paysage's
 * `l2_norm`, Desjardins et al. 2012), gradient `c · (‖w_j‖ − target) · W_ij / ‖w_j‖`, on a
 * parameter of shape (rows, columns).
 * @param coefficient - c, non-negative
 * @param target - the column norm it pulls toward, non-negative
 */
export function l2Norm(coefficient: number, target = 1): Penalty {
  checkCoefficient(coefficient, 'l2Norm');
  if (!Number.isFinite(target) || target < 0) {
    throw new ConfigError(`l2Norm penalty: target: expected a non-negative number, got ${target}`);
  }
  return {
    type: 'l2Norm',
    coefficient,
    target,
    value: (x) =>
      be.tidy(() => be.mul(be.sum(be.square(be.sub(be.sqrt(columnSquareNorms(x)), target))), coefficient / 2)),
    gradient: (x) =>
      be.tidy(() => {
        const norms = be.sqrt(columnSquareNorms(x));
        return be.mul(be.mul(x, be.div(be.sub(norms, target), norms)), coefficient);
      }),
  };
}

/** WᵀW of a weight matrix with at least as many rows as columns. @param x - (rows, columns) @returns (columns, columns) */
function gram(x: Tensor): Tensor {
  const [rows = 0, columns = 1] = be.shape(x);
  if (be.shape(x).length !== 2 || rows < columns) {
    throw new ShapeError(
      `logDet penalty: expected a matrix with at least as many rows as columns (WᵀW is singular otherwise), got ${formatShape(be.shape(x))}`,
    );
  }
  return be.matmul(x, x, { transposeA: true });
}

/**
 * `−c · ln det(WᵀW)`, which keeps the columns of a weight matrix linearly independent
 * (Paysage's `logdet_penalty`), gradient `−2c · W (WᵀW)⁻¹`. Costs a Gauss–Jordan elimination
 * of (columns, columns) per call, on a parameter of shape (rows, columns) with rows ≥ columns.
 * @param coefficient - c, non-negative
 */
export function logDet(coefficient: number): Penalty {
  checkCoefficient(coefficient, 'logDet');
  const eliminate = (x: Tensor) => inverseAndLogDet(gram(x));
  return {
    type: 'logDet',
    coefficient,
    value: (x) =>
      be.tidy(() => {
        const { inverse, logDet } = eliminate(x);
        be.dispose(inverse);
        return be.mul(logDet, -coefficient);
      }),
    gradient: (x) =>
      be.tidy(() => {
        const { inverse, logDet } = eliminate(x);
        be.dispose(logDet);
        return be.mul(be.matmul(x, inverse), -2 * coefficient);
      }),
  };
}

/** Alias of {@link l2}. */
export const ridge = l2;
/** Alias of {@link l1}. */
export const lasso = l1;

const FACTORIES: Record<PenaltyType, (coefficient: number, target?: number) => Penalty> = {
  l1,
  l2,
  log: logPenalty,
  expL2,
  l1AdaptiveDecay,
  logNorm,
  l2Norm,
  logDet,
};

/** The schema of a penalty's description `{ type, coefficient, target? }`, strict (`target` only for `l2Norm`). */
export const penaltyConfigSchema = z
  .strictObject({
    type: z.enum(Object.keys(FACTORIES) as [PenaltyType, ...PenaltyType[]]),
    coefficient: z.number().min(0),
    target: z.number().min(0).optional(),
  })
  .refine((config) => config.target === undefined || config.type === 'l2Norm', {
    message: "target applies only to type 'l2Norm'",
    path: ['target'],
  });

/** The penalty described by untrusted `config`; `where` names it in errors. */
export function penaltyFromConfig(config: unknown, where: string): Penalty {
  const { type, coefficient, target } = parseWith(penaltyConfigSchema, config, where);
  return FACTORIES[type](coefficient, target);
}

/** The description `model.json` saves for a penalty. */
export function penaltyConfig({ type, coefficient, target }: Penalty): PenaltyConfig {
  return { type, coefficient, ...(target !== undefined && { target }) };
}
