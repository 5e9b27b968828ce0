/**
 * Transforms applied to data rows on the host before they become tensors: binarize,
 * scale to [0, 1], one-hot encode, l2-normalize. Each maps a row-major (rows, columns)
 * Float32Array to a new one.
 * @packageDocumentation
 */
import { ConfigError, DataError } from '../errors/index.js';

/** A row-major matrix on the host. */
export interface HostMatrix {
  readonly rows: number;
  readonly columns: number;
  /** (rows, columns), row-major */
  readonly values: Float32Array;
}

/** A named transform of a host matrix. */
export type Transform = (data: HostMatrix) => HostMatrix;

/** 1 where the value exceeds `threshold` (default 0.5), else 0. */
export function binarize(threshold = 0.5): Transform {
  return ({ rows, columns, values }) => ({ rows, columns, values: values.map((v) => (v > threshold ? 1 : 0)) });
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
export function checkFinite({ columns, values }: HostMatrix, where: string): void {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new DataError(`${where}: row ${Math.floor(bad / columns)}, column ${bad % columns} is ${values[bad]}`);
  }
}
