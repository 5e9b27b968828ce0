// Grey-level MNIST (pixels in [0, 1]) on continuous Bernoulli visible units — density ∝ e^{ηx}
// on [0, 1], the exact model that Learnergy's SigmoidRBM approximates — with 200 Bernoulli
// hidden units, trained with PCD-1 and ADAM.
import { layers, models, optimizers, schedules } from 'relief';
import { mnistBatches, setUp, showResults, trainModel } from './common.js';

const options = await setUp('continuous-bernoulli-rbm');
const data = await mnistBatches(options, { binarize: false });
const rbm = new models.BoltzmannMachine([new layers.ContinuousBernoulliLayer(784), new layers.BernoulliLayer(200)]);
await models.initializeModel(rbm, data.batches('train'), 'glorotNormal');
const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-3, coefficient: 0.5 }) });
await trainModel(rbm, data, optimizer, options);
await showResults(rbm, options, { binarize: false });
