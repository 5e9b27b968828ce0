// An RBM whose hidden layer is one categorical variable of 10 states (a mixture of 10
// product-Bernoulli prototypes): each image is explained by one of ten templates.
import { layers, models, optimizers, schedules } from 'relief';
import { mnistBatches, setUp, showResults, trainModel } from './common.js';

const options = await setUp('onehot-rbm');
const data = await mnistBatches(options);
const rbm = new models.BoltzmannMachine([new layers.BernoulliLayer(784), new layers.OneHotLayer(10)]);
await models.initializeModel(rbm, data.batches('train'), 'glorotNormal');
const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-2, coefficient: 0.5 }) });
await trainModel(rbm, data, optimizer, options);
await showResults(rbm, options);
