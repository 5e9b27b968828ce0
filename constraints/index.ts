/**
 * Parameter constraints, as in Paysage: each maps a parameter onto its allowed set after every
 * optimizer step. Attach them with `weights.addConstraint({ matrix: constraints.nonNegative })`;
 * `model.json` saves them by name.
 * @packageDocumentation
 * @module relief/constraints
 */
import * as z from 'zod';
import { be, type Shape, type Tensor } from '../backends/index.js';
import { ConfigError, formatShape } from '../errors/index.js';

/** The constraints by name, as saved in `model.json`. */
export const CONSTRAINT_TYPES = ['nonNegative', 'nonPositive', 'diagonal', 'fixedColumnNorm'] as const;
/** A constraint's name. */
export type ConstraintType = (typeof CONSTRAINT_TYPES)[number];

/**
 * The schema of a saved constraint: a name, `{ type: 'tiedChannels', channels }`,
 * `{ type: 'zeroRow' | 'zeroColumn', index }` or `{ type: 'zeroMask', mask }` (rows of 0s and 1s).
 */
export const constraintConfigSchema = z.union([
  z.enum(CONSTRAINT_TYPES),
  z.strictObject({ type: z.literal('tiedChannels'), channels: z.int().min(1) }),
  z.strictObject({ type: z.enum(['zeroRow', 'zeroColumn']), index: z.int() }),
  z.strictObject({ type: z.literal('zeroMask'), mask: z.array(z.array(z.union([z.literal(0), z.literal(1)]))) }),
]);

/** A constraint as `model.json` and run configs hold it. */
export type ConstraintConfig = z.output<typeof constraintConfigSchema>;

/** A projection of a parameter onto its allowed set. */
export interface Constraint {
  readonly type: ConstraintType | 'tiedChannels' | 'zeroRow' | 'zeroColumn' | 'zeroMask';
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

/**
 * A matrix with a 1 where `keep` says so and a 0 elsewhere, for zeroing entries by a product.
 * @returns (rows, columns)
 */
function keepMask(rows: number, columns: number, keep: (row: number, column: number) => boolean): Tensor {
  return be.tensor(
    Float32Array.from({ length: rows * columns }, (_, i) => (keep(Math.floor(i / columns), i % columns) ? 1 : 0)),
    [rows, columns],
  );
}

/** Where `index` points along an axis of `size` entries, counting from the end when negative (as Python does). */
function fromEnd(index: number, size: number): number {
  return index < 0 ? size + index : index;
}

/** One row (axis 0) or one column (axis 1) of a matrix held at 0. */
function zeroLine(type: 'zeroRow' | 'zeroColumn', index: number): Constraint {
  if (!Number.isInteger(index)) throw new ConfigError(`${type}: index: expected an integer, got ${index}`);
  const axis = type === 'zeroRow' ? 0 : 1;
  return {
    type,
    config: { type, index },
    check(shape, where) {
      if (shape.length !== 2) {
        throw new ConfigError(`${where}: constraint '${type}': expected a matrix, got shape ${formatShape(shape)}`);
      }
      const size = shape[axis] as number;
      if (index < -size || index >= size) {
        throw new ConfigError(
          `${where}: constraint '${type}': expected a ${axis === 0 ? 'row' : 'column'} index in [${-size}, ${size - 1}] for shape ${formatShape(shape)}, got ${index}`,
        );
      }
    },
    apply: (x) =>
      be.tidy(() => {
        const [rows, columns] = be.shape(x) as [number, number];
        const line = fromEnd(index, axis === 0 ? rows : columns);
        return be.mul(
          x,
          keepMask(rows, columns, (r, c) => (axis === 0 ? r : c) !== line),
        );
      }),
  };
}

/**
 * Every entry of one row of a matrix set to 0 (Paysage's `zero_row`); a negative index counts
 * from the last row, as Paysage's `tensor[index, :] = 0` does.
 * @param index - the row, in [−rows, rows) of the (rows, columns) parameter
 */
export function zeroRow(index: number): Constraint {
  return zeroLine('zeroRow', index);
}

/**
 * Every entry of one column of a matrix set to 0 (Paysage's `zero_column`); a negative index
 * counts from the last column, as Paysage's `tensor[:, index] = 0` does.
 * @param index - the column, in [−columns, columns) of the (rows, columns) parameter
 */
export function zeroColumn(index: number): Constraint {
  return zeroLine('zeroColumn', index);
}

/**
 * The entries of a matrix where `mask` holds a 1 set to 0, the others kept (Paysage's
 * `zero_mask`, whose mask is also 1 where the entry is zeroed).
 * @param mask - (rows, columns) of 0s and 1s, the shape of the constrained matrix
 */
export function zeroMask(mask: readonly (readonly number[])[]): Constraint {
  const rows = mask.length;
  const columns = mask[0]?.length ?? 0;
  mask.forEach((row, r) => {
    if (row.length !== columns) {
      throw new ConfigError(
        `zeroMask: mask: expected ${columns} entries in every row (as row 0), got ${row.length} in row ${r}`,
      );
    }
    const bad = row.findIndex((v) => v !== 0 && v !== 1);
    if (bad >= 0) throw new ConfigError(`zeroMask: mask[${r}][${bad}]: expected 0 or 1, got ${row[bad]}`);
  });
  const saved = mask.map((row) => [...row] as (0 | 1)[]);
  return {
    type: 'zeroMask',
    config: { type: 'zeroMask', mask: saved },
    check(shape, where) {
      if (shape.length !== 2 || shape[0] !== rows || shape[1] !== columns) {
        throw new ConfigError(
          `${where}: constraint 'zeroMask': expected a parameter of the mask's shape ${formatShape([rows, columns])}, got shape ${formatShape(shape)}`,
        );
      }
    },
    apply: (x) =>
      be.tidy(() =>
        be.mul(
          x,
          keepMask(rows, columns, (r, c) => saved[r]?.[c] !== 1),
        ),
      ),
  };
}

const BY_TYPE: Readonly<Record<ConstraintType, Constraint>> = { nonNegative, nonPositive, diagonal, fixedColumnNorm };

/** The constraint a `model.json` or run config describes (validated by its schema first). */
export function constraintFromConfig(config: ConstraintConfig): Constraint {
  if (typeof config === 'string') return BY_TYPE[config];
  switch (config.type) {
    case 'tiedChannels':
      return tiedChannels(config.channels);
    case 'zeroRow':
      return zeroRow(config.index);
    case 'zeroColumn':
      return zeroColumn(config.index);
    case 'zeroMask':
      return zeroMask(config.mask);
  }
}
