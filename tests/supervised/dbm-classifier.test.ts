import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { be, type Tensor } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { parseRunConfig } from '../../config/index.js';
import { BernoulliLayer, GaussianLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { GradientDescent } from '../../optimizers/index.js';
import {
  augmentedInputs,
  type DenseLayer,
  dbmClassifier,
  FineTune,
  loadDbmClassifier,
  meanFieldPosterior,
  saveClassifier,
  saveDbmClassifier,
} from '../../supervised/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose, finiteDifferences, randomizedModel, scalar, values } from '../helpers/finite-differences.js';

const [numVisible, numFirst, numSecond, numClasses] = [6, 5, 4, 3];
const visibleRows = [
  [1, 0, 1, 1, 0, 0],
  [0, 1, 0.5, 0, 1, 1],
  [0.2, 0.9, 0.1, 0.7, 0.5, 0.3],
];
const targetRows = [
  [1, 0, 0],
  [0, 0, 1],
  [0, 1, 0],
];

/** A 6-5-4 Bernoulli DBM with weights large enough for every unit to matter, small enough for mean-field to converge. */
function dbm(): BoltzmannMachine {
  return randomizedModel(
    [numVisible, numFirst, numSecond].map((n) => new BernoulliLayer(n)),
    0.6,
  );
}

const rows = (matrix: number[][]) => be.tensor(matrix.flat(), [matrix.length, (matrix[0] as number[]).length]);

describeOnBackends('DBM classifier', (label) => {
  const tolerance = label === 'float64' ? 1e-5 : 1e-4;

  it("starts as the DBM's mean-field: its hidden layers are the DBM's h¹ given v and q(h²), and h² given h¹", async () => {
    const model = dbm();
    const classifier = dbmClassifier(model, numClasses, { meanFieldSteps: 100 });
    const visible = rows(visibleRows);
    const [first, second] = classifier.network.layers as [DenseLayer, DenseLayer];
    const check = async (actual: Tensor, expected: Tensor, what: string) =>
      expectAllClose(await values(actual), await values(expected), { absolute: tolerance, relative: 0 }, what);
    const fixedPoint = model.meanFieldIteration(100, model.stateFromVisible(visible), { clamped: [0] });
    const [q1, q2] = [fixedPoint.getLayer(1), fixedPoint.getLayer(2)];
    const firstHidden = be.sigmoid(first.preActivation(be.concat([visible, q2], 1)));
    const secondHidden = be.sigmoid(second.preActivation(firstHidden));
    await check(
      be.clone(firstHidden),
      model.layer(1).conditionalMean(model.fieldOn(1, [visible, q1, q2])),
      'h¹ | v, q(h²)',
    );
    await check(
      be.clone(secondHidden),
      model.layer(2).conditionalMean(model.fieldOn(2, [visible, firstHidden, q2])),
      'h² | h¹',
    );
    // At the mean-field fixed point the two layers give back q(h¹ | v) and q(h² | v).
    await check(firstHidden, be.clone(q1), 'q(h¹ | v)');
    await check(secondHidden, be.clone(q2), 'q(h² | v)');
    await check(meanFieldPosterior(model, visible, 100), be.clone(q2), 'meanFieldPosterior');
    await check(classifier.augment(visible), be.concat([visible, q2], 1), 'augment');
    be.dispose([...fixedPoint.units]);
    classifier.dispose();
    model.dispose();
  });

  it('leaves the DBM it was made from as it was, and frees every tensor it makes', async () => {
    const model = dbm();
    const before = await values(be.clone(model.connections[1]?.weights.matrix as Tensor));
    const visible = rows(visibleRows);
    const live = be.numTensors();
    const classifier = dbmClassifier(model, numClasses);
    const probabilities = await values(classifier.predictProba(visible));
    be.dispose(augmentedInputs(model, visible, 3));
    classifier.dispose();
    expect(be.numTensors()).toBe(live);
    const rowSums = [0, 1, 2].map((r) => probabilities.subarray(3 * r, 3 * r + 3).reduce((sum, p) => sum + p, 0));
    expectAllClose(rowSums, [1, 1, 1], { absolute: 1e-5, relative: 0 }, 'row sums');
    expectAllClose(await values(be.clone(model.connections[1]?.weights.matrix as Tensor)), before, {
      absolute: 0,
      relative: 0,
    });
    be.dispose(visible);
    model.dispose();
  });

  it('backpropagates the exact gradient of the loss on the augmented input (finite differences)', async () => {
    if (label !== 'float64') return;
    const model = dbm();
    const classifier = dbmClassifier(model, numClasses);
    const { network } = classifier;
    const visible = rows(visibleRows);
    const inputs = classifier.augment(visible);
    const targets = rows(targetRows);
    const { gradients } = network.gradient(inputs, targets);
    for (const { key, owner, name } of network.namedParameters()) {
      const numeric = await finiteDifferences(owner, name, () => scalar(network.loss(inputs, targets)), 1e-2);
      expectAllClose(await values(gradients[key] as Tensor), numeric, { absolute: 1e-4, relative: 1e-2 }, key);
    }
    be.dispose([visible, inputs, targets]);
    classifier.dispose();
    model.dispose();
  });

  it('fine-tunes with FineTune on the augmented batches, lowering the training loss', async () => {
    const model = dbm();
    const classifier = dbmClassifier(model, numClasses);
    // Class k lights visible units 2k and 2k + 1.
    const labels = Int32Array.from({ length: 30 }, (_, i) => i % 3);
    const pixels = Float32Array.from({ length: 180 }, (_, i) =>
      Math.floor((i % 6) / 2) === labels[Math.floor(i / 6)] ? 1 : 0,
    );
    const images = { rows: 30, columns: numVisible, values: pixels };
    const data = new InMemoryBatch(images, { labels, numClasses, batchSize: 10, trainFraction: 0.8 });
    const augmented = classifier.trainingData(data);
    expect([augmented.numVisible, augmented.numClasses, augmented.size('train')]).toEqual([10, 3, 24]);
    const history = await new FineTune(classifier.network, augmented).train(new GradientDescent({ stepsize: 0.5 }), 20);
    const losses = history.records.map((record) => record.loss as number);
    expect(losses.at(-1)).toBeLessThan(losses[0] as number);
    expect(history.records[0]?.validationAccuracy).toBeTypeOf('number');
    classifier.dispose();
    model.dispose();
  });

  it('saves and loads: the loaded classifier gives the same probabilities from raw rows', async () => {
    const model = dbm();
    const classifier = dbmClassifier(model, numClasses, { meanFieldSteps: 7 });
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-dbm-classifier-')), 'run');
    await saveDbmClassifier(classifier, directory, { note: 'kept' });
    const { classifier: loaded, metadata } = await loadDbmClassifier(directory);
    expect(loaded.meanFieldSteps).toBe(7);
    expect(metadata.note).toBe('kept');
    const visible = rows(visibleRows);
    expectAllClose(await values(loaded.predictProba(visible)), await values(classifier.predictProba(visible)), {
      absolute: 1e-6,
      relative: 0,
    });
    await saveClassifier(classifier.network, directory);
    await expect(loadDbmClassifier(directory)).rejects.toThrow(
      /metadata\.meanFieldInput: expected the mean-field input/,
    );
    be.dispose(visible);
    loaded.dispose();
    classifier.dispose();
    model.dispose();
  });

  it('refuses models that are not three-layer Bernoulli DBMs, saying what it found', () => {
    const rbm = new BoltzmannMachine([new BernoulliLayer(4), new BernoulliLayer(3)]);
    expect(() => dbmClassifier(rbm, 3)).toThrow(/expected a DBM of three layers \(v, h¹, h²\), got 2 layers/);
    const gaussian = new BoltzmannMachine([new GaussianLayer(4), new BernoulliLayer(3), new BernoulliLayer(2)]);
    expect(() => dbmClassifier(gaussian, 3)).toThrow(/expected Bernoulli layers, got layer 0/);
    const model = dbm();
    expect(() => dbmClassifier(model, 1)).toThrow(/numClasses: expected an integer of at least 2, got 1/);
    expect(() => dbmClassifier(model, 3, { meanFieldSteps: -1 })).toThrow(
      /meanFieldSteps: expected a non-negative integer, got -1/,
    );
    const classifier = dbmClassifier(model, 3);
    const data = new InMemoryBatch({ rows: 4, columns: 5, values: new Float32Array(20) }, { labels: [0, 1, 2, 0] });
    expect(() => classifier.trainingData(data)).toThrow(
      /expected data with 6 columns \(the DBM's visible units\), got 5/,
    );
    for (const m of [rbm, gaussian, model, classifier]) m.dispose();
  });
});

describe("run configs with classify.from 'dbm'", () => {
  const bernoulli = (units: number) => ({ type: 'bernoulli', units });
  const config = (changes: { classify?: object; layers?: object[]; train?: object; task?: string }) => ({
    task: changes.task ?? 'classify',
    model: { layers: changes.layers ?? [bernoulli(784), bernoulli(50), bernoulli(100)] },
    train: { pretraining: { rbmEpochs: [2, 3], finalEpochs: 4 }, ...changes.train },
    classify: { from: 'dbm', ...changes.classify },
  });

  it('accepts a three-layer Bernoulli model with per-RBM and joint epochs, 10 mean-field sweeps unless told', () => {
    const parsed = parseRunConfig(config({}), 'run.json');
    expect(parsed.classify.from).toBe('dbm');
    expect(parsed.classify.meanFieldSteps).toBeUndefined();
    expect(parsed.train.pretraining.rbmEpochs).toEqual([2, 3]);
    expect(parseRunConfig(config({ classify: { meanFieldSteps: 30 } })).classify.meanFieldSteps).toBe(30);
    expect(parseRunConfig({ task: 'classify', model: config({}).model }).classify.from).toBe('dbn');
  });

  it('refuses what a DBM classifier cannot use, naming the field, what it expected and what it got', () => {
    const refusal = (input: object) => () => parseRunConfig(input, 'run.json');
    expect(refusal(config({ layers: [bernoulli(784), bernoulli(50)], train: { pretraining: {} } }))).toThrow(
      "run.json: classify.from: 'dbm': expected model.layers of three bernoulli layers (v, h¹, h²), got [bernoulli, bernoulli]",
    );
    expect(refusal(config({ layers: [{ type: 'gaussian', units: 784 }, bernoulli(50), bernoulli(100)] }))).toThrow(
      'got [gaussian, bernoulli, bernoulli]',
    );
    expect(refusal(config({ classify: { activation: 'relu' } }))).toThrow(
      "classify.activation must be 'sigmoid', got 'relu'",
    );
    expect(refusal(config({ classify: { from: 'dbn', meanFieldSteps: 5 } }))).toThrow(
      "run.json: classify.meanFieldSteps: applies to classify.from 'dbm', got from 'dbn'",
    );
    expect(refusal(config({ task: 'generative', train: { pretraining: {} } }))).toThrow(
      "classify.from: 'dbm': applies to task 'classify', got 'generative'",
    );
    expect(refusal(config({ classify: { from: 'dbn' } }))).toThrow(
      "train.pretraining.rbmEpochs: applies to the layerwise pretraining of a deep generative model (task 'generative', three or more layers), got task 'classify' with 3 layers; a DBM classifier (task 'classify', classify.from 'dbm') takes it too",
    );
  });
});
