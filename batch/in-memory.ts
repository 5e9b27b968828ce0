import { be, type RandomWords, SeededRandom, type Tensor } from '../backends/index.js';
import { ConfigError, DataError } from '../errors/index.js';
import { checkOptions } from '../validation/index.js';
import { checkFinite, checkLabels, type HostMatrix } from './transforms.js';

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
  /** The shuffling generator's state (for a checkpoint); undefined where the source does not shuffle. */
  shuffleState?(): RandomWords | undefined;
  /** Continues shuffling from a {@link shuffleState} (e.g. when a run resumes). */
  setShuffleState?(words: RandomWords): void;
}

/** One minibatch of labelled data; the consumer owns (and disposes) both tensors. */
export interface LabelledBatch {
  /** (batch, numVisible) */
  readonly inputs: Tensor;
  /** (batch, numClasses), one-hot */
  readonly targets: Tensor;
  /** (batch) the class of each row, on the host */
  readonly labels: Int32Array;
}

/** A {@link BatchSource} whose rows carry a class each, through the same split and shuffles. */
export interface LabelledBatchSource extends BatchSource {
  /** Number of classes (columns of `targets`). */
  readonly numClasses: number;
  /** One epoch of labelled batches of a split; the training split is reshuffled every epoch. */
  labelledBatches(split: Split): AsyncIterable<LabelledBatch>;
}

/** Whether a batch source carries labels. */
export function isLabelled(source: BatchSource): source is LabelledBatchSource {
  const candidate = source as Partial<LabelledBatchSource>;
  return typeof candidate.labelledBatches === 'function' && (candidate.numClasses ?? 0) > 0;
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
  /** One integer class per row, in [0, numClasses): makes the source a {@link LabelledBatchSource}. */
  readonly labels?: ArrayLike<number>;
  /** Number of classes (default: the largest label + 1). */
  readonly numClasses?: number;
}

/**
 * Batches of a data set held in host memory: a seeded random train/validate split, and
 * a fresh seeded shuffle of the training rows every epoch. Rows become tensors one batch at
 * a time, on the backend in use.
 */
export class InMemoryBatch implements BatchSource {
  readonly numVisible: number;
  /** Number of classes, 0 without labels. */
  readonly numClasses: number;
  private readonly labels: Int32Array | undefined;
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
    checkOptions(
      options,
      { batchSize: true, trainFraction: true, seed: true, shuffle: true, labels: true, numClasses: true },
      'InMemoryBatch',
    );
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
    const labelled =
      options.labels === undefined ? undefined : checkLabels(options.labels, data.rows, options.numClasses, 'labels');
    this.labels = labelled?.labels;
    this.numClasses = labelled?.numClasses ?? 0;
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

  /** The labels of a split, in split order (as {@link hostMatrix}). @throws ConfigError without labels */
  hostLabels(split: Split): Int32Array {
    const labels = this.requireLabels();
    return Int32Array.from(this.splits[split], (row) => labels[row] as number);
  }

  shuffleState(): RandomWords {
    return this.random.exportState();
  }

  setShuffleState(words: RandomWords): void {
    this.random.importState(words);
  }

  async *batches(split: Split): AsyncIterable<Tensor> {
    for (const picked of this.epochRows(split))
      yield be.tensor(this.gatherRows(picked), [picked.length, this.numVisible]);
  }

  /** One epoch of labelled batches; available when labels were given (then this is a {@link LabelledBatchSource}). */
  async *labelledBatches(split: Split): AsyncIterable<LabelledBatch> {
    const all = this.requireLabels();
    for (const picked of this.epochRows(split)) {
      const labels = Int32Array.from(picked, (row) => all[row] as number);
      const targets = new Float32Array(picked.length * this.numClasses);
      labels.forEach((label, i) => {
        targets[i * this.numClasses + label] = 1;
      });
      yield {
        inputs: be.tensor(this.gatherRows(picked), [picked.length, this.numVisible]),
        targets: be.tensor(targets, [picked.length, this.numClasses]),
        labels,
      };
    }
  }

  /** The row indices of each batch of one epoch of a split. */
  private *epochRows(split: Split): Iterable<Int32Array> {
    const rows = split === 'train' && this.shuffle ? this.shuffled(this.splits.train) : this.splits[split];
    for (let start = 0; start < rows.length; start += this.batchSize) {
      yield rows.subarray(start, Math.min(start + this.batchSize, rows.length));
    }
  }

  private requireLabels(): Int32Array {
    if (this.labels === undefined) {
      throw new ConfigError('InMemoryBatch: this source has no labels; pass { labels } to the constructor');
    }
    return this.labels;
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
