/**
 * Everything the library trains and evaluates runs on every registered backend and ends where
 * the float64 reference ends from the same seed: a convolutional RBM, a Gaussian-visible RBM,
 * a DBM trained jointly with a mean-field positive phase, parallel tempering, AIS and reverse
 * AIS, and a classifier fine-tuned by backpropagation. (The backends tier draws webgpu's
 * samples from the host's stream, so every backend sees the same draws.)
 */
import { expect, it } from 'vitest';
import { be, setSeed, use } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { cd, pcd, pt, SGD } from '../../fit/index.js';
import { BernoulliLayer, GaussianLayer } from '../../layers/index.js';
import { BoltzmannMachine, convolutionalRBM, estimateLogLikelihood, initializeModel } from '../../namespaces/models.js';
import { ADAM } from '../../optimizers/index.js';
import { FeedForwardNetwork, FineTune } from '../../supervised/index.js';
import { describeOnBackends, EVERY_BACKEND } from '../helpers/backends.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';

const bars = () => barsAndStripes(10);
const batches = (labels?: number[]) =>
  new InMemoryBatch(bars(), {
    batchSize: 20,
    trainFraction: 1,
    seed: 3,
    ...(labels && { labels, numClasses: 2 }),
  });

/** Every parameter of `model`, flattened in `namedParameters()` order. */
async function parameters(model: BoltzmannMachine): Promise<number[]> {
  const values = await Promise.all(model.namedParameters().map(({ owner, name }) => be.read(owner.param(name))));
  return values.flatMap((v) => Array.from(v));
}

/** What each scenario ends with, as numbers, run on the backend in use from one seed. */
const SCENARIOS: Readonly<Record<string, () => Promise<number[]>>> = {
  'a convolutional RBM, CD-1': async () => {
    const rbm = convolutionalRBM({ image: [1, 3, 3], filters: 2, kernel: 2 });
    await new SGD(rbm, batches()).train(new ADAM({ stepsize: 0.05 }), 2, { method: cd(), monitor: null });
    return parameters(rbm);
  },
  'a Gaussian-visible RBM, PCD': async () => {
    const rbm = new BoltzmannMachine([new GaussianLayer(9), new BernoulliLayer(4)]);
    await initializeModel(rbm, batches().batches('train'), 'hinton');
    await new SGD(rbm, batches()).train(new ADAM({ stepsize: 0.01 }), 2, { method: pcd(), monitor: null });
    return parameters(rbm);
  },
  'a DBM trained jointly, mean-field positive phase': async () => {
    const dbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(6), new BernoulliLayer(4)]);
    await initializeModel(dbm, batches().batches('train'), 'glorotNormal');
    await new SGD(dbm, batches()).train(new ADAM({ stepsize: 0.02 }), 2, {
      method: pcd(),
      positivePhase: { updater: 'meanFieldIteration', mcsteps: 5 },
      monitor: null,
    });
    return parameters(dbm);
  },
  'parallel tempering': async () => {
    const rbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(5)]);
    await initializeModel(rbm, batches().batches('train'), 'hinton');
    await new SGD(rbm, batches()).train(new ADAM({ stepsize: 0.02 }), 2, {
      method: pt({ betas: [1, 0.7, 0.4] }),
      monitor: null,
    });
    return parameters(rbm);
  },
  'AIS and reverse AIS': async () => {
    const rbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(5)]);
    await initializeModel(rbm, batches().batches('train'), 'glorotNormal');
    await new SGD(rbm, batches()).train(new ADAM({ stepsize: 0.05 }), 2, { method: pcd(), monitor: null });
    const data = be.tensor(bars().values, [bars().rows, 9]);
    const forward = await estimateLogLikelihood(rbm, data, { chains: 20, steps: 200 });
    const reverse = await estimateLogLikelihood(rbm, data, { chains: 20, steps: 200, method: 'reverse-ais' });
    be.dispose(data);
    return [forward.logLikelihood, reverse.logLikelihood];
  },
  'a classifier fine-tuned by backpropagation': async () => {
    const rbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(5)]);
    await initializeModel(rbm, batches().batches('train'), 'glorotNormal');
    const network = FeedForwardNetwork.fromStack([rbm], 2);
    const labels = Array.from({ length: bars().rows }, (_, i) => i % 2);
    await new FineTune(network, batches(labels)).train(new ADAM({ stepsize: 0.05 }), 2, {});
    const scores = network.predictProba(be.tensor(bars().values, [bars().rows, 9]));
    return Array.from(await be.read(scores));
  },
};

/** The float64 reference's result of each scenario, computed once. */
const references = new Map<string, number[]>();

async function reference(name: string): Promise<number[]> {
  const known = references.get(name);
  if (known) return known;
  await use('float64');
  setSeed(11);
  const result = await (SCENARIOS[name] as () => Promise<number[]>)();
  references.set(name, result);
  return result;
}

describeOnBackends(
  'every model on every backend',
  (label) => {
    const start = EVERY_BACKEND.find((b) => b.label === label)?.start as () => Promise<unknown>;
    for (const name of Object.keys(SCENARIOS)) {
      it(`${name} ends where float64 ends`, async () => {
        const expected = await reference(name);
        await start();
        setSeed(11);
        const got = await (SCENARIOS[name] as () => Promise<number[]>)();
        expect(got.length).toBe(expected.length);
        const worst = got.reduce((w, v, i) => Math.max(w, Math.abs(v - (expected[i] as number))), 0);
        expect(worst, `${name}: largest difference from float64`).toBeLessThan(2e-3);
      });
    }
  },
  EVERY_BACKEND.filter(({ label }) => label !== 'float64'),
);
