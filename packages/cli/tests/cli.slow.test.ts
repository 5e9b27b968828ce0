/** The relief command end to end, as a user runs it: a real process on a small MNIST subset. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPng } from '@relief/plot';
import { be, use } from 'relief/backends';
import { loadModel } from 'relief/models';
import { loadClassifier, loadDeepBeliefNetwork } from 'relief/supervised';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointChains } from '../src/commands/pictures.js';
import { relief } from './relief-process.js';

const example = fileURLToPath(new URL('../../../examples/mnist-rbm.json', import.meta.url));
const hybridExample = fileURLToPath(new URL('../../../examples/mnist-hybrid-rbm.json', import.meta.url));
const centeredExample = fileURLToPath(new URL('../../../examples/mnist-centered-rbm.json', import.meta.url));
const classifierExample = fileURLToPath(new URL('../../../examples/mnist-classifier.json', import.meta.url));

const run = (args: string[]) => relief(args).done;

/** Resolves once a child's stdout or stderr has printed `text`. */
function output(child: ReturnType<typeof relief>['child'], stream: 'stdout' | 'stderr', text: string): Promise<void> {
  let seen = '';
  return new Promise<void>((resolve) => {
    child[stream]?.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes(text)) resolve();
    });
  });
}

/**
 * `relief train --no-progress` on an example config edited for a quick run, in a fresh
 * temporary directory; expects it to succeed. @returns the output directory and the process's output
 */
async function trainExample(example: string, edit: (config: ReturnType<typeof JSON.parse>) => void, args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'relief-example-'));
  const config = JSON.parse(readFileSync(example, 'utf8'));
  edit(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const out = join(dir, 'run');
  const trained = await run(['train', '--config', join(dir, 'config.json'), '--out', out, '--no-progress', ...args]);
  expect(trained.code, trained.stderr).toBe(0);
  return { out, stdout: trained.stdout };
}

describe('relief CLI', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'relief-cli-')), 'run');
  beforeAll(async () => {
    await use('cpu');
  });

  it('train writes a loadable model, a history with one record per epoch, a checkpoint and its pictures', async () => {
    const result = await run([
      'train',
      '--config',
      example,
      '--out',
      out,
      '--epochs',
      '2',
      '--limit',
      '600',
      '--no-progress',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/epoch 1: seconds [\d.]+, ReconstructionError/);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.map((r: { epoch: number }) => r.epoch)).toEqual([1, 2]);
    expect(history[1].seconds).toBeGreaterThan(0);
    expect(Number.isFinite(history[1].ReconstructionError)).toBe(true);
    const { model, metadata } = await loadModel(out);
    expect(model.layers.map((l) => l.numUnits)).toEqual([784, 200]);
    expect((metadata.config as { train: { epochs: number } }).train.epochs).toBe(2);
    expect(model.connections[0]?.weights.penalties.get('matrix')?.type).toBe('l1');
    const size = (file: string) => {
      const { width, height } = readPng(new Uint8Array(readFileSync(join(out, file))));
      return [width, height];
    };
    // 100 filters in 10×10 tiles of 28 px (zoom 2, padding 1) under a caption band as wide as its
    // text at least; 64 particles in 8×8 tiles; 32 held-out rows and their reconstructions in
    // four titled strip pairs of 8.
    const [weightsWidth, weightsHeight] = size('weights.png');
    expect(weightsHeight).toBe(8 + 14 + 4 + 2 * (10 * 29 + 1) + 8);
    expect(weightsWidth).toBeGreaterThanOrEqual(2 * (10 * 29 + 1));
    expect(size('fantasy.png')).toEqual([2 * (8 * 29 + 1), 2 * (8 * 29 + 1)]);
    expect(size('reconstructions.png')).toEqual([482, 696]);
    expect(size('metrics.png')[0]).toBeGreaterThan(600);
    expect(readFileSync(join(out, 'metrics.svg'), 'utf8')).toContain('ReconstructionError');
  });

  it('plot redraws the learning curves of a run from its history.json', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'relief-plot-'));
    for (const file of ['model.json', 'params.safetensors', 'history.json']) {
      writeFileSync(join(copy, file), readFileSync(join(out, file)));
    }
    const result = await run(['plot', copy, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).wrote).toBe(
      'metrics.svg, metrics.png, weights.png, fantasy.png, reconstructions.png',
    );
    expect(readFileSync(join(copy, 'metrics.svg'), 'utf8')).toContain('ReconstructionError');
    const missing = await run(['plot', join(copy, 'nothing')]);
    expect(missing.code).toBe(3);
  });

  it('evaluate, sample, reconstruct and denoise read the trained model', async () => {
    const evaluation = await run(['evaluate', out, '--limit', '300', '--json', '--ais', '200', '--reverse-ais', '200']);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const metrics = JSON.parse(evaluation.stdout);
    expect(metrics.samples).toBe(300);
    expect(Number.isFinite(metrics.MeanFreeEnergy)).toBe(true);
    expect(metrics.LogLikelihood).toBeLessThan(0);
    expect(metrics.LogLikelihood).toBeCloseTo(-metrics.MeanFreeEnergy - metrics.LogZ, 6);
    expect(metrics.ReverseLogLikelihood).toBeCloseTo(-metrics.MeanFreeEnergy - metrics.ReverseLogZ, 6);
    expect(metrics.ReverseLogZError).toBeGreaterThan(0);
    const pictures = join(out, '..');
    for (const [command, file, extra] of [
      ['sample', 'samples.png', ['--n', '16', '--steps', '20']],
      ['reconstruct', 'recon.png', ['--n', '8']],
      ['denoise', 'denoised.png', ['--n', '9', '--flip', '0.1']],
    ] as const) {
      const result = await run([command, out, '--out', join(pictures, file), '--json', ...extra]);
      expect(result.code, result.stderr).toBe(0);
      const png = readPng(new Uint8Array(readFileSync(join(pictures, file))));
      expect(png.width).toBeGreaterThan(50);
      if (command === 'denoise') {
        const report = JSON.parse(result.stdout);
        expect(report.pixelErrorBefore).toBeCloseTo(0.1, 1);
      }
    }
  });

  it('trains a classifier from a classify config (pretraining a DBN first) and evaluates it with a confusion matrix', async () => {
    const { out: classifier, stdout } = await trainExample(
      classifierExample,
      (config) => {
        config.model.layers = [
          { type: 'bernoulli', units: 784 },
          { type: 'bernoulli', units: 50 },
        ];
        config.classify.epochs = 3;
        config.train.batchSize = 10;
      },
      ['--epochs', '1', '--limit', '300'],
    );
    expect(stdout).toMatch(/epoch 2: seconds [\d.e-]+, loss [\d.]+, validationLoss [\d.]+, validationAccuracy/);
    const { network } = await loadClassifier(classifier);
    expect(network.layers.map((l) => l.numOutputs)).toEqual([50, 10]);
    network.dispose();
    (await loadDeepBeliefNetwork(join(classifier, 'dbn'))).dbn.dispose();
    const evaluated = await run(['evaluate', classifier, '--limit', '200', '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(evaluated.stdout);
    expect(report.samples).toBe(200);
    expect(report.accuracy).toBeGreaterThan(0.6);
    expect(report.error).toBeCloseTo(1 - report.accuracy, 10);
    expect(readPng(readFileSync(report.confusion)).width).toBeGreaterThan(200);
  });

  it('trains a hybrid label RBM from a classify config, keeps the most accurate on validation and evaluates it by its free energies', async () => {
    const { out } = await trainExample(
      hybridExample,
      (config) => {
        config.model.layers[1].units = 50;
        config.train.batchSize = 10;
        config.train.keepBest = { metric: 'validationAccuracy', mode: 'max' };
      },
      ['--epochs', '3', '--limit', '300'],
    );
    const { model } = await loadModel(out);
    expect(model.layers.map((layer) => layer.numUnits)).toEqual([784, 50, 10]);
    model.dispose();
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(Object.keys(history[0])).toEqual(['epoch', 'seconds', 'validationLoss', 'validationAccuracy']);
    for (const directory of [out, `${out}.best`]) {
      const evaluated = await run(['evaluate', directory, '--limit', '200', '--json']);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      expect(JSON.parse(evaluated.stdout).accuracy).toBeGreaterThan(0.6);
    }
  });

  it('trains centered from a config with chosen metrics, keeps the best model and evaluates the exact log-likelihood', async () => {
    const { out } = await trainExample(
      centeredExample,
      (config) => {
        config.model.layers[1].units = 8;
        config.train.metrics = ['ReconstructionError', 'PseudoLikelihood'];
        config.train.keepBest = { metric: 'PseudoLikelihood', mode: 'max' };
        config.data.trainFraction = 0.9;
      },
      ['--epochs', '2', '--limit', '500'],
    );
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(Object.keys(history[0])).toEqual(['epoch', 'seconds', 'ReconstructionError', 'PseudoLikelihood']);
    expect(existsSync(join(`${out}.best`, 'model.json'))).toBe(true);
    const evaluated = await run(['evaluate', out, '--limit', '100', '--exact', '--ais', '300', '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const { ExactLogLikelihood, LogLikelihood, LogZError } = JSON.parse(evaluated.stdout);
    expect(ExactLogLikelihood).toBeLessThan(-100);
    expect(Math.abs(LogLikelihood - ExactLogLikelihood)).toBeLessThan(3 * LogZError + 0.05);
  });

  it('pretrains a DBM as configured and evaluates its log-likelihood bound by AIS and reverse AIS', async () => {
    const { out } = await trainExample(
      example,
      (config) => {
        config.model.layers = [
          { type: 'bernoulli', units: 784 },
          { type: 'bernoulli', units: 20 },
          { type: 'bernoulli', units: 10 },
        ];
        config.model.penalties = {};
        config.train.pretraining = { init: 'glorotNormal', finalEpochs: 2 };
      },
      ['--epochs', '1', '--limit', '300', '--final-epochs', '3'],
    );
    // The history is the joint stage's: finalEpochs records, as --final-epochs overrides it.
    expect(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')).length).toBe(3);
    const evaluated = await run(['evaluate', out, '--limit', '100', '--ais', '300', '--reverse-ais', '300', '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const { MeanFreeEnergy, LogZ, LogLikelihood, ReverseLogZ, ReverseLogLikelihood, ImportanceWeightedLogLikelihood } =
      JSON.parse(evaluated.stdout);
    expect(LogLikelihood).toBeCloseTo(-MeanFreeEnergy - LogZ, 6);
    expect(ImportanceWeightedLogLikelihood).toBeGreaterThan(LogLikelihood);
    // fantasy.png continues the joint stage's persistent chains, which the last checkpoint holds.
    const { model } = await loadModel(out);
    const chains = await checkpointChains(out, model);
    expect(chains?.units.map((units) => be.shape(units)[1])).toEqual([784, 20, 10]);
    expect(await checkpointChains(mkdtempSync(join(tmpdir(), 'relief-no-checkpoint-')), model)).toBeUndefined();
    chains?.dispose();
    model.dispose();
    expect(ReverseLogLikelihood).toBeCloseTo(-MeanFreeEnergy - ReverseLogZ, 6);
    expect(Math.abs(LogZ - ReverseLogZ)).toBeLessThan(5);
  });

  it("trains the DBM example's stages as configured: each RBM its own epochs, the joint stage its own optimizer", async () => {
    const shrink = (config: ReturnType<typeof JSON.parse>) => {
      config.model.layers = [784, 20, 10].map((units) => ({ type: 'bernoulli', units }));
      config.train.pretraining = { ...config.train.pretraining, rbmEpochs: [2, 0], finalEpochs: 1 };
    };
    const dbmExample = new URL('../../../examples/mnist-dbm-500-1000.json', import.meta.url).pathname;
    const { out: staged, stdout } = await trainExample(dbmExample, shrink, ['--limit', '300']);
    // Each epoch line names its stage; the second RBM trains for 0 epochs.
    expect(stdout.match(/^.*epoch \d+(?=: seconds)/gm)).toEqual([
      'layer 1 (784-20) epoch 1',
      'layer 1 (784-20) epoch 2',
      'joint epoch 1',
    ]);
    expect(JSON.parse(readFileSync(join(staged, 'history.json'), 'utf8')).length).toBe(1);
    const config = JSON.parse(readFileSync(dbmExample, 'utf8'));
    shrink(config);
    const path = join(mkdtempSync(join(tmpdir(), 'relief-staged-')), 'config.json');
    writeFileSync(path, JSON.stringify(config));
    const refused = await run(['train', '--config', path, '--out', `${path}.run`, '--epochs', '1']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--epochs: this config gives each RBM its epochs in train.pretraining.rbmEpochs');
  });

  it('fits PCA whitening on the training split, saves it with the model and applies it when evaluating', async () => {
    const { out } = await trainExample(
      example,
      (config) => {
        config.data = { source: 'mnist', preprocessing: [{ type: 'pca', components: 40, whiten: true }] };
        config.model.layers = [
          { type: 'gaussian', units: 40, fixedParams: ['logVar'] },
          { type: 'bernoulli', units: 16 },
        ];
        config.model.penalties = {};
        config.train.optimizer.stepsize.initial = 0.001;
      },
      ['--epochs', '1', '--limit', '400'],
    );
    const { model, preprocessing } = await loadModel(out);
    expect(preprocessing?.steps).toEqual([{ type: 'pca', components: 40, whiten: true, epsilon: 1e-5 }]);
    expect(preprocessing?.inputColumns).toBe(784);
    model.dispose();
    const evaluated = await run(['evaluate', out, '--limit', '100', '--exact', '--ais', '1000', '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const { ExactLogLikelihood, LogLikelihood, LogZError } = JSON.parse(evaluated.stdout);
    expect(Number.isFinite(ExactLogLikelihood)).toBe(true);
    expect(Math.abs(LogLikelihood - ExactLogLikelihood)).toBeLessThan(3 * LogZError + 0.05);
    const reconstructed = await run(['reconstruct', out, '--out', join(out, '..', 'recon.png'), '--n', '4', '--json']);
    expect(reconstructed.code, reconstructed.stderr).toBe(0);
  });

  it('a bad config names the field and exits 2; missing data exits 3', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'relief-bad-'));
    const config = JSON.parse(readFileSync(example, 'utf8'));
    config.train.optimizer.stepsize.initial = -1;
    writeFileSync(join(directory, 'bad.json'), JSON.stringify(config));
    const bad = await run(['train', '--config', join(directory, 'bad.json'), '--out', join(directory, 'o')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('train.optimizer.stepsize.initial: expected a positive number, got -1');
    config.train.optimizer.stepsize.initial = 0.01;
    config.data = { source: 'csv', path: join(directory, 'missing.csv') };
    writeFileSync(join(directory, 'csv.json'), JSON.stringify(config));
    const missing = await run(['train', '--config', join(directory, 'csv.json'), '--out', join(directory, 'o')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/missing\.csv: cannot read \(ENOENT\)/);
    const unknown = await run(['train', '--config', join(directory, 'none.json'), '--out', join(directory, 'o')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/none\.json: cannot read the config \(ENOENT\)/);
  });

  it('usage errors name the option at fault and exit 2 before any work; --help lists the exit codes', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'relief-usage-'));
    const backend = await run(['train', '--config', example, '--out', join(directory, 'o'), '--backend', 'tfsj']);
    expect(backend.code).toBe(2);
    expect(backend.stderr).toContain(`--backend: expected one of 'cpu'`);
    expect(backend.stderr).toContain("did you mean 'tfjs'?");
    const nowhere = await run(['sample', join(directory, 'no-run'), '--out', join(directory, 'nodir', 'x.png')]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain(
      `expected an existing folder to write into, found nothing at ${join(directory, 'nodir')}`,
    );
    writeFileSync(join(directory, 'broken.json'), '{\n  "seed": 1,\n  data: {}\n}\n');
    const broken = await run(['train', '--config', join(directory, 'broken.json'), '--out', join(directory, 'o')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('broken.json: not valid JSON at line 3, column 3');
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const code of ['0 ', '1 ', '2 ', '3 ', '4 ', '5 ', '130 ']) expect(help.stdout).toContain(`\n  ${code}`);
  });

  it('Ctrl-C saves the model and exits with 130', async () => {
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-sigint-')), 'run');
    const { child, done } = relief([
      'train',
      '--config',
      example,
      '--out',
      directory,
      '--epochs',
      '50',
      '--limit',
      '300',
      '--no-progress',
    ]);
    await output(child, 'stdout', 'epoch 1:');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('stopping… (saving the model; press Ctrl-C again to quit now)');
    expect(result.stdout).toMatch(/interrupted; saved/);
    expect(existsSync(join(directory, 'model.json'))).toBe(true);
    const history = JSON.parse(readFileSync(join(directory, 'history.json'), 'utf8'));
    expect(history.length).toBeLessThan(50);
  });

  it('a second Ctrl-C quits at once with 130, without finishing the save', async () => {
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-sigint-twice-')), 'run');
    const args = ['--out', directory, '--epochs', '50', '--limit', '300', '--no-progress'];
    const { child, done } = relief(['train', '--config', example, ...args]);
    await output(child, 'stdout', 'epoch 1:');
    child.kill('SIGINT');
    await output(child, 'stderr', 'stopping…');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('quitting without saving');
    expect(result.stdout).not.toMatch(/interrupted; saved/);
  });

  it('Ctrl-C while the data loads says so and exits with 130', async () => {
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-sigint-loading-')), 'run');
    const { child, done } = relief(['train', '--config', example, '--out', directory, '--no-progress']);
    await output(child, 'stderr', 'loading the data…');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('interrupted while loading the data; nothing saved');
    expect(existsSync(join(directory, 'model.json'))).toBe(false);
  });
});
