/** In-memory batches and transforms. */
import { describe, expect, it } from 'vitest';
import { be, use } from '../../backends/index.js';
import {
  binarize,
  InMemoryBatch,
  l2Normalize,
  oneHot,
  scale,
  stochasticBinarize,
  transformByName,
} from '../../batch/index.js';
import { ConfigError, DataError } from '../../errors/index.js';

const matrix = (rows: number, columns: number) => ({
  rows,
  columns,
  values: Float32Array.from({ length: rows * columns }, (_, i) => i),
});

async function collect(batch: InMemoryBatch, split: 'train' | 'validate'): Promise<number[][]> {
  const out: number[][] = [];
  for await (const t of batch.batches(split)) {
    const [rows = 0, columns = 0] = be.shape(t);
    const values = await be.read(t);
    for (let r = 0; r < rows; r++) out.push(Array.from(values.subarray(r * columns, (r + 1) * columns)));
    be.dispose(t);
  }
  return out;
}

describe('InMemoryBatch', () => {
  it('splits by the train fraction, batches every row once per epoch, reshuffles each epoch', async () => {
    await use('cpu');
    const batch = new InMemoryBatch(matrix(50, 2), { batchSize: 8, trainFraction: 0.8, seed: 1 });
    expect([batch.size('train'), batch.size('validate')]).toEqual([40, 10]);
    const [first, second] = [await collect(batch, 'train'), await collect(batch, 'train')];
    const validation = await collect(batch, 'validate');
    const key = (rows: number[][]) => rows.map((r) => r[0]).sort((a, b) => (a as number) - (b as number));
    expect(key(first)).toEqual(key(second));
    expect(first).not.toEqual(second);
    expect(new Set([...key(first), ...key(validation)]).size).toBe(50);
    expect(await collect(batch, 'validate')).toEqual(validation);
  });

  it('is deterministic for a seed and different for another', async () => {
    const run = async (seed: number) => collect(new InMemoryBatch(matrix(30, 1), { batchSize: 7, seed }), 'train');
    expect(await run(4)).toEqual(await run(4));
    expect(await run(4)).not.toEqual(await run(5));
  });

  it('rejects NaN and Inf naming the row and column, and bad options', () => {
    const data = matrix(4, 3);
    data.values[7] = Number.POSITIVE_INFINITY;
    expect(() => new InMemoryBatch(data)).toThrow(DataError);
    expect(() => new InMemoryBatch(data)).toThrow('data: row 2, column 1 is Infinity');
    expect(() => new InMemoryBatch(matrix(4, 3), { batchSize: 0 })).toThrow(ConfigError);
    expect(() => new InMemoryBatch(matrix(4, 3), { trainFraction: 1.5 })).toThrow(/trainFraction/);
    expect(() => new InMemoryBatch({ rows: 4, columns: 3, values: new Float32Array(5) })).toThrow(
      /5 values do not fill 4 rows × 3 columns/,
    );
  });
});

describe('transforms', () => {
  const data = { rows: 2, columns: 2, values: Float32Array.from([0, 255, 128, 3]) };
  it('binarize, scale, one-hot and l2-normalize', () => {
    expect(Array.from(scale()(data).values)).toEqual([0, 1, 128 / 255, 3 / 255].map(Math.fround));
    expect(Array.from(binarize()(scale()(data)).values)).toEqual([0, 1, 1, 0]);
    expect(Array.from(oneHot(3)({ rows: 2, columns: 1, values: Float32Array.from([2, 0]) }).values)).toEqual([
      0, 0, 1, 1, 0, 0,
    ]);
    const unit = l2Normalize()({ rows: 1, columns: 2, values: Float32Array.from([3, 4]) });
    expect(Array.from(unit.values)).toEqual([0.6, 0.8].map(Math.fround));
    expect(() => oneHot(2)({ rows: 1, columns: 1, values: Float32Array.from([2]) })).toThrow(/row 0 holds 2/);
    expect(() => transformByName('sharpen', 'data.transform')).toThrow(
      `data.transform: expected one of 'binarize', 'stochasticBinarize', 'scale', 'l2Normalize', 'none', got "sharpen"`,
    );
  });

  it('stochasticBinarize draws each value as a Bernoulli variable once, the same way every time', () => {
    const levels = [0, 0.1, 0.5, 0.9, 1];
    const rows = 20000;
    const grey = {
      rows,
      columns: levels.length,
      values: Float32Array.from({ length: rows * levels.length }, (_, i) => levels[i % levels.length] as number),
    };
    const drawn = stochasticBinarize()(grey).values;
    levels.forEach((p, c) => {
      let ones = 0;
      for (let r = 0; r < rows; r++) ones += drawn[r * levels.length + c] as number;
      // Within 5 standard errors of the value's own probability; 0 and 1 exactly.
      expect(Math.abs(ones / rows - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / rows));
    });
    expect(Array.from(stochasticBinarize()(grey).values)).toEqual(Array.from(drawn));
    expect(Array.from(stochasticBinarize(1)(grey).values)).not.toEqual(Array.from(drawn));
    expect(Array.from(transformByName('stochasticBinarize', 'data.transform')(grey).values)).toEqual(Array.from(drawn));
    expect(() => stochasticBinarize()(data)).toThrow(
      'stochasticBinarize: expected values in [0, 1] (scale first), got 255 at row 0, column 1',
    );
  });
});
