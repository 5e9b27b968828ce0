/** `relief evaluate --data FILE`: a saved model scored on a file's rows, with or without a run config. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { use } from 'relief/backends';
import { ConfigError, DataError } from 'relief/errors';
import { BernoulliLayer } from 'relief/layers';
import { BoltzmannMachine, saveModel } from 'relief/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../src/commands/evaluate.js';
import { train } from '../src/commands/train.js';
import { dataFileFormat, loadFileRows } from '../src/config.js';

const COLUMNS = 6;

/** A csv of `rows` rows of 0/1 values, `COLUMNS` each. */
function writeCsv(directory: string, rows: number): string {
  const lines = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: COLUMNS }, (_, j) => (i + j) % 2).join(','),
  );
  const path = join(directory, 'rows.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('relief evaluate --data', () => {
  let directory = '';
  let csv = '';
  let scripted = '';
  beforeAll(async () => {
    await use('cpu');
    directory = mkdtempSync(join(tmpdir(), 'relief-evaluate-data-'));
    csv = writeCsv(directory, 40);
    scripted = join(directory, 'scripted');
    const model = new BoltzmannMachine([new BernoulliLayer(COLUMNS), new BernoulliLayer(3)]);
    await saveModel(model, scripted);
    model.dispose();
  });

  it('scores every row of the file for a model saved by a script, and says which rows', async () => {
    const result = await evaluate(scripted, { data: csv, batches: 2, seed: 1, ais: 50, reverseAis: 50 });
    expect(result.split).toBe(`all 40 rows of ${csv}`);
    expect(result.samples).toBe(40);
    expect(Number.isFinite(result.ReconstructionError)).toBe(true);
    expect(result.LogLikelihood).toBeCloseTo(-(result.MeanFreeEnergy as number) - (result.LogZ as number), 6);
    expect(Number.isFinite(result.ReverseLogLikelihood)).toBe(true);
  });

  it('--limit cuts the rows and the description says so', async () => {
    const result = await evaluate(scripted, { data: csv, limit: 15, batches: 1 });
    expect(result.samples).toBe(15);
    expect(result.split).toBe(`the first 15 of 40 rows of ${csv}`);
  });

  it('a model without a run config and without --data names --data FILE as the fix', async () => {
    await expect(evaluate(scripted, { batches: 1 })).rejects.toThrow(ConfigError);
    await expect(evaluate(scripted, { batches: 1 })).rejects.toThrow(/no run config.*pass --data FILE/);
  });

  it('refuses --split with --data, and a file whose columns do not fit the model', async () => {
    await expect(evaluate(scripted, { data: csv, split: 'test', batches: 1 })).rejects.toThrow(/drop --split/);
    const wide = join(directory, 'wide.csv');
    writeFileSync(wide, '0,1,0,1,0,1,1\n1,0,1,0,1,0,0\n');
    await expect(evaluate(scripted, { data: wide, batches: 1 })).rejects.toThrow(DataError);
    await expect(evaluate(scripted, { data: wide, batches: 1 })).rejects.toThrow(/expected 6 columns.*got 7/);
  });

  it('a model with a run config still evaluates on its own split, and on --data when given', async () => {
    const configFile = join(directory, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        seed: 7,
        data: { source: 'csv', path: csv, trainFraction: 0.8 },
        model: {
          layers: [
            { type: 'bernoulli', units: COLUMNS },
            { type: 'bernoulli', units: 3 },
          ],
        },
        train: { method: 'pcd', epochs: 1, batchSize: 10, optimizer: { type: 'sgd', stepsize: 0.01 } },
      }),
    );
    const out = join(directory, 'run');
    await train({ config: configFile, out, progress: false, plots: false });
    expect((await evaluate(out, { batches: 1 })).split).toMatch(/^test: 8 held-out rows of /);
    expect((await evaluate(out, { data: csv, batches: 1 })).samples).toBe(40);
  });

  it('reads the format from the name, or from --data-format', () => {
    expect(dataFileFormat('a/b.CSV')).toBe('csv');
    expect(dataFileFormat('x.npy')).toBe('npy');
    expect(dataFileFormat('train-images-idx3-ubyte')).toBe('idx');
    expect(dataFileFormat('rows.txt', 'csv')).toBe('csv');
    expect(() => dataFileFormat('rows.txt')).toThrow(/--data-format csv, npy or idx/);
    expect(() => dataFileFormat('rows.txt', 'tsv')).toThrow(/--data-format: expected one of 'csv', 'npy', 'idx'/);
  });

  it('loadFileRows reads the rows as given', async () => {
    const { data } = await loadFileRows(csv, { limit: 2 });
    expect(Array.from(data.values)).toEqual([0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0]);
  });
});
