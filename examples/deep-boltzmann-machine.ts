// A 3-layer deep Boltzmann machine (784-500-100): each RBM pretrained in turn on the means of
// the layer below, then the whole model trained with PCD.
import { fit, layers, models, optimizers, schedules } from 'relief';
import { logEpoch, mnistBatches, setUp, showResults } from './common.js';

const options = await setUp('deep-boltzmann-machine', 3);
const data = await mnistBatches(options);
const dbm = new models.BoltzmannMachine([
  new layers.BernoulliLayer(784),
  new layers.BernoulliLayer(500),
  new layers.BernoulliLayer(100),
]);
await models.initializeModel(dbm, data.batches('train'), 'glorotNormal');
const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-2, coefficient: 0.5 }) });
const { stages } = await new fit.LayerwisePretrain(dbm, data).train(optimizer, options.epochs, {
  monitor: new fit.ProgressMonitor({ maxBatches: 3 }),
  onEpoch: logEpoch,
});
console.log(`stages: ${stages.map((s) => s.records.length).join(' + ')} epochs`);
await showResults(dbm, options);
