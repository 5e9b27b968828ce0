// npm run bench:likelihood — test log-likelihoods of the models AIS reaches beyond Bernoulli-visible
// RBMs, on real data: a Gaussian–Bernoulli RBM on grey MNIST (a density on ℝ^784), a DBN's
// Salakhutdinov–Murray bound beside its bottom RBM alone, and a DBM's mean-field bound
// (each 784-H or 784-H-H on binarized MNIST, PCD-1, ADAM 10⁻³).
// Env: E=epochs per stage (10), H=hidden units per layer (200), KINDS (gaussian,dbn,dbm;
// dbm-from-rbm: a DBM whose joint stage starts from its bottom RBM),
// N=test digits (2000), STEPS=AIS steps (10000). Records each row in bench/results/likelihood-<kind>-….json.

import { inMemoryBatch, mnist } from '@relief/data';
import { backends, fit, layers, models, optimizers, schedules, supervised } from 'relief';
import { describeMachine, type ResultFigure, rerunCommand, rounded, today, writeResult } from './record.js';

await backends.use('cpu');
const be = backends.be;
const epochs = Number(process.env.E ?? 10);
const units = Number(process.env.H ?? 200);
const steps = Number(process.env.STEPS ?? 10000);
const limit = Number(process.env.N ?? 2000);
const adam = () => new optimizers.ADAM({ stepsize: new schedules.PowerLawDecay({ initial: 1e-3, coefficient: 0.5 }) });
const format = (value: number, error: number) => `${value.toFixed(2)} ± ${error.toFixed(2)}`;

/** Test LL of `model` by AIS and reverse AIS (100 chains): as text, and as figures labelled `AIS${suffix}`. */
async function bothEstimates(
  model: models.BoltzmannMachine,
  test: backends.Tensor,
  suffix = '',
): Promise<{ text: string; figures: ResultFigure[] }> {
  const forward = await models.estimateLogLikelihood(model, test, { chains: 100, steps });
  const reverse = await models.estimateLogLikelihood(model, test, { chains: 100, steps, method: 'reverse-ais' });
  return {
    text: `AIS ${format(forward.logLikelihood, forward.logZError)}, reverse AIS ${format(reverse.logLikelihood, reverse.logZError)}`,
    figures: [
      { label: `AIS${suffix}`, value: rounded(forward.logLikelihood), error: rounded(forward.logZError), unit: 'nats' },
      {
        label: `reverse AIS${suffix}`,
        value: rounded(reverse.logLikelihood),
        error: rounded(reverse.logZError),
        unit: 'nats',
      },
    ],
  };
}

/** The id of a row: `likelihood-<name>-784-…-<epochs>-epochs`, and the digits and steps where not the defaults. */
function rowId(name: string, layers: string): string {
  const digits = limit === 2000 ? '' : `-${limit}-digits`;
  const annealing = steps === 10000 ? '' : `-${steps}-steps`;
  return `likelihood-${name}-${layers}-${epochs}-epochs${digits}${annealing}`;
}

/** Writes one row's record. */
function record(id: string, row: string, figures: ResultFigure[], protocol: string): void {
  writeResult({
    id,
    section: 'likelihood',
    row,
    figures,
    protocol,
    command: rerunCommand('bench:likelihood', ['KINDS', 'E', 'H', 'N', 'STEPS']),
    date: today(),
    machine: describeMachine(),
    provenance: 'measured',
    note: `100 chains, ${steps.toLocaleString('en-US')} steps.`,
  });
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
  const training = (): ResultFigure => ({
    label: 'training',
    value: rounded((performance.now() - started) / 1000, 0),
    unit: 's',
  });
  const digits = `MNIST test set (first ${testRows.rows.toLocaleString('en-US')} digits)`;
  const thresholded = `${digits}, thresholded at 0.5`;
  if (kind === 'gaussian') {
    const visible = new layers.GaussianLayer(784);
    const rbm = new models.BoltzmannMachine([visible, new layers.BernoulliLayer(units)]);
    await models.initializeModel(rbm, data.batches('train'), 'stddev');
    visible.setFixedParams(['logVar']);
    await new fit.SGD(rbm, data).train(adam(), epochs, { method: fit.pcd(), mcsteps: 1 });
    const [trained, trainingSeconds] = [elapsed(), training()];
    const estimates = await bothEstimates(rbm, test);
    console.log(`Gaussian–Bernoulli 784-${units}, ${epochs} epochs ${trained}; test log-density ${estimates.text}`);
    record(
      rowId('gaussian', `784-${units}`),
      `Gaussian–Bernoulli RBM 784-${units}, fixed σ, ${epochs} epochs`,
      [...estimates.figures, trainingSeconds],
      `${digits}, grey levels in [0, 1]; a log-density on ℝ⁷⁸⁴`,
    );
  } else if (kind === 'dbn') {
    const dbn = supervised.DeepBeliefNetwork.fromLayers([
      new layers.BernoulliLayer(784),
      new layers.BernoulliLayer(units),
      new layers.BernoulliLayer(units),
    ]);
    await models.initializeModel(dbn.rbms[0] as models.BoltzmannMachine, data.batches('train'), 'glorotNormal');
    await dbn.pretrain(data, adam(), epochs, { method: fit.pcd(), mcsteps: 1 });
    const [trained, trainingSeconds] = [elapsed(), training()];
    const bottom = await bothEstimates(dbn.rbms[0] as models.BoltzmannMachine, test);
    const bound = await supervised.estimateDbnLogLikelihood(dbn, test, { chains: 100, steps, samples: 10 });
    console.log(
      `DBN 784-${units}-${units}, ${epochs} epochs per RBM ${trained}; bottom RBM ${bottom.text}; DBN bound ${format(bound.logLikelihood, bound.logZError + bound.samplingError)}, importance-weighted (10 draws) ${bound.importanceWeighted.toFixed(2)}`,
    );
    const dbnName = `DBN 784-${units}-${units}, ${epochs} epochs per RBM`;
    record(
      rowId('dbn-bottom-rbm', `784-${units}-${units}`),
      `${dbnName}: its bottom RBM alone`,
      [...bottom.figures, trainingSeconds],
      thresholded,
    );
    record(
      rowId('dbn', `784-${units}-${units}`),
      `${dbnName}: Salakhutdinov–Murray bound`,
      [
        {
          label: 'AIS bound',
          value: rounded(bound.logLikelihood),
          error: rounded(bound.logZError + bound.samplingError),
          unit: 'nats',
        },
        { label: 'importance-weighted bound (10 draws)', value: rounded(bound.importanceWeighted), unit: 'nats' },
      ],
      thresholded,
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
    await new fit.LayerwisePretrain(dbm, data).train(adam(), epochs, { method: fit.pcd(), mcsteps: 1, ...start });
    const [trained, trainingSeconds] = [elapsed(), training()];
    const estimates = await bothEstimates(dbm, test, ', mean-field bound');
    console.log(
      `DBM 784-${units}-${units} (${kind}), ${epochs} epochs per stage ${trained}; test LL bound ${estimates.text}`,
    );
    const fromRbm = kind === 'dbm-from-rbm';
    record(
      rowId(fromRbm ? 'dbm-from-rbm' : 'dbm', `784-${units}-${units}`),
      fromRbm
        ? `DBM 784-${units}-${units}, joint stage started from the bottom RBM (scaling 'none', rbmEpochs [${epochs}, 0]), ${epochs} epochs per stage`
        : `DBM 784-${units}-${units}, Salakhutdinov & Hinton pretraining + joint PCD-1, ${epochs} epochs per stage`,
      [...estimates.figures, trainingSeconds],
      thresholded,
    );
  }
  be.dispose(test);
}
