/** Every example script runs end to end (on a small slice of MNIST, one epoch) and writes its pictures and model. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const examples = readdirSync(new URL('../examples', import.meta.url)).filter(
  (f) => f.endsWith('.ts') && f !== 'common.ts',
);

describe('examples', () => {
  it("cover the seed notebook and Paysage's MNIST examples", () => {
    expect(examples.sort()).toEqual([
      'bernoulli-rbm.ts',
      'deep-boltzmann-machine.ts',
      'gaussian-rbm.ts',
      'hopfield.ts',
      'l1-rbm.ts',
      'onehot-rbm.ts',
      'tap-rbm.ts',
    ]);
  });

  for (const example of examples) {
    it(`${example} trains and writes reconstructions, fantasy particles, weights and the model`, () => {
      const out = join(mkdtempSync(join(tmpdir(), 'relief-example-')), 'out');
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', `examples/${example}`, '--epochs', '1', '--limit', '400', '--out', out],
        { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname },
      );
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/epoch 1: seconds/);
      for (const file of ['reconstructions.png', 'fantasy.png', 'weights.png', 'model/model.json']) {
        expect(existsSync(join(out, file)), file).toBe(true);
      }
    });
  }
});
