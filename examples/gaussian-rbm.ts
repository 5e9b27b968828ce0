// A Gaussian–Bernoulli RBM on grey-level MNIST (pixels in [0, 1]): Gaussian visible units
// whose loc and variance come from the data moments and stay fixed, Bernoulli hidden units.
import { layers, models, optimizers, schedules } from 'relief';
import { mnistBatches, setUp, showResults, trainModel } from './common.js';

const options = await setUp('gaussian-rbm');
const data = await mnistBatches(options, { binarize: false });
const visible = new layers.GaussianLayer(784);
const rbm = new models.BoltzmannMachine([visible, new layers.BernoulliLayer(200)]);
await models.initializeModel(rbm, data.batches('train'), 'stddev');
visible.setFixedParams(['logVar']);
const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-3, coefficient: 0.5 }) });
await trainModel(rbm, data, optimizer, options, { mcsteps: 1 });
await showResults(rbm, options, { binarize: false });
