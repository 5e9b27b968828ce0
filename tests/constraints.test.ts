/** Paysage's parameter constraints: their projections, and training that stays in the allowed set. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be, setSeed, type Tensor } from '../backends/index.js';
import { InMemoryBatch } from '../batch/index.js';
import { buildModel, parseRunConfig } from '../config/index.js';
import { diagonal, fixedColumnNorm, nonNegative, nonPositive } from '../constraints/index.js';
import { cd, SGD } from '../fit/index.js';
import { BernoulliLayer, GaussianLayer } from '../layers/index.js';
import { BoltzmannMachine, loadModel, saveModel } from '../models/index.js';
import { GradientDescent } from '../optimizers/index.js';
import { describeOnBackends } from './helpers/backends.js';
import { barsAndStripes } from './helpers/bars-and-stripes.js';
import { expectAllClose, values } from './helpers/finite-differences.js';

/** The Euclidean norm of each column of a (rows, columns) matrix. */
function columnNorms(matrix: Float64Array, columns: number): number[] {
  return Array.from({ length: columns }, (_, j) => {
    let total = 0;
    for (let i = j; i < matrix.length; i += columns) total += (matrix[i] as number) ** 2;
    return Math.sqrt(total);
  });
}

describeOnBackends('constraints', () => {
  const entries = [0.5, -1.5, 2, 0.25, -3, 1];

  it('nonNegative and nonPositive clip at zero; diagonal keeps the diagonal of a square matrix', async () => {
    expect(Array.from(await values(nonNegative.apply(be.tensor(entries, [2, 3]))))).toEqual(
      entries.map((x) => Math.max(x, 0)),
    );
    expect(Array.from(await values(nonPositive.apply(be.tensor(entries, [3, 2]))))).toEqual(
      entries.map((x) => Math.min(x, 0)),
    );
    const square = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(Array.from(await values(diagonal.apply(be.tensor(square, [3, 3]))))).toEqual([1, 0, 0, 0, 5, 0, 0, 0, 9]);
  });

  it('fixedColumnNorm gives every column the mean of the column norms, directions unchanged', async () => {
    const before = Float64Array.from(entries);
    const after = await values(fixedColumnNorm.apply(be.tensor(entries, [2, 3])));
    const norms = columnNorms(before, 3);
    const mean = norms.reduce((a, n) => a + n, 0) / 3;
    expectAllClose(columnNorms(after, 3), [mean, mean, mean], { absolute: 1e-5, relative: 1e-5 });
    expectAllClose(
      after,
      Array.from(before, (x, i) => (x * mean) / (norms[i % 3] as number)),
      { absolute: 1e-5, relative: 1e-5 },
    );
  });

  it('training keeps every constrained parameter in its set after every step', async () => {
    setSeed(2);
    const rbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(6)]);
    rbm.connections[0]?.weights.addConstraint({ matrix: fixedColumnNorm });
    rbm.layer(1).addConstraint({ loc: nonPositive });
    let steps = 0;
    const data = new InMemoryBatch(barsAndStripes(4), { batchSize: 8, trainFraction: 1, seed: 1 });
    await new SGD(rbm, data).train(new GradientDescent({ stepsize: 0.5 }), 3, {
      method: cd(),
      monitor: null,
      onBatch: () => {
        steps += 1;
        const W = be.readSync(rbm.connections[0]?.weights.parameter as Tensor);
        const norms = columnNorms(Float64Array.from(W), 6);
        expect(Math.max(...norms) - Math.min(...norms)).toBeLessThan(1e-4 * Math.max(...norms));
        expect(Math.max(...be.readSync(rbm.layer(1).param('loc')))).toBeLessThanOrEqual(0);
      },
    });
    expect(steps).toBe(21);
    rbm.dispose();
  });
});

it('constraints travel in model.json and run configs; a misnamed or misshapen one is refused', async () => {
  const rbm = new BoltzmannMachine([new GaussianLayer(4), new BernoulliLayer(4)]);
  rbm.connections[0]?.weights.addConstraint({ matrix: diagonal });
  const directory = join(mkdtempSync(join(tmpdir(), 'relief-constraints-')), 'model');
  await saveModel(rbm, directory);
  const { model } = await loadModel(directory);
  expect(model.connections[0]?.weights.constraints.get('matrix')).toBe(diagonal);
  expect(model.connections[0]?.weights.toConfig().constraints).toEqual({ matrix: 'diagonal' });
  model.dispose();
  rbm.dispose();
  const layers = [
    { type: 'bernoulli', units: 6 },
    { type: 'bernoulli', units: 4 },
  ];
  const built = buildModel(parseRunConfig({ model: { layers, constraints: { 'connections.0.W': 'nonNegative' } } }));
  expect(Math.min(...(await be.read(built.connections[0]?.weights.parameter as Tensor)))).toBeGreaterThanOrEqual(0);
  built.dispose();
  expect(() =>
    buildModel(parseRunConfig({ model: { layers, constraints: { 'connections.0.w': 'diagonal' } } })),
  ).toThrow(/model.constraints.connections.0.w: no such parameter; did you mean 'connections.0.W'\?/);
  expect(() =>
    buildModel(parseRunConfig({ model: { layers, constraints: { 'connections.0.W': 'diagonal' } } })),
  ).toThrow("Weights(6, 4).matrix: constraint 'diagonal': expected a square matrix, got shape [6, 4]");
  expect(() => parseRunConfig({ model: { layers, constraints: { 'connections.0.W': 'positive' } } })).toThrow(
    /model.constraints.connections.0.W: expected one of 'nonNegative', 'nonPositive', 'diagonal', 'fixedColumnNorm'/,
  );
});
