// A Hopfield model: Bernoulli visible units and Gaussian hidden units with fixed loc = 0 and
// variance 1, so the hidden layer integrates out to pairwise couplings W Wᵀ between pixels.
import { layers, models, optimizers, schedules } from 'relief';
import { mnistBatches, setUp, showResults, trainModel } from './common.js';

const options = await setUp('hopfield');
const data = await mnistBatches(options);
const hidden = new layers.GaussianLayer(200);
hidden.setFixedParams(['loc', 'logVar']);
const hopfield = new models.BoltzmannMachine([new layers.BernoulliLayer(784), hidden]);
await models.initializeModel(hopfield, data.batches('train'), 'glorotNormal');
const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-3, coefficient: 0.5 }) });
await trainModel(hopfield, data, optimizer, options);
await showResults(hopfield, options);
