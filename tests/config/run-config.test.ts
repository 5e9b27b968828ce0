import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as backends from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import {
  buildFinalOptimizer,
  buildMethod,
  buildModel,
  buildTrainOptions,
  parseRunConfig,
  runConfigJsonSchema,
} from '../../config/index.js';
import { ConfigError } from '../../errors/index.js';
import { annealedImportanceSampling } from '../../estimators/index.js';
import { type FitMethod, LayerwisePretrain, ProgressMonitor, SGD, TAP } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine, type Gradient } from '../../models/index.js';
import { ADAM, GradientDescent, Momentum } from '../../optimizers/index.js';
import { loadDataset, parseCsv } from '../../packages/data/src/index.js';
import { imageGrid } from '../../packages/plot/src/index.js';
import { DrivenBeta, ParallelTempering, SequentialMC } from '../../samplers/index.js';
import { Constant } from '../../schedules/index.js';

const example = JSON.parse(readFileSync(new URL('../../examples/mnist-rbm.json', import.meta.url), 'utf8'));

/** Every path to an object inside `value` (the root included), as property keys. */
function objectPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const inner = Object.entries(value).flatMap(([key, child]) =>
    objectPaths(child, [...path, Array.isArray(value) ? Number(key) : key]),
  );
  return Array.isArray(value) ? inner : [path, ...inner];
}

function withKey(config: unknown, path: readonly (string | number)[], key: string): unknown {
  const copy = structuredClone(config) as Record<string | number, unknown>;
  let target = copy;
  for (const step of path) target = target[step] as Record<string | number, unknown>;
  target[key] = 1;
  return copy;
}

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

function printed(path: readonly (string | number)[]): string {
  return path
    .map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`))
    .join('')
    .replace(/^\./, '');
}

/**
 * Runs `method` once on a 4-`hidden` Bernoulli RBM for `visible` (which it frees) and returns what
 * `inspect` reads from the gradient, freeing the gradient, the model and its samplers.
 * @param visible - (batch, 4)
 */
async function oneGradient<T>(
  method: FitMethod,
  hidden: number,
  visible: backends.Tensor,
  inspect: (gradient: Gradient) => Promise<T>,
): Promise<T> {
  const rbm = new BoltzmannMachine([new BernoulliLayer(4), new BernoulliLayer(hidden)]);
  const [positive, negative] = [new SequentialMC(rbm, { clamped: [0] }), new SequentialMC(rbm)];
  const gradient = method(visible, rbm, positive, negative);
  const result = await inspect(gradient);
  backends.be.dispose([visible, ...gradient.layers.flatMap(Object.values), ...gradient.weights.flatMap(Object.values)]);
  positive.dispose();
  negative.dispose();
  rbm.dispose();
  return result;
}

describe('run configs are strict', () => {
  it('every run config in examples/ is valid', () => {
    const directory = new URL('../../examples/', import.meta.url);
    const configs = readdirSync(directory).filter((name) => name.endsWith('.json'));
    expect(configs.length).toBeGreaterThanOrEqual(6);
    for (const name of configs) {
      expect(() => parseRunConfig(JSON.parse(readFileSync(new URL(name, directory), 'utf8')), name)).not.toThrow();
    }
  });

  it('a misspelled schedule field names its path and the field meant, and nothing trains at a default rate', () => {
    const config = structuredClone(example);
    config.train.optimizer = { type: 'sgd', stepsize: { type: 'constant', value: 0.01 } };
    const message = messageOf(() => parseRunConfig(config, 'run.json'));
    expect(message).toContain("run.json: train.optimizer.stepsize.value: unknown key; did you mean 'initial'?");
    expect(message).toContain('run.json: train.optimizer.stepsize.initial: required');
  });

  it('an unknown key at any level of a valid config is refused at its own path', () => {
    const paths = objectPaths(example).filter((p) => p[p.length - 1] !== 'penalties');
    expect(paths.length).toBeGreaterThanOrEqual(9);
    const unknownKey = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['__proto__', '$schema'].includes(k));
    fc.assert(
      fc.property(fc.constantFrom(...paths), unknownKey, (path, key) => {
        const allowed = Object.keys(path.reduce<Record<string | number, unknown>>((o, s) => o[s] as never, example));
        fc.pre(!allowed.includes(key) && !(path.length === 0 && key === '$schema'));
        const message = messageOf(() => parseRunConfig(withKey(example, path, key), 'run.json'));
        expect(message).toContain(`run.json: ${printed([...path, key])}: unknown key`);
      }),
      { numRuns: 300 },
    );
  });

  it('suggests the closest allowed key or name, including peers’ names', () => {
    const config = structuredClone(example);
    delete config.train.batchSize;
    config.train.batch_size = 10;
    delete config.train.optimizer.stepsize;
    config.train.optimizer.lr = 0.1;
    config.model.layers[1].type = 'bernouli';
    delete config.data.transform;
    config.data.transfrom = 'binarize';
    const message = messageOf(() => parseRunConfig(config, 'run.json'));
    expect(message).toContain("train.batch_size: unknown key; did you mean 'batchSize'?");
    expect(message).toContain("train.optimizer.lr: unknown key; did you mean 'stepsize'?");
    expect(message).toContain(
      "model.layers[1].type: expected one of 'bernoulli', 'continuous-bernoulli', 'gaussian', 'onehot', 'relu', 'nrelu', got \"bernouli\"; did you mean 'bernoulli'?",
    );
    expect(message).toContain("data.transfrom: unknown key; did you mean 'transform'?");
    expect(messageOf(() => parseRunConfig({ ...example, backend: 'tfsj' }))).toContain("did you mean 'tfjs'?");
  });

  it('fills in documented defaults, with ADAM at 0.001 when no optimizer is given', () => {
    const config = parseRunConfig({ model: example.model });
    expect(config.train.optimizer).toMatchObject({ type: 'adam', stepsize: 0.001 });
    expect(config).toMatchObject({ seed: 137, backend: 'cpu', data: { source: 'mnist', transform: 'none' } });
    expect(new ADAM().learningRate).toBe(0.001);
    expect(new GradientDescent().learningRate).toBe(0.001);
  });

  it('classify.cost picks the fine-tuning cost (softmax cross-entropy by default) and refuses others', () => {
    expect(parseRunConfig({ task: 'classify', model: example.model }).classify.cost).toBe('softmaxCrossEntropy');
    const squared = parseRunConfig({ task: 'classify', model: example.model, classify: { cost: 'squaredError' } });
    expect(squared.classify.cost).toBe('squaredError');
    expect(() => parseRunConfig({ task: 'classify', model: example.model, classify: { cost: 'hinge' } })).toThrow(
      /classify.cost: expected one of .*'squaredError'.*got "hinge"/,
    );
  });

  it('a label method trains a label RBM: only with task classify and two layers, which gain the label layer', () => {
    const labelled = { task: 'classify', model: example.model, train: { method: 'hybrid', alpha: 0.1 } };
    expect(() => parseRunConfig({ ...labelled, task: 'generative' })).toThrow(
      "config: train.method: 'hybrid' trains a label RBM: set task to 'classify'",
    );
    const deep = { ...example.model, layers: [...example.model.layers, { type: 'bernoulli', units: 5 }] };
    expect(() => parseRunConfig({ ...labelled, model: deep })).toThrow(
      /expected model.layers \[inputs, hidden\] \(the label layer is added\), got 3 layers/,
    );
    const config = parseRunConfig(labelled);
    expect(() => buildModel(config)).toThrow(/needs the data's class count/);
    const model = buildModel(config, 'config', 10);
    expect(model.layers.map((layer) => layer.numUnits)).toEqual([784, 200, 10]);
    expect(model.layer(2).discrete).toBe(true);
    model.dispose();
  });

  it('model.convolution makes a convolutional RBM with tied biases, its layers sized by the geometry', () => {
    const convolution = { image: [1, 28, 28], filters: 4, kernel: 7, stride: 3 };
    const layers = [
      { type: 'gaussian', units: 784 },
      { type: 'bernoulli', units: 4 * 8 * 8 },
    ];
    const config = parseRunConfig({ model: { layers, convolution } });
    expect(config.model.convolution).toEqual({ ...convolution, padding: 0, tiedBiases: true });
    const model = buildModel(config);
    expect(model.connections[0]?.weights.describe()).toBe(
      'ConvolutionalWeights(1×28×28 → 4×8×8, kernel 7×7, stride 3, padding 0)',
    );
    expect(model.layer(0).constraints.get('logVar')?.config).toEqual({ type: 'tiedChannels', channels: 1 });
    expect(model.layer(1).constraints.get('loc')?.config).toEqual({ type: 'tiedChannels', channels: 4 });
    model.dispose();
    const wrongUnits = parseRunConfig({
      model: { layers: [layers[0], { type: 'bernoulli', units: 200 }], convolution },
    });
    expect(() => buildModel(wrongUnits)).toThrow(
      /model.layers\[1\].units: model.convolution \(ConvolutionalWeights\(1×28×28 → 4×8×8.*\) needs 256 units, got 200/,
    );
    const deep = { layers: [...layers, { type: 'bernoulli', units: 10 }], convolution };
    expect(() => parseRunConfig({ model: deep })).toThrow(/model.convolution: expected a generative RBM/);
    expect(() => parseRunConfig({ model: { layers, convolution: { ...convolution, kernel: 0 } } })).toThrow(
      /model.convolution.kernel/,
    );
  });

  it('train.dropout wraps cd or pcd in the dropout family, and is refused with other methods', async () => {
    const config = parseRunConfig({ model: example.model, train: { method: 'cd', dropout: { rate: 0.9 } } });
    expect(config.train.dropout).toEqual({ type: 'dropout', rate: 0.9 });
    const W = await oneGradient(buildMethod(config), 200, backends.be.tensor([1, 0, 1, 1], [1, 4]), (gradient) =>
      backends.be.read(gradient.weights[0]?.matrix as backends.Tensor),
    );
    // One training case: a dropped unit's weight column is zero; 90% are dropped.
    const dropped = Array.from({ length: 200 }, (_, j) => [0, 1, 2, 3].every((i) => W[i * 200 + j] === 0));
    expect(dropped.filter(Boolean).length).toBeGreaterThan(160);
    expect(() => parseRunConfig({ model: example.model, train: { method: 'tap', dropout: {} } })).toThrow(
      "config: train.dropout: expected train.method 'cd' or 'pcd', got 'tap'",
    );
  });

  it("train.pretraining defaults to Salakhutdinov & Hinton's scaling; it and train.positivePhase check their fields", () => {
    expect(parseRunConfig({ model: example.model }).train.pretraining).toEqual({ scaling: 'salakhutdinov-hinton' });
    const given = { scaling: 'none', init: 'pca', finalEpochs: 30 };
    expect(parseRunConfig({ model: example.model, train: { pretraining: given } }).train.pretraining).toEqual(given);
    expect(() => parseRunConfig({ model: example.model, train: { pretraining: { scaling: 'halved' } } })).toThrow(
      /train.pretraining.scaling/,
    );
    expect(() => parseRunConfig({ model: example.model, train: { pretraining: { finalEpochs: -1 } } })).toThrow(
      /train.pretraining.finalEpochs/,
    );
    const staged = { rbmEpochs: [200, 0], finalOptimizer: { type: 'momentum', stepsize: 0.001, momentum: 0.5 } };
    const deep = { layers: [784, 500, 1000].map((units) => ({ type: 'bernoulli', units })) };
    const parsed = parseRunConfig({ model: deep, train: { pretraining: staged } });
    expect(parsed.train.pretraining.rbmEpochs).toEqual([200, 0]);
    const final = buildFinalOptimizer(parsed);
    expect(final).toBeInstanceOf(Momentum);
    expect([(final as Momentum).momentum, final?.stepsize.valueAt(7)]).toEqual([0.5, 0.001]);
    expect(buildFinalOptimizer(parseRunConfig({ model: deep }))).toBeUndefined();
    expect(() => parseRunConfig({ model: deep, train: { pretraining: { rbmEpochs: [5] } } })).toThrow(
      'config: train.pretraining.rbmEpochs: expected one count per RBM of model.layers (2), got 1',
    );
    expect(() => parseRunConfig({ model: example.model, train: { pretraining: { rbmEpochs: [5] } } })).toThrow(
      "config: train.pretraining.rbmEpochs: applies to the layerwise pretraining of a deep generative model (task 'generative', three or more layers), got task 'generative' with 2 layers",
    );
    expect(() =>
      parseRunConfig({ task: 'classify', model: deep, train: { pretraining: { finalOptimizer: { type: 'sgd' } } } }),
    ).toThrow(/train.pretraining.finalOptimizer: applies to .* got task 'classify' with 3 layers/);
    expect(() => parseRunConfig({ model: example.model, train: { pretraining: { rbmEpochs: [5, -1] } } })).toThrow(
      /train.pretraining.rbmEpochs/,
    );
    // Salakhutdinov & Hinton's positive phase by default once asked for; absent, as the negative phase.
    expect(parseRunConfig({ model: example.model }).train.positivePhase).toBeUndefined();
    expect(parseRunConfig({ model: example.model, train: { positivePhase: {} } }).train.positivePhase).toEqual({
      updater: 'meanFieldIteration',
      mcsteps: 10,
    });
    expect(() => parseRunConfig({ model: example.model, train: { positivePhase: { updater: 'gibbs' } } })).toThrow(
      /train.positivePhase.updater/,
    );
  });

  it("method 'pt' builds parallel tempering over the configured ladder, which reports its swap rates", async () => {
    const config = parseRunConfig({
      model: example.model,
      train: { method: 'pt', mcsteps: 2, tempering: { betas: [1, 0.5] } },
    });
    const method = buildMethod(config);
    await oneGradient(method, 3, backends.be.bernoulli(backends.be.fill([5, 4], 0.5)), async () => undefined);
    expect(Object.keys((await method.epochReport?.()) ?? {})).toEqual(['swap 1↔0.5']);
    expect(method.persistent?.current()?.map((t) => backends.be.shape(t))).toEqual([
      [10, 4],
      [10, 3],
    ]);
    expect(() => parseRunConfig({ model: example.model, train: { tempering: { betas: [1, 0.5] } } })).toThrow(
      `config: train.tempering: an option of method 'pt', not of 'pcd'; for 'pt' write train.method { "type": "pt", "betas":[1,0.5] }`,
    );
    method.persistent?.release();
  });

  it('buildTrainOptions maps the train section onto SGD options, the caller’s extras over them', () => {
    const config = parseRunConfig({
      model: example.model,
      train: { method: { type: 'cd', steps: 3 }, mcsteps: 2, betaStd: 0.5, metrics: false, centering: {} },
    });
    const onBatch = () => undefined;
    const options = buildTrainOptions(config, { onBatch });
    expect(typeof options.method).toBe('function');
    expect(options).toMatchObject({ mcsteps: 2, betaStd: 0.5, monitor: null, centering: { rate: 0.01 }, onBatch });
    expect(options.positivePhase).toBeUndefined();
    const monitored = buildTrainOptions(parseRunConfig({ model: example.model, train: { metrics: ['WeightSquare'] } }));
    expect(monitored.monitor?.metrics.map((metric) => metric.name)).toEqual(['WeightSquare']);
    expect(buildTrainOptions(config, { monitor: null }).monitor).toBeNull();
  });

  it('train.method is a name or a tagged method with its options, from the registry', () => {
    const train = (method: unknown, extra: object = {}) =>
      parseRunConfig({ model: example.model, train: { method, ...extra } }).train.method;
    expect(train('pcd')).toBe('pcd');
    expect(parseRunConfig({ model: example.model }).train.method).toBe('pcd');
    expect(train({ type: 'pt', betas: [1, 0.5] })).toEqual({ type: 'pt', betas: [1, 0.5] });
    expect(train({ type: 'fast-pcd', fastRate: 0.02 })).toEqual({ type: 'fast-pcd', fastRate: 0.02, decay: 0.95 });
    // The older flat fields load, moved into the method's options.
    expect(train('pt', { tempering: { betas: [1, 0.25] } })).toEqual({ type: 'pt', betas: [1, 0.25] });
    const labelled = { model: { layers: example.model.layers.slice(0, 2) }, task: 'classify' };
    expect(parseRunConfig({ ...labelled, train: { method: 'hybrid', alpha: 0.1 } }).train.method).toEqual({
      type: 'hybrid',
      alpha: 0.1,
      chains: 'pcd',
    });
    expect(() => parseRunConfig({ model: example.model, train: { alpha: 0.1 } })).toThrow(
      `config: train.alpha: an option of method 'hybrid', not of 'pcd'; for 'hybrid' write train.method { "type": "hybrid", "alpha":0.1 }`,
    );
    expect(() => train({ type: 'pcd', betas: [1, 0.5] })).toThrow(
      "config: train.method.betas: an option of method 'pt', not of 'pcd'",
    );
    expect(() => train({ type: 'pt', betas: [0.9, 0.5] })).toThrow(ConfigError);
    expect(() => train({ type: 'pt', ladder: [1] })).toThrow(/ladder/);
    expect(() => train('pct')).toThrow(/train\.method/);
    const fast = buildMethod(parseRunConfig({ model: example.model, train: { method: { type: 'fast-pcd' } } }));
    expect(fast.persistent).toBeDefined();
  });

  it('a watched metric (stopping, keepBest) must be one the monitor or the label fit method computes', () => {
    const train = { metrics: ['ReconstructionError'], stopping: { metric: 'PseudoLikelihood', mode: 'max' } };
    expect(() => parseRunConfig({ model: example.model, train })).toThrow(
      "config: train.stopping.metric: 'PseudoLikelihood' is not among train.metrics; add it there",
    );
    expect(() =>
      parseRunConfig({ model: example.model, train: { metrics: false, keepBest: { metric: 'HeatCapacity' } } }),
    ).toThrow(/train.keepBest.metric: 'HeatCapacity' is not among train.metrics/);
    // A label RBM's classification of the validation split, and only a label RBM's.
    const watchAccuracy = { stopping: { metric: 'validationAccuracy', mode: 'max' } };
    expect(() => parseRunConfig({ model: example.model, train: watchAccuracy })).toThrow(
      "config: train.stopping.metric: 'validationAccuracy' is a label RBM's classification of the validation split; expected train.method 'discriminative', 'hybrid' or 'generative-labels', got 'pcd'",
    );
    const labelled = parseRunConfig({
      task: 'classify',
      model: example.model,
      train: { method: 'discriminative', metrics: false, ...watchAccuracy },
    });
    expect(labelled.train.stopping?.metric).toBe('validationAccuracy');
    const config = parseRunConfig({ model: example.model, train: { stopping: { metric: 'JensenShannonDivergence' } } });
    expect(config.train.stopping).toEqual({
      metric: 'JensenShannonDivergence',
      mode: 'min',
      tolerance: 0,
      patience: 1,
    });
  });

  it('the JSON Schema for editors is the one committed, describes the example and writes the optimizer once', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../schemas/run-config.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(runConfigJsonSchema());
    expect(example.$schema).toBe('../schemas/run-config.schema.json');
    const optimizers = ['train.optimizer', 'train.pretraining.finalOptimizer', 'classify.optimizer'].map((key) =>
      key.split('.').reduce((node, name) => node.properties[name], committed),
    );
    for (const optimizer of optimizers) expect(JSON.stringify(optimizer)).toContain('"$ref":"#/$defs/optimizer"');
    expect(JSON.stringify(committed.$defs.optimizer)).toContain('"additionalProperties":false');
  });
});

describe('option objects are strict at run time', () => {
  it('a schedule needs its value: no silent learning rate of 1', () => {
    expect(() => new Constant({} as never)).toThrow('Constant.initial: required: expected a number');
    expect(messageOf(() => new Constant({ value: 0.01 } as never))).toContain(
      "Constant.value: unknown key; did you mean 'initial'?",
    );
    expect(messageOf(() => new ADAM({ learningRate: 0.01 } as never))).toContain(
      "ADAM.learningRate: unknown key; did you mean 'stepsize'?",
    );
    expect(() => new ADAM({ meanWeight: 1.5 })).toThrow('ADAM.meanWeight: expected a number < 1, got 1.5');
  });
});

describe('every public option object refuses unknown keys', () => {
  const host = { rows: 20, columns: 4, values: new Float32Array(80) };
  const rbm = () => new BoltzmannMachine([new BernoulliLayer(4), new BernoulliLayer(2)]);
  const cases: [string, () => unknown, string | undefined][] = [
    ['SGD.train', () => new SGD(rbm(), new InMemoryBatch(host)).train(new ADAM(), 1, { epoch: 3 } as never), undefined],
    [
      'LayerwisePretrain.train',
      () => new LayerwisePretrain(rbm(), new InMemoryBatch(host)).train(new ADAM(), 1, { finalEpoch: 1 } as never),
      'finalEpochs',
    ],
    ['TAP', () => new TAP({ particle: 5 } as never), 'particles'],
    ['ProgressMonitor', () => new ProgressMonitor({ metric: [] } as never), 'metrics'],
    ['InMemoryBatch', () => new InMemoryBatch(host, { batch_size: 10 } as never), 'batchSize'],
    ['SequentialMC', () => new SequentialMC(rbm(), { steps: 2 } as never), 'mcsteps'],
    [
      'SequentialMC.generateFantasyState',
      () => SequentialMC.generateFantasyState(rbm(), 2, 1, { betastd: 1 } as never),
      'betaStd',
    ],
    ['ParallelTempering', () => new ParallelTempering(rbm(), 2, { beta: [1] } as never), 'betas'],
    ['DrivenBeta', () => new DrivenBeta({ sd: 1 } as never), undefined],
    ['annealedImportanceSampling', () => annealedImportanceSampling(rbm(), { chain: 10 } as never), 'chains'],
    [
      'BoltzmannMachine',
      () => new BoltzmannMachine([new BernoulliLayer(2), new BernoulliLayer(2)], { weight: 'zeros' } as never),
      'weights',
    ],
    ["backends.use('cpu')", () => backends.use('cpu', { devise: 'wasm' } as never), 'device'],
    ['loadDataset', () => loadDataset('mnist', { limt: 5 } as never), 'limit'],
    ['parseCsv', () => parseCsv('1,2', 'x.csv', { delimeter: ';' } as never), 'delimiter'],
    ['imageGrid', () => imageGrid(host, { zooom: 2 } as never), 'zoom'],
  ];
  it.each(cases)('%s', async (where, call, meant) => {
    const outcome = (async () => call())();
    await expect(outcome).rejects.toThrow(ConfigError);
    await expect(outcome).rejects.toThrow(new RegExp(`^${where.replace(/[.()']/g, '\\$&')}\\.\\w+: unknown key`));
    if (meant) await expect(outcome).rejects.toThrow(`did you mean '${meant}'?`);
  });
});
