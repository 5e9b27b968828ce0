/**
 * `BoltzmannMachine.fit`, training in one call: it raises the exact log-likelihood of a tiny
 * RBM on bars and stripes, takes the run config's defaults, trains exactly as the explicit
 * `fit.SGD` path with the same seed, initializes only a model not yet initialized, and names
 * a bad option.
 */
import { expect, it } from 'vitest';
import { be, setSeed } from '../../backends/index.js';
import { inMemoryBatch } from '../../batch/index.js';
import { fitOptionsSchema, parseRunConfig } from '../../config/index.js';
import { ConfigError, DataError } from '../../errors/index.js';
import { pcd, SGD } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, exactLogLikelihood, initializeModel } from '../../namespaces/models.js';
import { ADAM, DEFAULT_STEPSIZE } from '../../optimizers/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { BARS_AND_STRIPES_OPTIMUM, barsAndStripes } from '../helpers/bars-and-stripes.js';
import { scalar } from '../helpers/finite-differences.js';

const rbm = (hidden = 16) => new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(hidden)]);

/** Every parameter of a model on the host, by saved key. */
async function parameters(model: BoltzmannMachine): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const { key, owner, name } of model.namedParameters()) out[key] = Array.from(await be.read(owner.param(name)));
  return out;
}

describeOnBackends('BoltzmannMachine.fit', () => {
  const data = barsAndStripes(20);

  it('raises the exact log-likelihood of a 9-16 RBM on bars and stripes to within 1 nat of the optimum', async () => {
    const all = be.tensor(data.values, [data.rows, 9]);
    const model = rbm();
    const before = await scalar(be.tidy(() => be.mean(exactLogLikelihood(model, all))));
    const history = await model.fit(data, {
      epochs: 100,
      batchSize: 20,
      trainFraction: 1,
      method: 'cd',
      mcsteps: 5,
      stepsize: 0.01,
      metrics: false,
    });
    const after = await scalar(be.tidy(() => be.mean(exactLogLikelihood(model, all))));
    be.dispose(all);
    model.dispose();
    expect(history.records).toHaveLength(100);
    expect(before).toBeLessThan(-6);
    expect(after).toBeGreaterThan(BARS_AND_STRIPES_OPTIMUM - 1);
  });

  it("takes every default from the run config's schema", () => {
    const defaults = fitOptionsSchema().parse({});
    const config = parseRunConfig({
      model: {
        layers: [
          { type: 'bernoulli', units: 9 },
          { type: 'bernoulli', units: 4 },
        ],
      },
    });
    expect(defaults).toMatchObject({
      epochs: config.train.epochs,
      batchSize: config.train.batchSize,
      trainFraction: config.data.trainFraction,
      seed: config.seed,
      init: config.model.init,
      method: config.train.method,
      mcsteps: config.train.mcsteps,
      optimizer: config.train.optimizer,
      betaStd: config.train.betaStd,
      metrics: config.train.metrics,
      pretraining: config.train.pretraining,
    });
  });

  it('gives, with the same seed, the parameters of the explicit fit.SGD path with the run config defaults', async () => {
    const shortcut = rbm();
    await shortcut.fit(data, { epochs: 2, seed: 11, metrics: false });

    const explicit = rbm();
    setSeed(11);
    const batches = inMemoryBatch(data, { batchSize: 100, trainFraction: 0.95, seed: 11 });
    const training = batches.hostMatrix('train');
    const rows = be.tensor(training.values, [training.rows, 9]);
    await initializeModel(explicit, rows, 'hinton');
    be.dispose(rows);
    await new SGD(explicit, batches).train(new ADAM({ stepsize: DEFAULT_STEPSIZE }), 2, {
      method: pcd(),
      mcsteps: 1,
      monitor: null,
    });
    expect(await parameters(shortcut)).toEqual(await parameters(explicit));
    shortcut.dispose();
    explicit.dispose();
  });

  it('trains the same from a host matrix and from the same rows as a tensor', async () => {
    const [fromHost, fromTensor] = [rbm(), rbm()];
    await fromHost.fit(data, { epochs: 1, metrics: false });
    const tensor = be.tensor(data.values, [data.rows, 9]);
    await fromTensor.fit(tensor, { epochs: 1, metrics: false });
    be.dispose(tensor);
    expect(await parameters(fromTensor)).toEqual(await parameters(fromHost));
    fromHost.dispose();
    fromTensor.dispose();
  });

  it('initializes a new model from its training rows, and leaves one initialized, trained or loaded as it stands', async () => {
    const model = rbm();
    await model.fit(data, { epochs: 0, metrics: false });
    const initialized = await parameters(model);
    expect(initialized['connections.0.W']?.some((w) => w !== 0)).toBe(true);
    await model.fit(data, { epochs: 0, metrics: false, init: 'glorotNormal' });
    expect(await parameters(model)).toEqual(initialized);
    await model.fit(data, { epochs: 1, metrics: false });
    const trained = await parameters(model);
    // A model given trained parameters, as loading gives them, is not initialized again.
    const loaded = rbm();
    const source = model.namedParameters();
    loaded.namedParameters().forEach(({ owner, name }, i) => {
      const from = source[i] as (typeof source)[number];
      owner.setParam(name, be.clone(from.owner.param(from.name)));
    });
    await loaded.fit(data, { epochs: 0, metrics: false });
    expect(await parameters(loaded)).toEqual(trained);
    model.dispose();
    loaded.dispose();
  });

  it('pretrains a deep model layerwise, then trains it jointly, returning the joint stage', async () => {
    const deep = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(6), new BernoulliLayer(4)]);
    const stages: number[] = [];
    const history = await deep.fit(data, {
      epochs: 2,
      metrics: false,
      pretraining: { finalEpochs: 3 },
      onEpoch: () => {
        stages.push(1);
      },
    });
    expect(stages).toHaveLength(2 + 2 + 3);
    expect(history.records).toHaveLength(3);
    deep.dispose();
  });

  it.each([
    ['an RBM', 'pcd'],
    ['an RBM', 'tap'],
    ['an RBM', 'pt'],
    ['a DBM', 'pcd'],
  ] as const)('leaves no tensor behind but the model’s own: %s, method %s', async (kind, method) => {
    const model =
      kind === 'a DBM'
        ? new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(4), new BernoulliLayer(3)])
        : rbm(4);
    const live = be.numTensors();
    await model.fit(data, { epochs: 1, metrics: false, method });
    expect(be.numTensors()).toBe(live);
    model.dispose();
  });

  it('names a bad option, with the closest allowed name for a typo', async () => {
    const model = rbm(4);
    const refusal = (options: object) => model.fit(data, options as Parameters<BoltzmannMachine['fit']>[1]);
    await expect(refusal({ epoch: 3 })).rejects.toThrow(
      /BoltzmannMachine\.fit: epoch: unknown key; did you mean 'epochs'\?/,
    );
    await expect(refusal({ batchSize: 0 })).rejects.toThrow(/BoltzmannMachine\.fit: batchSize: expected a number ≥ 1/);
    await expect(refusal({ method: 'pdc' })).rejects.toThrow(/method: .*did you mean 'pcd'\?/);
    await expect(refusal({ optimizer: { type: 'adma' } })).rejects.toThrow(/optimizer.*did you mean 'adam'\?/);
    await expect(refusal({ method: 'hybrid' })).rejects.toThrow(
      /method: expected one of 'cd', 'pcd', 'fast-pcd', 'tap', 'pt', got 'hybrid'/,
    );
    await expect(refusal({ stepsize: -1 })).rejects.toThrow(ConfigError);
    const batches = inMemoryBatch(data, { batchSize: 10 });
    await expect(model.fit(batches, { batchSize: 20 })).rejects.toThrow(/batchSize: apply to a host matrix or tensor/);
    await expect(model.fit({ rows: 2, columns: 3, values: new Float32Array(6) })).rejects.toThrow(DataError);
    model.dispose();
  });
});
