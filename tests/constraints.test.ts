/** Paysage's parameter constraints: their projections, and training that stays in the allowed set. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { be, setSeed, type Tensor } from '../backends/index.js';
import { InMemoryBatch } from '../batch/index.js';
import { buildModel, parseRunConfig } from '../config/index.js';
import {
  type Constraint,
  diagonal,
  fixedColumnNorm,
  nonNegative,
  nonPositive,
  zeroColumn,
  zeroMask,
  zeroRow,
} from '../constraints/index.js';
import { ConfigError } from '../errors/index.js';
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

/** The values with −0 written as 0 (a product with a 0 keeps the sign of the entry it zeroes). */
function plusZero(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => v + 0);
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

  it('zeroRow, zeroColumn and zeroMask zero a row, a column (negative indices from the end) and the masked entries', async () => {
    const x = () => be.tensor(entries, [3, 2]);
    expect(plusZero(await values(zeroRow(1).apply(x())))).toEqual([0.5, -1.5, 0, 0, -3, 1]);
    expect(plusZero(await values(zeroRow(-1).apply(x())))).toEqual([0.5, -1.5, 2, 0.25, 0, 0]);
    expect(plusZero(await values(zeroColumn(0).apply(x())))).toEqual([0, -1.5, 0, 0.25, 0, 1]);
    expect(plusZero(await values(zeroColumn(-1).apply(x())))).toEqual([0.5, 0, 2, 0, -3, 0]);
    const mask = [
      [1, 0],
      [0, 0],
      [0, 1],
    ];
    expect(plusZero(await values(zeroMask(mask).apply(x())))).toEqual([0, -1.5, 2, 0.25, -3, 0]);
  });

  it('zeroRow, zeroColumn and zeroMask hold after every training step', async () => {
    const mask = Array.from({ length: 9 }, (_, i) => Array.from({ length: 6 }, (_, j) => ((i + j) % 3 === 0 ? 1 : 0)));
    const zeroed: Record<string, (i: number, j: number) => boolean> = {
      zeroRow: (i) => i === 2,
      zeroColumn: (_, j) => j === 5,
      zeroMask: (i, j) => mask[i]?.[j] === 1,
    };
    const cases: [Constraint, (i: number, j: number) => boolean][] = [
      [zeroRow(2), zeroed.zeroRow as never],
      [zeroColumn(-1), zeroed.zeroColumn as never],
      [zeroMask(mask), zeroed.zeroMask as never],
    ];
    for (const [constraint, isZeroed] of cases) {
      setSeed(3);
      const rbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(6)]);
      rbm.connections[0]?.weights.addConstraint({ matrix: constraint });
      let steps = 0;
      const data = new InMemoryBatch(barsAndStripes(4), { batchSize: 8, trainFraction: 1, seed: 1 });
      await new SGD(rbm, data).train(new GradientDescent({ stepsize: 0.5 }), 1, {
        method: cd(),
        monitor: null,
        onBatch: () => {
          steps += 1;
          const W = be.readSync(rbm.connections[0]?.weights.parameter as Tensor);
          W.forEach((w, k) => {
            const [i, j] = [Math.floor(k / 6), k % 6];
            if (isZeroed(i, j)) expect(w === 0, `${constraint.type} W[${i}, ${j}] = ${w}`).toBe(true);
            else expect(w, `${constraint.type} W[${i}, ${j}]`).not.toBe(0);
          });
        },
      });
      expect(steps).toBe(7);
      rbm.dispose();
    }
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

it('zeroRow, zeroColumn and zeroMask refuse an index out of range or a mask of another shape, naming both shapes', async () => {
  const rbm = new BoltzmannMachine([new BernoulliLayer(6), new BernoulliLayer(4)]);
  const weights = rbm.connections[0]?.weights as NonNullable<(typeof rbm.connections)[0]>['weights'];
  expect(() => weights.addConstraint({ matrix: zeroRow(6) })).toThrow(ConfigError);
  expect(() => weights.addConstraint({ matrix: zeroRow(6) })).toThrow(
    "Weights(6, 4).matrix: constraint 'zeroRow': expected a row index in [-6, 5] for shape [6, 4], got 6",
  );
  expect(() => weights.addConstraint({ matrix: zeroColumn(-5) })).toThrow(
    "Weights(6, 4).matrix: constraint 'zeroColumn': expected a column index in [-4, 3] for shape [6, 4], got -5",
  );
  expect(() => rbm.layer(1).addConstraint({ loc: zeroRow(0) })).toThrow(
    "constraint 'zeroRow': expected a matrix, got shape [4]",
  );
  const square = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  expect(() => weights.addConstraint({ matrix: zeroMask(square) })).toThrow(ConfigError);
  expect(() => weights.addConstraint({ matrix: zeroMask(square) })).toThrow(
    "Weights(6, 4).matrix: constraint 'zeroMask': expected a parameter of the mask's shape [3, 3], got shape [6, 4]",
  );
  expect(() => zeroMask([[1, 0], [1]])).toThrow(
    'zeroMask: mask: expected 2 entries in every row (as row 0), got 1 in row 1',
  );
  expect(() => zeroMask([[1, 0.5]])).toThrow(ConfigError);
  expect(() => zeroRow(1.5)).toThrow('zeroRow: index: expected an integer, got 1.5');
  rbm.dispose();
});

it('zeroRow, zeroColumn and zeroMask travel in model.json and run configs', async () => {
  const layers = [
    { type: 'bernoulli', units: 3 },
    { type: 'bernoulli', units: 2 },
  ];
  const mask = [
    [0, 1],
    [0, 0],
    [1, 0],
  ];
  for (const config of [
    { type: 'zeroRow', index: -1 },
    { type: 'zeroColumn', index: 1 },
    { type: 'zeroMask', mask },
  ] as const) {
    const built = buildModel(parseRunConfig({ model: { layers, constraints: { 'connections.0.W': config } } }));
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-constraints-')), 'model');
    await saveModel(built, directory);
    const { model } = await loadModel(directory);
    expect(model.connections[0]?.weights.toConfig().constraints).toEqual({ matrix: config });
    const W = await be.read(model.connections[0]?.weights.parameter as Tensor);
    const zeroed = Array.from(W, (_, k) =>
      config.type === 'zeroRow'
        ? Math.floor(k / 2) === 2
        : config.type === 'zeroColumn'
          ? k % 2 === 1
          : mask[Math.floor(k / 2)]?.[k % 2] === 1,
    );
    W.forEach((w, k) => {
      if (zeroed[k]) expect(w === 0, `W entry ${k} = ${w}`).toBe(true);
    });
    model.dispose();
    built.dispose();
  }
  expect(() =>
    buildModel(
      parseRunConfig({ model: { layers, constraints: { 'connections.0.W': { type: 'zeroRow', index: 3 } } } }),
    ),
  ).toThrow("Weights(3, 2).matrix: constraint 'zeroRow': expected a row index in [-3, 2] for shape [3, 2], got 3");
});
