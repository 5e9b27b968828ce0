/**
 * A DBM fine-tuned as a classifier (Salakhutdinov & Hinton 2009) on 2,000 MNIST digits: a
 * 784-200-400 DBM pretrained layer by layer and jointly, its classifier fine-tuned on the
 * augmented input [v, q(h² | v)], tested on 1,000 test digits, against the same 784-200-400-10
 * network from random weights fine-tuned alike on the raw digits; and `relief train` with
 * `classify.from: 'dbm'`, then `relief evaluate`, on 1,000 digits.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLabelledDataset } from '@relief/data';
import { beforeAll, expect, it } from 'vitest';
import { be, setSeed, use } from '../../backends/index.js';
import { InMemoryBatch, type LabelledBatchSource } from '../../batch/index.js';
import { LayerwisePretrain, pcd } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, initializeModel } from '../../models/index.js';
import { Momentum } from '../../optimizers/index.js';
import { relief } from '../../packages/cli/tests/relief-process.js';
import {
  dbmClassifier,
  evaluateClassifier,
  FeedForwardNetwork,
  FineTune,
  loadDbmClassifier,
} from '../../supervised/index.js';

beforeAll(async () => {
  await use('cpu');
});

it('a DBM fine-tuned on its augmented input classifies 2,000 MNIST digits better than random weights', async () => {
  const rows = 2000;
  const train = await loadLabelledDataset('mnist', { limit: rows });
  const test = await loadLabelledDataset('mnist', { split: 'test', limit: 1000 });
  setSeed(1);
  const dbm = new BoltzmannMachine([784, 200, 400].map((n) => new BernoulliLayer(n)));
  const images = be.tensor(train.inputs.values, [rows, 784]);
  await initializeModel(dbm, images, 'hinton');
  be.dispose(images);
  const unlabelled = new InMemoryBatch(train.inputs, { batchSize: 50, seed: 1, trainFraction: 1 });
  const method = pcd();
  await new LayerwisePretrain(dbm, unlabelled).train(new Momentum({ stepsize: 0.05, momentum: 0.5 }), 10, {
    method,
    monitor: null,
    finalEpochs: 10,
    finalOptimizer: new Momentum({ stepsize: 0.01, momentum: 0.5 }),
  });
  method.persistent?.release();
  const labelled = new InMemoryBatch(train.inputs, {
    labels: train.labels,
    numClasses: 10,
    batchSize: 50,
    seed: 1,
    trainFraction: 1,
  });
  const fineTune = (network: FeedForwardNetwork, data: LabelledBatchSource) =>
    new FineTune(network, data).train(new Momentum({ stepsize: 0.05, momentum: 0.9 }), 30);
  setSeed(11);
  const classifier = dbmClassifier(dbm, 10);
  const before = await evaluateClassifier(classifier, test);
  await fineTune(classifier.network, classifier.trainingData(labelled));
  const fromDbm = await evaluateClassifier(classifier, test);
  setSeed(11);
  const random = FeedForwardNetwork.random([784, 200, 400, 10]);
  await fineTune(random, labelled);
  const fromRandom = await evaluateClassifier(random, test);
  console.log(
    `test error: DBM before fine-tuning ${before.error}, DBM fine-tuned ${fromDbm.error}, random weights ${fromRandom.error}`,
  );
  expect(fromDbm.error).toBeLessThan(0.15);
  expect(fromDbm.error).toBeLessThan(fromRandom.error);
  classifier.dispose();
  random.dispose();
  dbm.dispose();
});

it("relief train fine-tunes a DBM classifier (classify.from 'dbm') that relief evaluate scores", async () => {
  const directory = mkdtempSync(join(tmpdir(), 'relief-dbm-classifier-run-'));
  const [config, out] = [join(directory, 'config.json'), join(directory, 'out')];
  const bernoulli = (units: number) => ({ type: 'bernoulli', units });
  const momentum = (stepsize: number) => ({ type: 'momentum', stepsize, momentum: 0.5 });
  writeFileSync(
    config,
    JSON.stringify({
      task: 'classify',
      data: { source: 'mnist', limit: 1000, trainFraction: 0.9 },
      model: { layers: [bernoulli(784), bernoulli(100), bernoulli(200)] },
      train: {
        epochs: 3,
        batchSize: 50,
        metrics: false,
        optimizer: momentum(0.05),
        pretraining: { finalEpochs: 3, finalOptimizer: momentum(0.01) },
      },
      classify: {
        from: 'dbm',
        meanFieldSteps: 5,
        epochs: 20,
        optimizer: { type: 'momentum', stepsize: 0.1, momentum: 0.9 },
      },
    }),
  );
  const trained = await relief(['train', '--config', config, '--out', out, '--no-progress', '--no-plots']).done;
  expect(trained.code, trained.stderr).toBe(0);
  expect(trained.stdout).toMatch(/^joint epoch 3: /m);
  const { classifier, metadata } = await loadDbmClassifier(out);
  expect([classifier.numInputs, classifier.network.numInputs, classifier.meanFieldSteps]).toEqual([784, 984, 5]);
  expect(metadata.pretraining).toHaveLength(3);
  classifier.dispose();
  const evaluated = await relief(['evaluate', out]).done;
  expect(evaluated.code, evaluated.stderr).toBe(0);
  const error = Number(/^error: (\S+)$/m.exec(evaluated.stdout)?.[1]);
  console.log(`relief evaluate: test error ${error}`);
  expect(error).toBeLessThan(0.25);
});
