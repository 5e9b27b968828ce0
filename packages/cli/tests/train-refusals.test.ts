/** What `relief train` and the picture commands refuse before doing any work, and the exit code each gets. */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { use } from 'relief/backends';
import { ConfigError } from 'relief/errors';
import { beforeAll, describe, expect, it } from 'vitest';
import { train } from '../src/commands/train.js';
import { checkOutputFolder } from '../src/output-file.js';

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

describe('relief train refuses', () => {
  let directory = '';
  let configFile = '';
  beforeAll(async () => {
    await use('cpu');
    directory = mkdtempSync(join(tmpdir(), 'relief-refusals-'));
    const csv = join(directory, 'rows.csv');
    writeFileSync(csv, Array.from({ length: 20 }, (_, i) => `${i % 2},${(i + 1) % 2},1`).join('\n'));
    configFile = join(directory, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        data: { source: 'csv', path: csv },
        model: {
          layers: [
            { type: 'bernoulli', units: 3 },
            { type: 'bernoulli', units: 2 },
          ],
        },
        train: { method: 'pcd', epochs: 1, batchSize: 5, optimizer: { type: 'sgd', stepsize: 0.01 } },
      }),
    );
  });

  it('a missing config file as a config error (exit 2), naming the file', async () => {
    const error = await failure(train({ config: join(directory, 'none.json'), out: join(directory, 'o') }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/none\.json: cannot read the config \(ENOENT\)/);
  });

  it('an unknown --backend, naming --backend and the closest backend', async () => {
    const error = await failure(train({ config: configFile, out: join(directory, 'o'), backend: 'tfsj' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^--backend: expected one of 'cpu', .*got "tfsj"; did you mean 'tfjs'\?/);
    expect(error.message).not.toContain('config.json');
  });

  it('an --out that holds a run, naming --resume and --force; --force replaces it', async () => {
    const out = join(directory, 'run');
    await train({ config: configFile, out, progress: false, plots: false });
    const error = await failure(train({ config: configFile, out, progress: false, plots: false }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `--out ${out}: expected a new or empty run directory, found a run (${join(out, 'model.json')}); pass --resume ${out} to continue it, or --force to overwrite it`,
    );
    const forced = await train({ config: configFile, out, progress: false, plots: false, force: true });
    expect(forced.interrupted).toBe(false);
    const empty = join(directory, 'empty');
    mkdirSync(empty);
    await train({ config: configFile, out: empty, progress: false, plots: false });
    expect(existsSync(join(empty, 'model.json'))).toBe(true);
  });
});

describe('an output file', () => {
  it('in a folder that does not exist is refused, naming the option and the folder', () => {
    expect(() => checkOutputFolder('/nodir/x.png', '--out')).toThrow(ConfigError);
    expect(() => checkOutputFolder('/nodir/x.png', '--out')).toThrow(
      '--out /nodir/x.png: expected an existing folder to write into, found nothing at /nodir; create it first, or choose another --out',
    );
    expect(() => checkOutputFolder(join(tmpdir(), 'x.png'), '--out')).not.toThrow();
  });
});
