// The dropout family on a Bernoulli RBM (784-200, binarized MNIST, CD-1): Learnergy's
// DropoutRBM (`--type dropout`), DropConnectRBM (`--type dropConnect`) and EDropoutRBM
// (`--type energyDropout`), dropping hidden units or connections at `--rate`.
import { fit, layers, models, optimizers } from 'relief';
import { mnistBatches, setUp, showResults, trainModel } from './common.js';

const options = await setUp('dropout-rbm', 5, { type: 'dropout', rate: '0.5' });
const type = options.extra.type as fit.DropoutType;
if (!fit.DROPOUT_TYPES.includes(type)) throw new Error(`--type: expected one of ${fit.DROPOUT_TYPES.join(', ')}`);
const data = await mnistBatches(options);
const rbm = new models.BoltzmannMachine([new layers.BernoulliLayer(784), new layers.BernoulliLayer(200)]);
await models.initializeModel(rbm, data.batches('train'), 'hinton');
const method = fit.withDropout(fit.cd(), type, Number(options.extra.rate));
await trainModel(rbm, data, new optimizers.GradientDescent({ stepsize: 0.05 }), options, { method });
await showResults(rbm, options);
