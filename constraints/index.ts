/**
 * Parameter constraints, as in Paysage: each maps a parameter onto its allowed set after every
 * optimizer step. Attach them with `weights.addConstraint({ matrix: constraints.nonNegative })`;
 * `model.json` saves them by name.
 * @packageDocumentation
 * @module relief/constraints
 */
import * as z from 'zod';
import { be, type Shape, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';

/** The constraints by name, as saved in `model.json`. */
export const CONSTRAINT_TYPES = ['nonNegative', 'nonPositive', 'diagonal', 'fixedColumnNorm'] as const;
/** A constraint's name. */
export type ConstraintType = (typeof CONSTRAINT_TYPES)[number];

/** The schema of a saved constraint: a name, or `{ type: 'tiedChannels', channels }`. */
export const constraintConfigSchema = z.union([
  z.enum(CONSTRAINT_TYPES),
  z.strictObject({ type: z.literal('tiedChannels'), channels: z.int().min(1) }),
]);

/** A constraint as `model.json` and run configs hold it. */
export type ConstraintConfig = z.output<typeof constraintConfigSchema>;

/** A projection of a parameter onto its allowed set. */
export interface Constraint {
  readonly type: ConstraintType | 'tiedChannels';
  /** What `model.json` saves. */
  readonly config: ConstraintConfig;
  /** @throws ConfigError when a parameter of this shape cannot take the constraint @param where - names the parameter */
  check(shape: Shape, where: string): void;
  /** The parameter moved into the allowed set. @param parameter - any shape the check allows @returns the same shape */
  apply(parameter: Tensor): Tensor;
}

const anyShape = (): void => {};

/** Negative entries set to 0 (Paysage's `non_negative`). */
export const nonNegative: Constraint = {
  type: 'nonNegative',
  config: 'nonNegative',
  check: anyShape,
  apply: (x) => be.maximum(x, 0),
};

/** Positive entries set to 0 (Paysage's `non_positive`). */
export const nonPositive: Constraint = {
  type: 'nonPositive',
  config: 'nonPositive',
  check: anyShape,
  apply: (x) => be.minimum(x, 0),
};

/** Off-diagonal entries of a square matrix set to 0 (Paysage's `diagonal`). */
export const diagonal: Constraint = {
  type: 'diagonal',
  config: 'diagonal',
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
  config: 'fixedColumnNorm',
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

/**
 * Biases shared within each channel (Lee et al. 2009; Learnergy's ConvRBM and ConvDBN): a
 * vector of `channels` equal consecutive blocks — a convolutional layer's units, channel-major
 * — is held at each block's mean. A projected step moves a block by the mean of its units'
 * gradients, 1/(units per channel) of the tied parameter's gradient (Learnergy's step).
 * @param channels - blocks of the vector (filters of the maps, or channels of the images)
 */
export function tiedChannels(channels: number): Constraint {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new ConfigError(`tiedChannels: channels: expected an integer ≥ 1, got ${channels}`);
  }
  return {
    type: 'tiedChannels',
    config: { type: 'tiedChannels', channels },
    check(shape, where) {
      if (shape.length !== 1 || (shape[0] as number) % channels !== 0) {
        throw new ConfigError(
          `${where}: constraint 'tiedChannels': expected a vector of ${channels} equal blocks, got shape [${shape.join(', ')}]`,
        );
      }
    },
    apply: (x) =>
      be.tidy(() => {
        const units = be.shape(x)[0] as number;
        const blocks = be.reshape(x, [channels, units / channels]);
        return be.reshape(be.add(be.mul(blocks, 0), be.mean(blocks, 1, true)), [units]);
      }),
  };
}

const BY_TYPE: Readonly<Record<ConstraintType, Constraint>> = { nonNegative, nonPositive, diagonal, fixedColumnNorm };

/** The constraint a `model.json` or run config describes (validated by its schema first). */
export function constraintFromConfig(config: ConstraintConfig): Constraint {
  return typeof config === 'string' ? BY_TYPE[config] : tiedChannels(config.channels);
}
