/**
 * Pretraining helps: on a fixed seed, a classifier fine-tuned from an RBM pretrained on
 * unlabelled MNIST images beats the same network started from random weights, both
 * fine-tuned on the same 500 labelled images. (The full-size comparison is
 * `examples/rbm-classifier.ts`; its figures are in issue #10's note.)
 */
import { loadLabelledDataset } from '@relief/data';
import { beforeAll, expect, it } from 'vitest';
import { be, setSeed, use } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { cd, SGD } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, initializeModel } from '../../models/index.js';
import { Momentum } from '../../optimizers/index.js';
import { evaluateClassifier, FeedForwardNetwork, FineTune } from '../../supervised/index.js';

beforeAll(async () => {
  await use('cpu');
});

it('a network fine-tuned from a pretrained RBM beats the same network from random weights', async () => {
  const unlabelled = await loadLabelledDataset('mnist', { limit: 10_000 });
  const test = await loadLabelledDataset('mnist', { split: 'test', limit: 1000 });
  const labelled = { rows: 500, columns: 784, values: unlabelled.inputs.values.subarray(0, 500 * 784) };
  setSeed(1);
  const rbm = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(100)]);
  const images = be.tensor(unlabelled.inputs.values, [10_000, 784]);
  await initializeModel(rbm, images, 'hinton');
  be.dispose(images);
  const pretrainingData = new InMemoryBatch(unlabelled.inputs, { batchSize: 50, seed: 1, trainFraction: 1 });
  await new SGD(rbm, pretrainingData).train(new Momentum({ stepsize: 0.05, momentum: 0.5 }), 3, {
    method: cd(),
    monitor: null,
  });
  const data = new InMemoryBatch(labelled, {
    labels: unlabelled.labels.subarray(0, 500),
    numClasses: 10,
    batchSize: 20,
    seed: 1,
    trainFraction: 1,
  });
  const accuracyFrom = async (network: FeedForwardNetwork) => {
    await new FineTune(network, data).train(new Momentum({ stepsize: 0.1, momentum: 0.9 }), 10);
    const { accuracy } = await evaluateClassifier(network, test);
    network.dispose();
    return accuracy;
  };
  setSeed(11);
  const pretrained = await accuracyFrom(FeedForwardNetwork.fromRBM(rbm, 10));
  setSeed(11);
  const random = await accuracyFrom(FeedForwardNetwork.random([784, 100, 10]));
  expect(pretrained).toBeGreaterThan(random);
  expect(pretrained).toBeGreaterThan(0.8);
  rbm.dispose();
});
