// npm run bench:likelihood — test log-likelihoods of the models AIS reaches beyond Bernoulli-visible
// RBMs, on real data: a Gaussian–Bernoulli RBM on grey MNIST (a density on ℝ^784), a DBN's
// Salakhutdinov–Murray bound beside its bottom RBM alone, and a DBM's mean-field bound
// (each 784-H or 784-H-H on binarized MNIST, PCD-1, ADAM 10⁻³).
// Env: E=epochs per stage (10), H=hidden units per layer (200), KINDS (gaussian,dbn,dbm;
// dbm-from-rbm: a DBM whose joint stage starts from its bottom RBM),
// N=test digits (2000), STEPS=AIS steps (10000).

import { inMemoryBatch, mnist } from '@relief/data';
import { backends, fit, layers, models, optimizers, schedules, supervised } from 'relief';

await backends.use('cpu');
const be = backends.be;
const epochs = Number(process.env.E ?? 10);
const units = Number(process.env.H ?? 200);
const steps = Number(process.env.STEPS ?? 10000);
const limit = Number(process.env.N ?? 2000);
const adam = () => new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-3, coefficient: 0.5 }) });
const format = (value: number, error: number) => `${value.toFixed(2)} ± ${error.toFixed(2)}`;

/** Test LL of `model` by AIS and reverse AIS (100 chains). */
async function bothEstimates(model: models.BoltzmannMachine, test: backends.Tensor): Promise<string> {
  const forward = await models.estimateLogLikelihood(model, test, { chains: 100, steps });
  const reverse = await models.estimateLogLikelihood(model, test, { chains: 100, steps, method: 'reverse-ais' });
  return `AIS ${format(forward.logLikelihood, forward.logZError)}, reverse AIS ${format(reverse.logLikelihood, reverse.logZError)}`;
}

for (const kind of (process.env.KINDS ?? 'gaussian,dbn,dbm').split(',')) {
  backends.setSeed(42);
  const binarize = kind !== 'gaussian';
  const train = await mnist({ split: 'train', binarize, scale: true });
  const testRows = await mnist({ split: 'test', binarize, scale: true, limit });
  const data = inMemoryBatch(train, { batchSize: 100, trainFraction: 1 });
  const test = be.tensor(testRows.values, [testRows.rows, testRows.columns]);
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
  if (kind === 'gaussian') {
    const visible = new layers.GaussianLayer(784);
    const rbm = new models.BoltzmannMachine([visible, new layers.BernoulliLayer(units)]);
    await models.initializeModel(rbm, data.batches('train'), 'stddev');
    visible.setFixedParams(['logVar']);
    await new fit.SGD(rbm, data).train(adam(), epochs, { method: fit.pcd, mcsteps: 1 });
    const trained = elapsed();
    console.log(
      `Gaussian–Bernoulli 784-${units}, ${epochs} epochs ${trained}; test log-density ${await bothEstimates(rbm, test)}`,
    );
  } else if (kind === 'dbn') {
    const dbn = supervised.DeepBeliefNetwork.fromLayers([
      new layers.BernoulliLayer(784),
      new layers.BernoulliLayer(units),
      new layers.BernoulliLayer(units),
    ]);
    await models.initializeModel(dbn.rbms[0] as models.BoltzmannMachine, data.batches('train'), 'glorotNormal');
    await dbn.pretrain(data, adam(), epochs, { method: fit.pcd, mcsteps: 1 });
    const trained = elapsed();
    const bottom = await bothEstimates(dbn.rbms[0] as models.BoltzmannMachine, test);
    const bound = await supervised.estimateDbnLogLikelihood(dbn, test, { chains: 100, steps, samples: 10 });
    console.log(
      `DBN 784-${units}-${units}, ${epochs} epochs per RBM ${trained}; bottom RBM ${bottom}; DBN bound ${format(bound.logLikelihood, bound.logZError + bound.samplingError)}, importance-weighted (10 draws) ${bound.importanceWeighted.toFixed(2)}`,
    );
  } else {
    const dbm = new models.BoltzmannMachine([
      new layers.BernoulliLayer(784),
      new layers.BernoulliLayer(units),
      new layers.BernoulliLayer(units),
    ]);
    await models.initializeModel(dbm, data.batches('train'), 'glorotNormal');
    // 'dbm-from-rbm': the joint stage starts from the bottom RBM and the top coupling as initialized.
    const start = kind === 'dbm-from-rbm' ? { scaling: 'none' as const, rbmEpochs: [epochs, 0] } : {};
    await new fit.LayerwisePretrain(dbm, data).train(adam(), epochs, { method: fit.pcd, mcsteps: 1, ...start });
    console.log(
      `DBM 784-${units}-${units} (${kind}), ${epochs} epochs per stage ${elapsed()}; test LL bound ${await bothEstimates(dbm, test)}`,
    );
  }
  be.dispose(test);
}
