// An RBM (784-500) pretrained with PCD on MNIST, then fine-tuned with a softmax layer by
// backpropagation; against the same network from random weights trained for the same time.
// Options: --hidden 500 --tune 100 (fine-tuning epochs) --dataset mnist|fashion-mnist.
import { fit, layers, models, optimizers, supervised } from 'relief';
import { CLASSIFY_OPTIONS, fineTune, labelledBatches, logEpoch, reportTestError, setUp } from './common.js';

const options = await setUp('rbm-classifier', 5, { ...CLASSIFY_OPTIONS, hidden: '500', tune: '100' });
const hidden = Number(options.extra.hidden);
const data = await labelledBatches(options);
const started = performance.now();

const rbm = new models.BoltzmannMachine([new layers.BernoulliLayer(784), new layers.BernoulliLayer(hidden)]);
await new fit.SGD(rbm, data).train(new optimizers.ADAM({ stepsize: 1e-3 }), options.epochs, {
  monitor: null,
  onEpoch: logEpoch,
});
const pretrained = supervised.FeedForwardNetwork.fromRBM(rbm, 10);
await fineTune(pretrained, data, Number(options.extra.tune));
const budget = performance.now() - started;
console.log(`pretraining + fine-tuning took ${(budget / 1000).toFixed(1)} s`);
await reportTestError(pretrained, options, 'pretrained');
await supervised.saveClassifier(pretrained, `${options.out}/classifier`);

// The baseline trains for as long as pretraining and fine-tuning took together.
const random = supervised.FeedForwardNetwork.random([784, hidden, 10]);
const stop = new AbortController();
const baselineStarted = performance.now();
await fineTune(random, data, 10_000, {
  signal: stop.signal,
  onEpoch: (record) => {
    logEpoch(record);
    if (performance.now() - baselineStarted >= budget) stop.abort();
  },
});
await reportTestError(random, options, 'random');
