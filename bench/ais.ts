/**
 * Times one AIS estimate of ln Z for a 784-500 Bernoulli RBM (10,000 β, 100 chains, the visible path) on the
 * cpu backend (`npm run bench:ais`) and records it in `bench/results/speed-cpu-ais-784-500.json`.
 * The model is initialized from 5,000 MNIST digits; training does not change the work AIS does.
 */
import { mnist } from '@relief/data';
import { be, setSeed, use } from '../backends/index.js';
import { BernoulliLayer } from '../layers/index.js';
import { annealedImportanceSampling, BoltzmannMachine, initializeModel } from '../namespaces/models.js';
import { describeMachine, rerunCommand, rounded, today, writeResult } from './record.js';

await use('cpu');
setSeed(1);
const digits = await mnist({ split: 'train', binarize: true, limit: 5000 });
const rbm = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(500)]);
await initializeModel(rbm, be.tensor(digits.values, [digits.rows, 784]), 'glorotNormal');
const started = performance.now();
const estimate = await annealedImportanceSampling(rbm, { steps: 10_000, chains: 100, path: 'visible' });
const seconds = (performance.now() - started) / 1000;
console.log(
  `AIS of a 784-500 RBM, 10,000 β, 100 chains, cpu backend: ${seconds.toFixed(1)} s (ln Z ${estimate.logZ.toFixed(2)})`,
);
writeResult({
  id: 'speed-cpu-ais-784-500',
  section: 'speed-cpu',
  row: 'AIS of a 784-500 RBM: 10,000 β, 100 chains, visible path, cpu backend',
  figures: [{ label: 'time', value: rounded(seconds, 1), unit: 's' }],
  command: rerunCommand('bench:ais'),
  date: today(),
  machine: describeMachine(),
  provenance: 'measured',
  note: `ln Z ${estimate.logZ.toFixed(2)}.`,
});
