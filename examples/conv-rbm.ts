// Learnergy's ConvRBM on binarized MNIST (Lee et al. 2009): `--filters` shared filters of
// `--kernel`² pixels over the 28×28 images, one bias per filter, trained with CD-1; weights.png
// shows the filters. `--visible gaussian` makes Learnergy's GaussianConvRBM (pixels in [0, 1]
// as unit-variance Gaussians). A Bernoulli model's test log-likelihood is estimated by AIS
// (100 chains, 1000 steps) on 1000 test images.
import { mnist } from '@relief/data';
import { backends, fit, type layers, models, optimizers } from 'relief';
import { mnistBatches, setUp, showResults, trainModel } from './common.js';

const options = await setUp('conv-rbm', 2, { filters: '16', kernel: '7', visible: 'bernoulli', stepsize: '0.005' });
const visible = options.extra.visible as layers.LayerType;
const binarize = visible === 'bernoulli';
const data = await mnistBatches(options, { binarize });
const rbm = models.convolutionalRBM({
  image: [1, 28, 28],
  filters: Number(options.extra.filters),
  kernel: Number(options.extra.kernel),
  visible,
});
console.log(`${rbm.connections[0]?.weights.describe()}: ${rbm.layer(1).numUnits} hidden units`);
await models.initializeModel(rbm, data.batches('train'), 'hinton');
// ADAM: a filter's gradient sums over every position (484 here), which plain SGD's one step size ignores.
const optimizer = new optimizers.ADAM({ stepsize: Number(options.extra.stepsize) });
await trainModel(rbm, data, optimizer, options, { method: fit.cd() });
if (binarize) {
  const test = await mnist({ split: 'test', binarize: true, scale: true, limit: 1000 });
  const images = backends.be.tensor(test.values, [test.rows, test.columns]);
  // A quick run (--limit) anneals briefly: its estimate is only a smoke test.
  const schedule = options.limit === undefined ? { chains: 100, steps: 1000 } : { chains: 20, steps: 100 };
  const estimate = await models.estimateLogLikelihood(rbm, images, schedule);
  console.log(`AIS: test log-likelihood ${estimate.logLikelihood.toFixed(2)} nats (${test.rows} images)`);
  backends.be.dispose(images);
}
await showResults(rbm, options, { binarize });
