/**
 * Batches streamed from a raw (uncompressed) uint8 IDX file too large for memory: rows are
 * read a chunk at a time; the first `trainFraction` of the rows train, the rest validate;
 * each training epoch visits the chunks in a seeded random order and shuffles rows within a chunk.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { be, type RandomWords, SeededRandom, type Tensor } from 'relief/backends';
import type { BatchSource, Split, Transform } from 'relief/batch';
import { checkFinite } from 'relief/batch';
import { ConfigError, DataError } from 'relief/errors';
import { isGzip } from './idx.js';

/** Options of {@link StreamingIdxBatch}. */
export interface StreamingOptions {
  readonly batchSize?: number;
  readonly trainFraction?: number;
  /** Rows read per chunk (default 1000). */
  readonly chunkRows?: number;
  readonly seed?: number;
  /** Applied to each chunk (e.g. scale then binarize). */
  readonly transform?: Transform;
}

/** A {@link BatchSource} over a raw uint8 IDX file, read lazily. */
export class StreamingIdxBatch implements BatchSource {
  readonly numVisible: number;
  readonly batchSize: number;
  private readonly rows: number;
  private readonly headerBytes: number;
  private readonly trainRows: number;
  private readonly chunkRows: number;
  private readonly random: SeededRandom;
  private readonly transform: Transform;

  /** @throws DataError for gzip, non-uint8 or truncated files */
  constructor(
    readonly path: string,
    options: StreamingOptions = {},
  ) {
    const { batchSize = 100, trainFraction = 0.9, chunkRows = 1000, seed = 0 } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new ConfigError(`batchSize: expected a positive integer, got ${batchSize}`);
    const header = new Uint8Array(4 + 4 * 4);
    const file = this.open();
    let size: number;
    try {
      readSync(file, header, 0, header.length, 0);
      size = fstatSync(file).size;
    } finally {
      closeSync(file);
    }
    if (isGzip(header)) throw new DataError(`${path}: streaming needs an uncompressed IDX file (gunzip it first)`);
    if (header[0] !== 0 || header[1] !== 0 || header[2] !== 0x08) {
      throw new DataError(`${path}: streaming reads uint8 IDX files (magic 00 00 08 ..)`);
    }
    const rank = header[3] as number;
    const view = new DataView(header.buffer);
    const dimensions = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
    this.headerBytes = 4 + 4 * rank;
    this.rows = dimensions[0] as number;
    this.numVisible = dimensions.slice(1).reduce((a, b) => a * b, 1);
    if (size !== this.headerBytes + this.rows * this.numVisible) {
      throw new DataError(
        `${path}: dimensions [${dimensions.join(', ')}] need ${this.headerBytes + this.rows * this.numVisible} bytes, the file has ${size}`,
      );
    }
    this.batchSize = batchSize;
    this.trainRows = Math.round(trainFraction * this.rows);
    this.chunkRows = chunkRows;
    this.random = new SeededRandom(seed);
    this.transform = options.transform ?? ((data) => data);
  }

  size(split: Split): number {
    return split === 'train' ? this.trainRows : this.rows - this.trainRows;
  }

  shuffleState(): RandomWords {
    return this.random.exportState();
  }

  setShuffleState(words: RandomWords): void {
    this.random.importState(words);
  }

  async *batches(split: Split): AsyncIterable<Tensor> {
    const [first, end] = split === 'train' ? [0, this.trainRows] : [this.trainRows, this.rows];
    const starts: number[] = [];
    for (let start = first; start < end; start += this.chunkRows) starts.push(start);
    if (split === 'train') this.shuffle(starts);
    const file = this.open();
    try {
      for (const start of starts) {
        const count = Math.min(this.chunkRows, end - start);
        const raw = new Uint8Array(count * this.numVisible);
        readSync(file, raw, 0, raw.length, this.headerBytes + start * this.numVisible);
        const chunk = this.transform({ rows: count, columns: this.numVisible, values: Float32Array.from(raw) });
        checkFinite(chunk, `${this.path} rows ${start}–${start + count - 1}`);
        const order = Array.from({ length: count }, (_, i) => i);
        if (split === 'train') this.shuffle(order);
        for (let b = 0; b < count; b += this.batchSize) {
          const picked = order.slice(b, b + this.batchSize);
          const values = new Float32Array(picked.length * this.numVisible);
          picked.forEach((row, i) => {
            values.set(chunk.values.subarray(row * this.numVisible, (row + 1) * this.numVisible), i * this.numVisible);
          });
          yield be.tensor(values, [picked.length, this.numVisible]);
        }
      }
    } finally {
      closeSync(file);
    }
  }

  private open(): number {
    try {
      return openSync(this.path, 'r');
    } catch (cause) {
      throw new DataError(
        `${this.path}: cannot open (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`,
        { cause },
      );
    }
  }

  private shuffle<T>(items: T[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.random.nextFloat() * (i + 1));
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
  }
}
