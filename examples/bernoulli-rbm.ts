// A Bernoulli RBM (784-200) on binarized MNIST, trained with PCD-1 and ADAM.
import { layers, models, optimizers, schedules } from 'relief';
import { mnistBatches, setUp, showResults, trainModel } from './common.js';

const options = await setUp('bernoulli-rbm');
const data = await mnistBatches(options);
const rbm = new models.BoltzmannMachine([new layers.BernoulliLayer(784), new layers.BernoulliLayer(200)]);
await models.initializeModel(rbm, data.batches('train'), 'glorotNormal');
const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-2, coefficient: 0.5 }) });
await trainModel(rbm, data, optimizer, options);
await showResults(rbm, options);
