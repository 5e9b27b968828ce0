/**
 * Parameter constraints, as in Paysage: each maps a parameter onto its allowed set after every
 * optimizer step. Attach them with `weights.addConstraint({ matrix: constraints.nonNegative })`;
 * `model.json` saves them by name.
 * @packageDocumentation
 */
import { be, type Shape, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';

/** The constraints by name, as saved in `model.json`. */
export const CONSTRAINT_TYPES = ['nonNegative', 'nonPositive', 'diagonal', 'fixedColumnNorm'] as const;
/** A constraint's name. */
export type ConstraintType = (typeof CONSTRAINT_TYPES)[number];

/** A projection of a parameter onto its allowed set. */
export interface Constraint {
  readonly type: ConstraintType;
  /** @throws ConfigError when a parameter of this shape cannot take the constraint @param where - names the parameter */
  check(shape: Shape, where: string): void;
  /** The parameter moved into the allowed set. @param parameter - any shape the check allows @returns the same shape */
  apply(parameter: Tensor): Tensor;
}

const anyShape = (): void => {};

/** Negative entries set to 0 (Paysage's `non_negative`). */
export const nonNegative: Constraint = {
  type: 'nonNegative',
  check: anyShape,
  apply: (x) => be.maximum(x, 0),
};

/** Positive entries set to 0 (Paysage's `non_positive`). */
export const nonPositive: Constraint = {
  type: 'nonPositive',
  check: anyShape,
  apply: (x) => be.minimum(x, 0),
};

/** Off-diagonal entries of a square matrix set to 0 (Paysage's `diagonal`). */
export const diagonal: Constraint = {
  type: 'diagonal',
  check(shape, where) {
    if (shape.length !== 2 || shape[0] !== shape[1]) {
      throw new ConfigError(
        `${where}: constraint 'diagonal': expected a square matrix, got shape [${shape.join(', ')}]`,
      );
    }
  },
  apply: (x) => {
    const n = be.shape(x)[0] as number;
    return be.tidy(() =>
      be.mul(
        x,
        be.tensor(
          Float32Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)),
          [n, n],
        ),
      ),
    );
  },
};

/** Every column of a matrix rescaled to the columns' mean norm (Paysage's `fixed_column_norm`). */
export const fixedColumnNorm: Constraint = {
  type: 'fixedColumnNorm',
  check(shape, where) {
    if (shape.length !== 2) {
      throw new ConfigError(
        `${where}: constraint 'fixedColumnNorm': expected a matrix, got shape [${shape.join(', ')}]`,
      );
    }
  },
  apply: (x) =>
    be.tidy(() => {
      const norms = be.sqrt(be.sum(be.square(x), 0, true));
      return be.div(be.mul(x, be.mean(norms)), be.maximum(norms, 1e-30));
    }),
};

const BY_TYPE: Readonly<Record<ConstraintType, Constraint>> = { nonNegative, nonPositive, diagonal, fixedColumnNorm };

/** The constraint a `model.json` or run config names (validated by its schema first). */
export function constraintFromType(type: ConstraintType): Constraint {
  return BY_TYPE[type];
}
