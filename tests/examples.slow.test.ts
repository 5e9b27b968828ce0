/** Every example script runs end to end (on a small slice of MNIST, one epoch) and writes its pictures and model. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const examples = readdirSync(new URL('../examples', import.meta.url)).filter(
  (f) => f.endsWith('.ts') && f !== 'common.ts',
);

/** The classification examples and the files each writes. */
const CLASSIFIERS: Record<string, readonly string[]> = {
  'rbm-classifier.ts': ['pretrained-confusion.png', 'random-confusion.png', 'classifier/model.json'],
  'dbn-classifier.ts': ['samples.png', 'dbn/model.json', 'dbn-confusion.png', 'classifier/model.json'],
  'discriminative-rbm.ts': ['discriminative-confusion.png', 'model/model.json'],
};

/** Examples that train no Boltzmann machine, and what each prints when it works. */
const OTHERS: Record<string, RegExp> = {
  'ica-2d.ts': /naturalGradient +laplace +Amari distance 0\.0[0-4]\d\d/,
};

describe('examples', () => {
  it("cover the seed notebook, Paysage's MNIST examples, the other unit types and the classifiers", () => {
    expect(examples.sort()).toEqual([
      'bernoulli-rbm.ts',
      'continuous-bernoulli-rbm.ts',
      'conv-rbm.ts',
      'dbn-classifier.ts',
      'deep-boltzmann-machine.ts',
      'discriminative-rbm.ts',
      'dropout-rbm.ts',
      'gaussian-rbm.ts',
      'grey-levels-rbm.ts',
      'hopfield.ts',
      'ica-2d.ts',
      'l1-rbm.ts',
      'onehot-rbm.ts',
      'rbm-classifier.ts',
      'relu-rbm.ts',
      'tap-rbm.ts',
      'whitened-patches.ts',
    ]);
  });

  /** Runs a classification example on 400 images with 30 hidden units; expects a test error. @returns its output directory */
  function runClassifier(example: string, ...args: string[]): string {
    const out = join(mkdtempSync(join(tmpdir(), 'relief-example-')), 'out');
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        `examples/${example}`,
        '--epochs',
        '1',
        '--limit',
        '400',
        '--hidden',
        '30',
        '--out',
        out,
        ...args,
      ],
      { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/: test error \d+\.\d\d% \(100 mnist test images\)/);
    return out;
  }

  for (const [example, files] of Object.entries(CLASSIFIERS)) {
    it(`${example} trains, reports a test error and writes its confusion matrix and model`, () => {
      const out = runClassifier(example);
      for (const file of files) expect(existsSync(join(out, file)), file).toBe(true);
      if (example === 'dbn-classifier.ts') {
        // Fine-tuning the DBN it saved, without pretraining another.
        const tuned = runClassifier(example, '--dbn', join(out, 'dbn'), '--tune', '2');
        expect(existsSync(join(tuned, 'classifier/model.json'))).toBe(true);
        expect(existsSync(join(tuned, 'dbn'))).toBe(false);
      }
    });
  }

  for (const [example, expected] of Object.entries(OTHERS)) {
    it(`${example} runs and prints what it found`, () => {
      const result = spawnSync(process.execPath, ['--import', 'tsx', `examples/${example}`], {
        encoding: 'utf8',
        cwd: new URL('..', import.meta.url).pathname,
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(expected);
    });
  }

  for (const example of examples.filter((name) => !Object.hasOwn(CLASSIFIERS, name) && !Object.hasOwn(OTHERS, name))) {
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
