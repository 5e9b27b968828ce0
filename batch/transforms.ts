/**
 * Transforms applied to data rows on the host before they become tensors: binarize (by a
 * threshold, or by sampling once), scale to [0, 1], one-hot encode, l2-normalize. Each maps a
 * row-major (rows, columns) Float32Array to a new one.
 * @packageDocumentation
 */
import { SeededRandom } from '../backends/random.js';
import { ConfigError, DataError } from '../errors/index.js';

/** A row-major matrix on the host. */
export interface HostMatrix {
  readonly rows: number;
  readonly columns: number;
  /** (rows, columns), row-major */
  readonly values: Float32Array;
}

/** Inputs with one integer class per row, e.g. images and their digits. */
export interface LabelledData {
  /** (rows, columns) */
  readonly inputs: HostMatrix;
  /** (rows) integers in [0, numClasses) */
  readonly labels: Int32Array;
  /** Number of classes. */
  readonly numClasses: number;
}

/**
 * Checks labels against the rows they belong to and returns them as integers.
 * @param labels - (rows) integer class indices @param numClasses - default: the largest label + 1
 * @throws DataError naming the first label that is not an integer in [0, numClasses), or a length mismatch
 */
export function checkLabels(
  labels: ArrayLike<number>,
  rows: number,
  numClasses: number | undefined,
  where: string,
): { readonly labels: Int32Array; readonly numClasses: number } {
  if (labels.length !== rows) throw new DataError(`${where}: ${labels.length} labels for ${rows} rows`);
  let largest = 0;
  for (let row = 0; row < labels.length; row++) largest = Math.max(largest, (labels[row] as number) || 0);
  const classes = numClasses ?? largest + 1;
  if (!Number.isInteger(classes) || classes < 2) {
    throw new ConfigError(`${where}: numClasses: expected an integer of at least 2, got ${classes}`);
  }
  const out = new Int32Array(rows);
  for (let row = 0; row < rows; row++) {
    const v = labels[row] as number;
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new DataError(`${where}: row ${row} has label ${v}, expected an integer in [0, ${classes})`);
    }
    out[row] = v;
  }
  return { labels: out, numClasses: classes };
}

/**
 * Splits a label column off a matrix read from a CSV or npy file.
 * @param matrix - (rows, columns) @param column - the label column (default the last; negative counts from the end)
 * @returns inputs (rows, columns − 1) and the labels
 */
export function splitLabelColumn(matrix: HostMatrix, column = -1, numClasses?: number): LabelledData {
  const { rows, columns, values } = matrix;
  const index = column < 0 ? columns + column : column;
  if (!Number.isInteger(index) || index < 0 || index >= columns || columns < 2) {
    throw new ConfigError(`splitLabelColumn: column ${column} is not one of the ${columns} columns`);
  }
  const inputs = new Float32Array(rows * (columns - 1));
  const labels = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = values.subarray(r * columns, (r + 1) * columns);
    labels[r] = row[index] as number;
    inputs.set(row.subarray(0, index), r * (columns - 1));
    inputs.set(row.subarray(index + 1), r * (columns - 1) + index);
  }
  return {
    inputs: { rows, columns: columns - 1, values: inputs },
    ...checkLabels(labels, rows, numClasses, `label column ${index}`),
  };
}

/** A named transform of a host matrix. */
export type Transform = (data: HostMatrix) => HostMatrix;

/** 1 where the value exceeds `threshold` (default 0.5), else 0. */
export function binarize(threshold = 0.5): Transform {
  return ({ rows, columns, values }) => ({ rows, columns, values: values.map((v) => (v > threshold ? 1 : 0)) });
}

/**
 * Each value v in [0, 1] becomes 1 with probability v, drawn once from a generator seeded with
 * `seed` (default 0), so the same data give the same 0/1 rows every time: MNIST "binarized
 * stochastically", as Salakhutdinov & Murray (2008) and the likelihood literature after them use it.
 * @throws DataError naming the first value outside [0, 1]
 */
export function stochasticBinarize(seed = 0): Transform {
  return (data) => {
    const bad = firstValueWhere(data, (v) => !(v >= 0 && v <= 1));
    if (bad) {
      throw new DataError(
        `stochasticBinarize: expected values in [0, 1] (scale first), got ${bad.value} at row ${bad.row}, column ${bad.column}`,
      );
    }
    const random = new SeededRandom(seed);
    const { rows, columns, values } = data;
    return { rows, columns, values: values.map((v) => (random.nextFloat() < v ? 1 : 0)) };
  };
}

/** Divides by `maximum` (default 255, for 8-bit images), mapping [0, maximum] to [0, 1]. */
export function scale(maximum = 255): Transform {
  if (!(maximum > 0)) throw new ConfigError(`scale: expected a positive maximum, got ${maximum}`);
  return ({ rows, columns, values }) => ({ rows, columns, values: values.map((v) => v / maximum) });
}

/** Each value (an integer category in [0, categories)) becomes a one-hot row of `categories`. (rows, 1) → (rows, categories) */
export function oneHot(categories: number): Transform {
  return ({ rows, columns, values }) => {
    if (columns !== 1)
      throw new DataError(`oneHot: expected a single column of category indices, got ${columns} columns`);
    const out = new Float32Array(rows * categories);
    values.forEach((v, r) => {
      if (!Number.isInteger(v) || v < 0 || v >= categories) {
        throw new DataError(`oneHot: row ${r} holds ${v}, expected an integer in [0, ${categories})`);
      }
      out[r * categories + v] = 1;
    });
    return { rows, columns: categories, values: out };
  };
}

/** Scales each row to unit Euclidean norm (zero rows stay zero). */
export function l2Normalize(): Transform {
  return ({ rows, columns, values }) => {
    const out = new Float32Array(values.length);
    for (let r = 0; r < rows; r++) {
      let norm = 0;
      for (let c = 0; c < columns; c++) norm += (values[r * columns + c] as number) ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let c = 0; c < columns; c++) out[r * columns + c] = (values[r * columns + c] as number) / norm;
    }
    return { rows, columns, values: out };
  };
}

/** The transforms by name, as in run configs. */
export const TRANSFORMS = {
  binarize: () => binarize(),
  stochasticBinarize: () => stochasticBinarize(),
  scale: () => scale(),
  l2Normalize: () => l2Normalize(),
  none: () => (data: HostMatrix) => data,
} as const;

/** A transform by name; `where` names the field in errors. */
export function transformByName(name: unknown, where: string): Transform {
  if (typeof name !== 'string' || !Object.hasOwn(TRANSFORMS, name)) {
    throw new ConfigError(
      `${where}: expected one of ${Object.keys(TRANSFORMS)
        .map((n) => `'${n}'`)
        .join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
  return TRANSFORMS[name as keyof typeof TRANSFORMS]();
}

/**
 * Checks every value is finite.
 * @throws DataError naming the first bad row and column
 */
export function checkFinite(data: HostMatrix, where: string): void {
  const bad = firstValueWhere(data, (v) => !Number.isFinite(v));
  if (bad) throw new DataError(`${where}: row ${bad.row}, column ${bad.column} is ${bad.value}`);
}

/** The first value of a row-major matrix that `wrong` picks, with its row and column, if any. */
function firstValueWhere(
  { columns, values }: HostMatrix,
  wrong: (value: number) => boolean,
): { row: number; column: number; value: number } | undefined {
  const index = values.findIndex(wrong);
  if (index < 0) return undefined;
  return { row: Math.floor(index / columns), column: index % columns, value: values[index] as number };
}
