// An RBM with rectified linear hidden units (784-200) on binarized MNIST: truncated Gaussian
// hidden units of unit variance (PyDeep's and Learnergy's ReLU RBMs), or with `--sampler nrelu`
// Nair & Hinton's noisy rectified linear draws; trained with PCD-1 and ADAM.
import { layers, models, optimizers, schedules } from 'relief';
import { mnistBatches, setUp, showResults, trainModel } from './common.js';

const options = await setUp('relu-rbm', 5, { sampler: 'truncated' });
const data = await mnistBatches(options);
const hidden = options.extra.sampler === 'nrelu' ? new layers.NReLULayer(200) : new layers.ReLULayer(200);
const rbm = new models.BoltzmannMachine([new layers.BernoulliLayer(784), hidden]);
await models.initializeModel(rbm, data.batches('train'), 'glorotNormal');
hidden.setFixedParams(['logVar']);
const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-3, coefficient: 0.5 }) });
await trainModel(rbm, data, optimizer, options);
await showResults(rbm, options);
