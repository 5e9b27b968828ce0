// A Bernoulli RBM trained without sampling: the negative phase comes from the second-order
// TAP free energy with persistent magnetizations (Gabrié et al. 2015).
import { fit, layers, models, optimizers, schedules } from 'relief';
import { mnistBatches, setUp, showResults, trainModel } from './common.js';

const options = await setUp('tap-rbm');
const data = await mnistBatches(options);
const rbm = new models.BoltzmannMachine([new layers.BernoulliLayer(784), new layers.BernoulliLayer(200)]);
await models.initializeModel(rbm, data.batches('train'), 'glorotNormal');
const method = fit.tap({ particles: 50, iterations: 10 });
const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-3, coefficient: 0.5 }) });
await trainModel(rbm, data, optimizer, options, { method });
method.persistent?.release();
await showResults(rbm, options);
