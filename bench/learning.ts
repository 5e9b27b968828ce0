/**
 * The real-size learning check (`npm run bench:learning`): two MNIST recipes on the cpu
 * backend whose test log-likelihoods must hold as the kernel changes — a fast backend that
 * trains worse is no gain. Exits 1 when either falls more than {@link SLACK} nats short.
 * - PyDeep's small RBM: 784-16, PCD-1, SGD 0.01, batch 100, weights N(0, 0.01²), 50 epochs on
 *   the 60,000 training digits; exact test log-likelihood (2¹⁶ hidden states). Reference: −145.6
 *   (a plain float64 numpy PCD reaches −146.2; PyDeep publishes −149.1).
 * - 784-200, ADAM 0.001, PCD-1, 5 epochs (the `bench:peers` recipe); test log-likelihood from
 *   AIS (10,000 β, 100 chains, visible path, base model from the test digits). Reference: −138.5.
 * Records each in `bench/results/likelihood-learning-784-<hidden>.json`. Takes about a minute
 * here. Never part of `npm test`.
 */
import { mnist } from '@relief/data';
import { be, setSeed, use } from '../backends/index.js';
import { InMemoryBatch } from '../batch/index.js';
import { pcd, SGD } from '../fit/index.js';
import { BernoulliLayer } from '../layers/index.js';
import { BoltzmannMachine, estimateLogLikelihood, exactLogLikelihood, initializeModel } from '../namespaces/models.js';
import { ADAM, GradientDescent, type Optimizer } from '../optimizers/index.js';
import { describeMachine, rerunCommand, rounded, today, writeResult } from './record.js';

/** How far (nats) below its reference a recipe may land: the spread of seeds and AIS. */
const SLACK = 1;

interface Recipe {
  readonly name: string;
  readonly hidden: number;
  readonly epochs: number;
  readonly init: 'hinton' | 'glorotNormal';
  readonly trainFraction: number;
  readonly optimizer: () => Optimizer;
  readonly reference: number;
  /** Exact (2^hidden states) or by AIS. */
  readonly exact: boolean;
}

const RECIPES: readonly Recipe[] = [
  {
    name: "PyDeep's small RBM (784-16, PCD-1, SGD 0.01, 50 epochs)",
    hidden: 16,
    epochs: 50,
    init: 'hinton',
    trainFraction: 1,
    optimizer: () => new GradientDescent({ stepsize: 0.01 }),
    reference: -145.6,
    exact: true,
  },
  {
    name: '784-200, ADAM 0.001, PCD-1, 5 epochs',
    hidden: 200,
    epochs: 5,
    init: 'glorotNormal',
    trainFraction: 0.95,
    optimizer: () => new ADAM({ stepsize: 0.001 }),
    reference: -138.5,
    exact: false,
  },
];

await use('cpu');
const train = await mnist({ split: 'train', binarize: true });
const test = await mnist({ split: 'test', binarize: true });
const testRows = be.tensor(test.values, [test.rows, test.columns]);
let failed = false;
for (const recipe of RECIPES) {
  setSeed(42);
  const data = new InMemoryBatch(train, { batchSize: 100, trainFraction: recipe.trainFraction });
  const rbm = new BoltzmannMachine([new BernoulliLayer(784), new BernoulliLayer(recipe.hidden)]);
  await initializeModel(rbm, data.batches('train'), recipe.init);
  const started = performance.now();
  await new SGD(rbm, data).train(recipe.optimizer(), recipe.epochs, { method: pcd(), mcsteps: 1, monitor: null });
  const seconds = (performance.now() - started) / 1000;
  const estimate = recipe.exact ? undefined : await estimateLogLikelihood(rbm, testRows, { path: 'visible' });
  const logLikelihood = estimate?.logLikelihood ?? (await be.readScalar(be.mean(exactLogLikelihood(rbm, testRows))));
  const holds = logLikelihood >= recipe.reference - SLACK;
  failed ||= !holds;
  console.log(
    `${recipe.name}: test log-likelihood ${logLikelihood.toFixed(1)} nats (${recipe.exact ? 'exact' : 'AIS'}; ` +
      `reference ${recipe.reference}) ${holds ? 'holds' : 'FALLS SHORT'} — trained in ${seconds.toFixed(1)} s`,
  );
  writeResult({
    id: `likelihood-learning-784-${recipe.hidden}`,
    section: 'likelihood',
    row: recipe.name,
    figures: [
      estimate === undefined
        ? { label: 'exact', value: rounded(logLikelihood), unit: 'nats' }
        : { label: 'AIS', value: rounded(logLikelihood), error: rounded(estimate.logZError), unit: 'nats' },
      { label: 'training', value: rounded(seconds, 1), unit: 's' },
    ],
    protocol: `MNIST test set (${test.rows.toLocaleString('en-US')} digits), thresholded at 0.5`,
    command: rerunCommand('bench:learning'),
    date: today(),
    machine: describeMachine(),
    provenance: 'measured',
    note: `The learning check: reference ${recipe.reference}${recipe.exact ? '' : '. Visible path, 100 chains, 10,000 steps'}.`,
  });
  rbm.dispose();
}
process.exit(failed ? 1 : 0);
