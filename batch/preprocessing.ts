/**
 * Preprocessing fitted on training data and saved with a model (PyDeep's `preprocessing`,
 * Paysage's `preprocess`): standardize, remove the column or row means, l1-normalize,
 * rescale to [min, max], and PCA and ZCA whitening. A {@link Preprocessing} is fitted once
 * (`Preprocessing.fit(steps, data)`), maps rows forward (`transform`) and, for pictures, back
 * (`inverse`), and carries its statistics so that `saveModel` can store them beside the model
 * and `loadModel` apply them again.
 * @packageDocumentation
 */
import * as z from 'zod';
import { be } from '../backends/index.js';
import { ConfigError, DataError } from '../errors/index.js';
import { principalComponents } from '../linalg/index.js';
import { parseWith } from '../validation/index.js';
import { checkFinite, type HostMatrix } from './transforms.js';

/** The schema of one step's description, as in run configs and `model.json`. */
export const preprocessingStepSchema = z.discriminatedUnion('type', [
  /** (x − column mean) / column standard deviation (PyDeep's STANDARIZER). */
  z.strictObject({ type: z.literal('standardize') }),
  /** x − column mean (PyDeep's remove_cols_means). */
  z.strictObject({ type: z.literal('removeMean') }),
  /** x − row mean, per row (PyDeep's remove_rows_means); not inverted. */
  z.strictObject({ type: z.literal('removeRowMeans') }),
  /** x / Σ|x| per row (Paysage's l1_normalize); not inverted. */
  z.strictObject({ type: z.literal('l1Normalize') }),
  /** Maps the training data's [smallest, largest] value onto [min, max] (PyDeep's rescale_data). */
  z.strictObject({ type: z.literal('rescale'), min: z.number().default(0), max: z.number().default(1) }),
  /**
   * Projection onto the top `components` principal directions (all by default), divided by
   * √(variance + epsilon) when `whiten` (PyDeep's PCA).
   */
  z.strictObject({
    type: z.literal('pca'),
    components: z.int().min(1).optional(),
    whiten: z.boolean().default(false),
    epsilon: z.number().min(0).default(1e-5),
  }),
  /** Whitening that stays closest to the data, U diag(1/√(λ + epsilon)) Uᵀ (x − mean) (PyDeep's ZCA). */
  z.strictObject({ type: z.literal('zca'), epsilon: z.number().min(0).default(1e-5) }),
]);

/** One step's description, defaults filled in. */
export type PreprocessingStep = z.output<typeof preprocessingStepSchema>;
/** One step's description as written (optional fields may be absent). */
export type PreprocessingStepInput = z.input<typeof preprocessingStepSchema>;

/** A fitted statistic: a vector (n) or a row-major matrix (n, k), in float64. */
interface Statistic {
  readonly shape: readonly number[];
  readonly values: Float64Array;
}

/** A fitted step: its description, its statistics by name, and its maps. */
interface FittedStep {
  readonly step: PreprocessingStep;
  readonly statistics: Readonly<Record<string, Statistic>>;
  readonly inputColumns: number;
  readonly outputColumns: number;
  forward(data: HostMatrix): HostMatrix | Promise<HostMatrix>;
  backward(data: HostMatrix): HostMatrix | Promise<HostMatrix>;
}

/** Rows a product is computed in at a time, to bound the tensors it makes. */
const ROWS_PER_PRODUCT = 8192;

/**
 * A fitted chain of preprocessing steps. Rows go through the steps in order; `inverse`
 * undoes them in reverse order (l1 and row-mean normalization are not invertible and pass
 * rows through; PCA with fewer components than columns returns the projection onto them).
 */
export class Preprocessing {
  private constructor(private readonly fitted: readonly FittedStep[]) {}

  /**
   * Fits each step on the output of the steps before it.
   * @param steps - descriptions, checked by {@link preprocessingStepSchema} @param data - (rows, columns) training rows
   * @throws ConfigError for a bad description; DataError for non-finite data or too few rows
   */
  static async fit(steps: readonly PreprocessingStepInput[], data: HostMatrix): Promise<Preprocessing> {
    const parsed = parseSteps(steps, 'Preprocessing.fit: steps');
    checkFinite(data, 'Preprocessing.fit: data');
    if (data.rows < 2) throw new DataError(`Preprocessing.fit: expected at least 2 rows to fit on, got ${data.rows}`);
    const fitted: FittedStep[] = [];
    let current = data;
    for (const [i, step] of parsed.entries()) {
      // Statistics are rounded to float32 as saved, so a loaded chain maps rows exactly as this one.
      const statistics = await fitStatistics(step, current, `Preprocessing.fit: steps[${i}]`);
      const next = stepFromStatistics(step, (name) => {
        const { shape, values } = statistics[name] as Statistic;
        return { shape, values: Float64Array.from(Float32Array.from(values)) };
      });
      fitted.push(next);
      if (i < parsed.length - 1) current = await next.forward(current);
    }
    return new Preprocessing(fitted);
  }

  /**
   * A fitted chain rebuilt from saved descriptions and statistics (keys `<step>.<name>`).
   * @throws DataError naming a missing or misshapen statistic
   */
  static restore(
    steps: readonly PreprocessingStepInput[],
    statistics: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>,
    where: string,
  ): Preprocessing {
    const parsed = parseSteps(steps, `${where}: preprocessing`);
    const fitted = parsed.map((step, i) => {
      const stored = (name: string, shape: readonly number[]): Statistic => {
        const key = `${i}.${name}`;
        const tensor = statistics.get(key);
        if (tensor === undefined) throw new DataError(`${where}: preprocessing statistic '${key}' is missing`);
        if (
          tensor.shape.length !== shape.length ||
          shape.some((size, axis) => size >= 0 && tensor.shape[axis] !== size)
        ) {
          const expected = shape.map((size) => (size >= 0 ? size : 'any')).join(', ');
          throw new DataError(
            `${where}: preprocessing statistic '${key}' has shape [${tensor.shape.join(', ')}], expected [${expected}]`,
          );
        }
        const bad = tensor.data.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0)
          throw new DataError(`${where}: preprocessing statistic '${key}' is ${tensor.data[bad]} at index ${bad}`);
        return { shape: tensor.shape, values: Float64Array.from(tensor.data) };
      };
      return stepFromStatistics(step, stored);
    });
    fitted.forEach((f, i) => {
      const previous = fitted[i - 1];
      if (previous && previous.outputColumns !== f.inputColumns) {
        throw new DataError(
          `${where}: preprocessing step ${i} takes ${f.inputColumns} columns, but step ${i - 1} returns ${previous.outputColumns}`,
        );
      }
    });
    return new Preprocessing(fitted);
  }

  /** The steps' descriptions, defaults filled in (what `model.json` stores). */
  get steps(): readonly PreprocessingStep[] {
    return this.fitted.map((f) => f.step);
  }

  /** Columns the chain expects and columns it returns. */
  get inputColumns(): number {
    return (this.fitted[0] as FittedStep).inputColumns;
  }
  get outputColumns(): number {
    return (this.fitted[this.fitted.length - 1] as FittedStep).outputColumns;
  }

  /** Every fitted statistic, keyed `<step index>.<name>`, in float32 (what the saved file stores). */
  statistics(): Record<string, { readonly shape: readonly number[]; readonly data: Float32Array }> {
    return Object.fromEntries(
      this.fitted.flatMap((f, i) =>
        Object.entries(f.statistics).map(([name, s]) => [
          `${i}.${name}`,
          { shape: s.shape, data: Float32Array.from(s.values) },
        ]),
      ),
    );
  }

  /** Applies the steps to rows. @param data - (rows, inputColumns) @returns (rows, outputColumns) */
  async transform(data: HostMatrix): Promise<HostMatrix> {
    if (data.columns !== this.inputColumns) {
      throw new DataError(
        `Preprocessing.transform: expected rows of ${this.inputColumns} columns, got ${data.columns}`,
      );
    }
    let rows = data;
    for (const f of this.fitted) rows = await f.forward(rows);
    return rows;
  }

  /** Undoes the steps, for pictures. @param data - (rows, outputColumns) @returns (rows, inputColumns) */
  async inverse(data: HostMatrix): Promise<HostMatrix> {
    if (data.columns !== this.outputColumns) {
      throw new DataError(`Preprocessing.inverse: expected rows of ${this.outputColumns} columns, got ${data.columns}`);
    }
    let rows = data;
    for (const f of [...this.fitted].reverse()) rows = await f.backward(rows);
    return rows;
  }
}

function parseSteps(steps: readonly PreprocessingStepInput[], where: string): PreprocessingStep[] {
  return parseWith(z.array(preprocessingStepSchema).min(1), steps, where);
}

/** Applies `f(value, column)` to every value of a matrix. */
function mapValues(data: HostMatrix, f: (value: number, column: number) => number): HostMatrix {
  const { rows, columns, values } = data;
  return { rows, columns, values: values.map((v, i) => f(v, i % columns)) };
}

/** Applies `f(row)` (a float64 copy, changed in place) to every row. */
function mapRows(data: HostMatrix, f: (row: Float64Array) => void): HostMatrix {
  const { rows, columns, values } = data;
  const out = new Float32Array(values.length);
  const row = new Float64Array(columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) row[c] = values[r * columns + c] as number;
    f(row);
    out.set(row, r * columns);
  }
  return { rows, columns, values: out };
}

function columnMeans({ rows, columns, values }: HostMatrix): Float64Array {
  const mean = new Float64Array(columns);
  for (let i = 0; i < values.length; i++) mean[i % columns] = (mean[i % columns] as number) + (values[i] as number);
  return mean.map((m) => m / rows);
}

function columnStds(data: HostMatrix, mean: Float64Array): Float64Array {
  const variance = new Float64Array(data.columns);
  data.values.forEach((v, i) => {
    const c = i % data.columns;
    variance[c] = (variance[c] as number) + (v - (mean[c] as number)) ** 2;
  });
  return variance.map((s) => Math.sqrt(s / data.rows) || 1);
}

/** (rows, n)·(n, k) on the backend, a chunk of rows at a time; the result is float32 rows. */
async function product(data: HostMatrix, matrix: Statistic, shift: Float64Array): Promise<HostMatrix> {
  const [n, k] = matrix.shape as [number, number];
  const out = new Float32Array(data.rows * k);
  const right = be.tensor(Float32Array.from(matrix.values), [n, k]);
  for (let start = 0; start < data.rows; start += ROWS_PER_PRODUCT) {
    const count = Math.min(ROWS_PER_PRODUCT, data.rows - start);
    const rows = Float32Array.from(
      data.values.subarray(start * n, (start + count) * n),
      (v, i) => v - (shift[i % n] as number),
    );
    const result = be.tidy(() => be.matmul(be.tensor(rows, [count, n]), right));
    out.set(await be.read(result), start * k);
    be.dispose(result);
  }
  be.dispose(right);
  return { rows: data.rows, columns: k, values: out };
}

/** The covariance of the rows about `mean`, (n, n) row-major in float64, products on the backend. */
async function covariance(data: HostMatrix, mean: Float64Array): Promise<Float64Array> {
  const n = data.columns;
  const total = new Float64Array(n * n);
  for (let start = 0; start < data.rows; start += ROWS_PER_PRODUCT) {
    const count = Math.min(ROWS_PER_PRODUCT, data.rows - start);
    const rows = Float32Array.from(
      data.values.subarray(start * n, (start + count) * n),
      (v, i) => v - (mean[i % n] as number),
    );
    const part = be.tidy(() => {
      const block = be.tensor(rows, [count, n]);
      return be.matmul(block, block, { transposeA: true });
    });
    (await be.read(part)).forEach((v, i) => {
      total[i] = (total[i] as number) + v;
    });
    be.dispose(part);
  }
  return total.map((v) => v / data.rows);
}

/** A step's statistics fitted on `data`, by name (see {@link stepFromStatistics}). */
async function fitStatistics(
  step: PreprocessingStep,
  data: HostMatrix,
  where: string,
): Promise<Record<string, Statistic>> {
  const n = data.columns;
  const vector = (values: Float64Array): Statistic => ({ shape: [values.length], values });
  switch (step.type) {
    case 'standardize': {
      const mean = columnMeans(data);
      return { mean: vector(mean), std: vector(columnStds(data, mean)) };
    }
    case 'removeMean':
      return { mean: vector(columnMeans(data)) };
    case 'removeRowMeans':
    case 'l1Normalize':
      return { columns: vector(Float64Array.of(n)) };
    case 'rescale': {
      let [low, high] = [Infinity, -Infinity];
      for (const v of data.values) [low, high] = [Math.min(low, v), Math.max(high, v)];
      if (!(step.max > step.min))
        throw new ConfigError(`${where}.max: expected more than min ${step.min}, got ${step.max}`);
      return { range: vector(Float64Array.of(low, high)), columns: vector(Float64Array.of(n)) };
    }
    case 'pca':
    case 'zca': {
      const components = step.type === 'pca' ? (step.components ?? n) : n;
      if (components > n) {
        throw new ConfigError(`${where}.components: expected at most the ${n} columns of the data, got ${components}`);
      }
      const mean = columnMeans(data);
      const { directions, variances } = principalComponents(await covariance(data, mean), n, components);
      return {
        mean: vector(mean),
        basis: { shape: [n, components], values: directions },
        variances: vector(variances),
      };
    }
  }
}

/**
 * A fitted step from its statistics, fetched by name with their expected shapes (−1: any
 * size; a size another statistic fixes is asked for exactly): `standardize` mean, std (n);
 * `removeMean` mean (n); `removeRowMeans`/`l1Normalize` columns (1); `rescale` range (2),
 * columns (1); `pca`/`zca` mean (n), basis (n, k), variances (k).
 */
function stepFromStatistics(
  step: PreprocessingStep,
  get: (name: string, shape: readonly number[]) => Statistic,
): FittedStep {
  switch (step.type) {
    case 'standardize': {
      const mean = get('mean', [-1]);
      const columns = mean.values.length;
      const std = get('std', [columns]);
      return {
        step,
        statistics: { mean, std },
        inputColumns: columns,
        outputColumns: columns,
        forward: (d) => mapValues(d, (v, c) => (v - (mean.values[c] as number)) / (std.values[c] as number)),
        backward: (d) => mapValues(d, (v, c) => v * (std.values[c] as number) + (mean.values[c] as number)),
      };
    }
    case 'removeMean': {
      const mean = get('mean', [-1]);
      const columns = mean.values.length;
      return {
        step,
        statistics: { mean },
        inputColumns: columns,
        outputColumns: columns,
        forward: (d) => mapValues(d, (v, c) => v - (mean.values[c] as number)),
        backward: (d) => mapValues(d, (v, c) => v + (mean.values[c] as number)),
      };
    }
    case 'removeRowMeans':
    case 'l1Normalize': {
      const columnCount = get('columns', [1]);
      const columns = columnCount.values[0] as number;
      const normalize =
        step.type === 'l1Normalize'
          ? (row: Float64Array) => {
              const norm = row.reduce((a, v) => a + Math.abs(v), 0) || 1;
              row.forEach((v, c) => {
                row[c] = v / norm;
              });
            }
          : (row: Float64Array) => {
              const mean = row.reduce((a, v) => a + v, 0) / row.length;
              row.forEach((v, c) => {
                row[c] = v - mean;
              });
            };
      return {
        step,
        statistics: { columns: columnCount },
        inputColumns: columns,
        outputColumns: columns,
        forward: (d) => mapRows(d, normalize),
        backward: (d) => d,
      };
    }
    case 'rescale': {
      const [range, columnCount] = [get('range', [2]), get('columns', [1])];
      const [low, high] = [range.values[0] as number, range.values[1] as number];
      const factor = (step.max - step.min) / (high - low || 1);
      const columns = columnCount.values[0] as number;
      return {
        step,
        statistics: { range, columns: columnCount },
        inputColumns: columns,
        outputColumns: columns,
        forward: (d) => mapValues(d, (v) => step.min + (v - low) * factor),
        backward: (d) => mapValues(d, (v) => low + (v - step.min) / factor),
      };
    }
    case 'pca':
    case 'zca': {
      const mean = get('mean', [-1]);
      const basis = get('basis', [mean.values.length, -1]);
      const [n, k] = basis.shape as [number, number];
      const variances = get('variances', [k]);
      const scales = variances.values.map((v) =>
        step.type === 'zca' || step.whiten ? 1 / Math.sqrt(v + step.epsilon) : 1,
      );
      // Forward: (x − mean)·B·diag(scales) [·Bᵀ for ZCA]; backward: y [·B] ·diag(1/scales)·Bᵀ + mean.
      const scaledBasis = basis.values.map((v, i) => v * (scales[i % k] as number));
      const forwardMatrix: Statistic =
        step.type === 'zca'
          ? { shape: [n, n], values: gram(scaledBasis, basis.values, n, k) }
          : { shape: [n, k], values: scaledBasis };
      const unscaledBasis = basis.values.map((v, i) => v / (scales[i % k] as number));
      const backwardMatrix: Statistic =
        step.type === 'zca'
          ? { shape: [n, n], values: gram(unscaledBasis, basis.values, n, k) }
          : { shape: [k, n], values: transpose(unscaledBasis, n, k) };
      const zeros = new Float64Array(Math.max(n, k));
      return {
        step,
        statistics: { mean, basis, variances },
        inputColumns: n,
        outputColumns: forwardMatrix.shape[1] as number,
        forward: (d) => product(d, forwardMatrix, mean.values),
        backward: async (d) =>
          mapValues(await product(d, backwardMatrix, zeros), (v, c) => v + (mean.values[c] as number)),
      };
    }
  }
}

/** A·Bᵀ for two row-major (n, k) arrays: (n, n). */
function gram(a: Float64Array, b: Float64Array, n: number, k: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let c = 0; c < k; c++) total += (a[i * k + c] as number) * (b[j * k + c] as number);
      out[i * n + j] = total;
    }
  }
  return out;
}

/** The transpose of a row-major (n, k) array: (k, n). */
function transpose(a: Float64Array, n: number, k: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[c * n + i] = a[i * k + c] as number;
  return out;
}
