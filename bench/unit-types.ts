// npm run bench:units — the unit types on real data: test log-likelihood (AIS and reverse AIS) of
// 784-200 RBMs with Bernoulli, ReLU and NReLU hidden units on binarized MNIST, of a
// continuous-Bernoulli-visible RBM on grey MNIST (a density on [0, 1]^784), and of Bernoulli
// RBMs trained with the dropout family (kinds dropout, dropConnect, energyDropout at RATE, 0.2).
// Env: E=epochs (10), KINDS, RATE. Records each kind in bench/results/unit-types-<kind>.json.

import { inMemoryBatch, mnist } from '@relief/data';
import { backends, fit, layers, models, optimizers, schedules } from 'relief';
import { describeMachine, rerunCommand, rounded, today, writeResult } from './record.js';

/** A kind's row in docs/results.md. */
function rowName(kind: string, epochs: number, rate: number): string {
  const model = (units: string) => `784-200 RBM, ${units}, ${epochs} epochs`;
  if (kind === 'relu') return model('ReLU hidden units (truncated Gaussian, σ = 1 fixed)');
  if (kind === 'nrelu')
    return model(
      'NReLU hidden units (trained with the sampler max(0, η + N(0, σ(η))), evaluated as the truncated-Gaussian energy)',
    );
  if (kind === 'cb') return model('continuous Bernoulli visible units');
  if (kind === 'energyDropout') return `784-200 Bernoulli RBM trained with energyDropout, ${epochs} epochs`;
  if (kind === 'dropout' || kind === 'dropConnect')
    return `784-200 Bernoulli RBM trained with ${kind} at rate ${rate}, ${epochs} epochs`;
  return model('Bernoulli hidden units');
}

await backends.use('cpu');
const be = backends.be;
const epochs = Number(process.env.E ?? 10);
const rate = Number(process.env.RATE ?? 0.2);
for (const kind of (process.env.KINDS ?? 'bernoulli,relu,nrelu,cb').split(',')) {
  backends.setSeed(42);
  const binarize = kind !== 'cb';
  const train = await mnist({ split: 'train', binarize, scale: true });
  const test = await mnist({ split: 'test', binarize, scale: true, limit: 2000 });
  const data = inMemoryBatch(train, { batchSize: 100, trainFraction: 1 });
  const visible = kind === 'cb' ? new layers.ContinuousBernoulliLayer(784) : new layers.BernoulliLayer(784);
  const hidden =
    kind === 'relu'
      ? new layers.ReLULayer(200)
      : kind === 'nrelu'
        ? new layers.NReLULayer(200)
        : new layers.BernoulliLayer(200);
  const rbm = new models.BoltzmannMachine([visible, hidden]);
  await models.initializeModel(rbm, data.batches('train'), 'glorotNormal');
  if (kind === 'relu' || kind === 'nrelu') hidden.setFixedParams(['logVar']);
  const optimizer = new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-3, coefficient: 0.5 }) });
  const started = performance.now();
  const dropout = fit.DROPOUT_TYPES.find((type) => type === kind);
  const method = dropout ? fit.withDropout(fit.pcd(), dropout, rate) : fit.pcd();
  await new fit.SGD(rbm, data).train(optimizer, epochs, { method, mcsteps: 1 });
  const seconds = (performance.now() - started) / 1000;
  const t = be.tensor(test.values, [test.rows, test.columns]);
  const est = await models.estimateLogLikelihood(rbm, t, { chains: 100, steps: 10000 });
  const rev = await models.estimateLogLikelihood(rbm, t, { chains: 100, steps: 10000, method: 'reverse-ais' });
  console.log(
    `${kind}: ${epochs} epochs ${seconds.toFixed(0)} s; test LL AIS ${est.logLikelihood.toFixed(2)} ± ${est.logZError.toFixed(2)}, reverse AIS ${rev.logLikelihood.toFixed(2)} ± ${rev.logZError.toFixed(2)}`,
  );
  const rated = kind === 'dropout' || kind === 'dropConnect';
  writeResult({
    id: `unit-types-${kind.toLowerCase()}${epochs === 10 ? '' : `-${epochs}-epochs`}${rated && rate !== 0.2 ? `-rate-${rate}` : ''}`,
    section: 'unit-types',
    row: rowName(kind, epochs, rate),
    figures: [
      { label: 'AIS', value: rounded(est.logLikelihood), error: rounded(est.logZError), unit: 'nats' },
      { label: 'reverse AIS', value: rounded(rev.logLikelihood), error: rounded(rev.logZError), unit: 'nats' },
      { label: 'training', value: rounded(seconds, 0), unit: 's' },
    ],
    protocol: binarize
      ? `MNIST test set (first ${test.rows.toLocaleString('en-US')} digits), thresholded at 0.5`
      : `MNIST test set (first ${test.rows.toLocaleString('en-US')} digits), grey levels in [0, 1]; a log-density on [0, 1]⁷⁸⁴`,
    command: rerunCommand('bench:units', ['KINDS', 'E', 'RATE']),
    date: today(),
    machine: describeMachine(),
    provenance: 'measured',
    note: '100 chains, 10,000 steps.',
  });
}
