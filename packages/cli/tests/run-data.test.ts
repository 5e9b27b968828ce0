/** Which rows `relief evaluate` scores: file sources honour the split the training run made. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { use } from 'relief/backends';
import { ConfigError } from 'relief/errors';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../src/commands/evaluate.js';
import { train } from '../src/commands/train.js';
import { loadRunData, loadRunLabelledData, loadTrainingData, parseRunConfig, runBatches } from '../src/config.js';

const ROWS = 50;
const COLUMNS = 6;

/** A csv whose row i holds i/64 in its first column (so a row says which it is), 0/1 elsewhere, and a label i mod 3 last. */
function writeCsv(directory: string): string {
  const lines = Array.from({ length: ROWS }, (_, i) =>
    [i / 64, ...Array.from({ length: COLUMNS - 1 }, (_, j) => (i + j) % 2), i % 3].join(','),
  );
  const path = join(directory, 'rows.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** A run config (as its JSON holds it) for a small RBM on the csv at `path`. */
function csvRunConfig(path: string, trainFraction: number) {
  return {
    seed: 7,
    backend: 'cpu',
    data: { source: 'csv', path, trainFraction },
    model: {
      layers: [
        { type: 'bernoulli', units: COLUMNS + 1 },
        { type: 'bernoulli', units: 3 },
      ],
    },
    train: { method: 'pcd', epochs: 1, batchSize: 10, optimizer: { type: 'sgd', stepsize: 0.01 } },
  };
}

function csvConfig(path: string, trainFraction: number) {
  return parseRunConfig(csvRunConfig(path, trainFraction));
}

/** The row ids (64 × the first column) of a (rows, columns) matrix. */
function rowIds(matrix: { rows: number; columns: number; values: ArrayLike<number> }): number[] {
  return Array.from({ length: matrix.rows }, (_, r) => 64 * (matrix.values[r * matrix.columns] as number));
}

describe('the rows of a file source by split', () => {
  let path = '';
  beforeAll(async () => {
    await use('cpu');
    path = writeCsv(mkdtempSync(join(tmpdir(), 'relief-split-')));
  });

  it("'test' is exactly the rows training held out, and never a training row", async () => {
    const config = csvConfig(path, 0.8);
    const trained = rowIds(runBatches(config, await loadTrainingData(config)).hostMatrix('train'));
    const test = await loadRunData(config, 'test');
    const train = await loadRunData(config, 'train');
    expect(test.data.rows).toBe(10);
    expect(train.data.rows).toBe(40);
    expect(rowIds(train.data).sort((a, b) => a - b)).toEqual([...trained].sort((a, b) => a - b));
    expect(rowIds(test.data).filter((id) => trained.includes(id))).toEqual([]);
    expect(test.description).toBe(`test: 10 held-out rows of ${path} (trainFraction 0.8, seed 7)`);
  });

  it('a limit cuts the split, never changes it', async () => {
    const config = csvConfig(path, 0.8);
    const all = rowIds((await loadRunData(config, 'test')).data);
    const limited = await loadRunData(config, 'test', { limit: 4 });
    expect(rowIds(limited.data)).toEqual(all.slice(0, 4));
  });

  it('labelled rows split the same way, labels following their rows', async () => {
    const config = csvConfig(path, 0.8);
    const labelled = await loadRunLabelledData(
      { ...config, classify: { ...config.classify, labelColumn: -1 } },
      'test',
    );
    const ids = rowIds((await loadRunData(config, 'test')).data);
    expect(rowIds(labelled.data.inputs)).toEqual(ids);
    expect(Array.from(labelled.data.labels)).toEqual(ids.map((id) => id % 3));
  });

  it("'test' without held-out rows is refused, naming the fix", async () => {
    await expect(loadRunData(csvConfig(path, 1), 'test')).rejects.toThrow(ConfigError);
    await expect(loadRunData(csvConfig(path, 1), 'test')).rejects.toThrow(/no held-out rows; use --split train/);
  });

  it('relief evaluate scores the held-out rows and says which', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'relief-split-run-'));
    const configFile = join(directory, 'config.json');
    writeFileSync(configFile, JSON.stringify(csvRunConfig(path, 0.8)));
    const out = join(directory, 'run');
    await train({ config: configFile, out, progress: false, plots: false });
    const test = await evaluate(out, { split: 'test', batches: 10 });
    expect(test.samples).toBe(10);
    expect(test.split).toMatch(/^test: 10 held-out rows of /);
    const trainRows = await evaluate(out, { split: 'train', batches: 10 });
    expect(trainRows.samples).toBe(40);
  });
});
