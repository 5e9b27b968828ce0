/**
 * `relief train --resume`: a real training process killed at random moments (SIGKILL, and
 * Ctrl-C's SIGINT) and resumed each time ends with the very bytes of a run never stopped,
 * and a history with every epoch once.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from 'relief/backends';
import { describe, expect, it } from 'vitest';
import { relief } from './relief-process.js';

const EPOCHS = 6;
const config = {
  seed: 11,
  backend: 'cpu',
  data: { source: 'mnist', transform: 'binarize', trainFraction: 0.9, limit: 5000 },
  model: {
    layers: [
      { type: 'bernoulli', units: 784 },
      { type: 'bernoulli', units: 64 },
    ],
    penalties: { 'connections.0.W': { type: 'l1', coefficient: 0.0001 } },
    init: 'glorotNormal',
  },
  train: {
    method: 'pcd',
    epochs: EPOCHS,
    batchSize: 50,
    betaStd: 0.5,
    optimizer: { type: 'adam', stepsize: { type: 'powerLawDecay', initial: 0.01, coefficient: 0.5 } },
  },
};

const withoutSeconds = (history: Record<string, number>[]) => history.map(({ seconds: _, ...rest }) => rest);
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('relief train --resume', () => {
  it('continues a run killed at random moments to the same bytes as a run never stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relief-resume-'));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    const common = ['--no-progress', '--no-plots'];
    const reference = await relief(['train', '--config', configFile, '--out', join(dir, 'reference'), ...common]).done;
    expect(reference.code, reference.stderr).toBe(0);

    const out = join(dir, 'run');
    const random = new SeededRandom(Date.now());
    const stops: string[] = [];
    for (let attempt = 0; ; attempt++) {
      expect(attempt, `never finished; stops: ${stops.join(', ')}`).toBeLessThan(25);
      const started = existsSync(join(out, 'model.json')) || existsSync(`${out}.previous`);
      const args = started ? ['train', '--resume', out] : ['train', '--config', configFile, '--out', out];
      const { child, done } = relief([...args, ...common]);
      // The first stops land anywhere from start-up to the end of training; later ones give the
      // run more time, so it finishes.
      const delay = 300 + random.nextFloat() * (1000 + 250 * attempt);
      const signal = attempt % 3 === 1 ? 'SIGINT' : 'SIGKILL';
      const timer = setTimeout(() => child.kill(signal), delay);
      const result = await done;
      clearTimeout(timer);
      if (result.code === 0) break;
      expect([null, 130], result.stderr).toContain(result.code);
      stops.push(`${signal} after ${Math.round(delay)} ms (${started ? 'resumed' : 'fresh'})`);
    }
    expect(stops.length, 'the run was never stopped').toBeGreaterThan(0);
    const params = (run: string) => readFileSync(join(run, 'params.safetensors'));
    expect(params(out).equals(params(join(dir, 'reference'))), `stops: ${stops.join(', ')}`).toBe(true);
    const history = readJson(join(out, 'history.json'));
    expect(history.map((r: { epoch: number }) => r.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
    expect(withoutSeconds(history)).toEqual(withoutSeconds(readJson(join(dir, 'reference', 'history.json'))));
  }, 240_000);

  it('refuses --resume with a config or seed, and a directory with no checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relief-resume-bad-'));
    const both = await relief(['train', '--resume', dir, '--seed', '3']).done;
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--resume continues a run with its own config, seed and data; drop --seed/);
    const empty = await relief(['train', '--resume', dir]).done;
    expect(empty.code).toBe(3);
    expect(empty.stderr).toMatch(/cannot read the saved model/);
  });
});
