// A Bernoulli RBM with an L1 penalty on its weights: sparser, more localized filters.
import { layers, models, optimizers, penalties, schedules } from 'relief';
import { mnistBatches, setUp, showResults, trainModel } from './common.js';

const options = await setUp('l1-rbm');
const data = await mnistBatches(options);
const rbm = new models.BoltzmannMachine([new layers.BernoulliLayer(784), new layers.BernoulliLayer(200)]);
rbm.connections[0]?.weights.addPenalty({ matrix: penalties.l1(1e-3) });
await models.initializeModel(rbm, data.batches('train'), 'glorotNormal');
const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-2, coefficient: 0.5 }) });
await trainModel(rbm, data, optimizer, options);
await showResults(rbm, options);
