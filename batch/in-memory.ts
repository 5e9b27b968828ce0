import { be, SeededRandom, type Tensor } from '../backends/index.js';
import { ConfigError, DataError } from '../errors/index.js';
import { checkOptions } from '../validation/index.js';
import { checkFinite, type HostMatrix } from './transforms.js';

/** The two splits of a data set. */
export type Split = 'train' | 'validate';

/**
 * A source of minibatches for training: each call to {@link BatchSource.batches} walks one
 * epoch of a split. Each yielded tensor (batchSize, numVisible) belongs to the consumer,
 * who disposes it.
 */
export interface BatchSource {
  /** Columns of every batch. */
  readonly numVisible: number;
  /** Rows per batch (the last batch of an epoch may be smaller). */
  readonly batchSize: number;
  /** Rows in a split. */
  size(split: Split): number;
  /** One epoch of batches of a split; the training split is reshuffled every epoch. */
  batches(split: Split): AsyncIterable<Tensor>;
}

/** Options of {@link InMemoryBatch}. */
export interface InMemoryBatchOptions {
  /** Rows per batch (default 100). */
  readonly batchSize?: number;
  /** Fraction of the rows used for training, the rest for validation (default 0.9). */
  readonly trainFraction?: number;
  /** Seed of the split and of the per-epoch shuffles (default 0). */
  readonly seed?: number;
  /** Shuffle the training rows every epoch (default true). */
  readonly shuffle?: boolean;
}

/**
 * Batches of a data set held in host memory: a seeded random train/validate split, and
 * a fresh seeded shuffle of the training rows every epoch. Rows become tensors one batch at
 * a time, on the backend in use.
 */
export class InMemoryBatch implements BatchSource {
  readonly numVisible: number;
  readonly batchSize: number;
  private readonly values: Float32Array;
  private readonly splits: Record<Split, Int32Array>;
  private readonly random: SeededRandom;
  private readonly shuffle: boolean;

  /**
   * @param data - (rows, columns) on the host; checked for NaN/Inf
   * @throws DataError for non-finite values or too few rows for the split
   */
  constructor(data: HostMatrix, options: InMemoryBatchOptions = {}) {
    checkOptions(options, { batchSize: true, trainFraction: true, seed: true, shuffle: true }, 'InMemoryBatch');
    const { batchSize = 100, trainFraction = 0.9, seed = 0, shuffle = true } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ConfigError(`batchSize: expected a positive integer, got ${batchSize}`);
    }
    if (!(trainFraction > 0 && trainFraction <= 1)) {
      throw new ConfigError(`trainFraction: expected a number in (0, 1], got ${trainFraction}`);
    }
    if (data.values.length !== data.rows * data.columns) {
      throw new DataError(`data: ${data.values.length} values do not fill ${data.rows} rows × ${data.columns} columns`);
    }
    checkFinite(data, 'data');
    be.checkMemory(
      [{ what: `a minibatch of ${batchSize} rows`, shape: [batchSize, data.columns] }],
      'InMemoryBatch',
      'use a smaller batchSize, stream the data from disk (StreamingIdxBatch in @relief/data), or a backend with more memory',
    );
    this.numVisible = data.columns;
    this.batchSize = batchSize;
    this.values = data.values;
    this.shuffle = shuffle;
    this.random = new SeededRandom(seed);
    const order = this.permutation(data.rows);
    const trainRows = Math.round(trainFraction * data.rows);
    if (trainRows < 1)
      throw new DataError(`data: ${data.rows} rows leave none for training at trainFraction ${trainFraction}`);
    this.splits = { train: order.slice(0, trainRows), validate: order.slice(trainRows) };
  }

  size(split: Split): number {
    return this.splits[split].length;
  }

  /** All rows of a split as one host matrix (in split order). */
  hostMatrix(split: Split): HostMatrix {
    const rows = this.splits[split];
    return { rows: rows.length, columns: this.numVisible, values: this.gatherRows(rows) };
  }

  async *batches(split: Split): AsyncIterable<Tensor> {
    const rows = split === 'train' && this.shuffle ? this.shuffled(this.splits.train) : this.splits[split];
    for (let start = 0; start < rows.length; start += this.batchSize) {
      const picked = rows.subarray(start, Math.min(start + this.batchSize, rows.length));
      yield be.tensor(this.gatherRows(picked), [picked.length, this.numVisible]);
    }
  }

  private gatherRows(rows: Int32Array): Float32Array {
    const n = this.numVisible;
    const out = new Float32Array(rows.length * n);
    rows.forEach((row, i) => {
      out.set(this.values.subarray(row * n, (row + 1) * n), i * n);
    });
    return out;
  }

  private permutation(count: number): Int32Array {
    return this.shuffled(Int32Array.from({ length: count }, (_, i) => i));
  }

  /** A Fisher–Yates shuffle of a copy. */
  private shuffled(rows: Int32Array): Int32Array {
    const out = Int32Array.from(rows);
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.random.nextFloat() * (i + 1));
      [out[i], out[j]] = [out[j] as number, out[i] as number];
    }
    return out;
  }
}

/** Shorthand for `new InMemoryBatch(data, options)`. */
export function inMemoryBatch(data: HostMatrix, options: InMemoryBatchOptions = {}): InMemoryBatch {
  return new InMemoryBatch(data, options);
}
