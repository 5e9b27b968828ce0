/**
 * PyDeep's sparsity target and gradient restriction: the exact change each makes to a
 * gradient, and the sparsity target's effect on training.
 */
import { expect, it } from 'vitest';
import { be, setSeed, type Tensor } from '../../backends/index.js';
import { InMemoryBatch } from '../../batch/index.js';
import { buildMethod, parseRunConfig } from '../../config/index.js';
import { UnsupportedError } from '../../errors/index.js';
import { cd, type FitMethod, restrictGradient, SGD, sparsityTarget } from '../../fit/index.js';
import { BernoulliLayer } from '../../layers/index.js';
import { BoltzmannMachine } from '../../models/index.js';
import { GradientDescent } from '../../optimizers/index.js';
import { hybrid } from '../../supervised/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { barsAndStripes } from '../helpers/bars-and-stripes.js';
import { expectAllClose, values } from '../helpers/finite-differences.js';
import { meanFieldGradient, randomRBM } from '../helpers/mean-field-gradients.js';

const CLOSE = { absolute: 1e-5, relative: 1e-4 };

/** The norm of each column (axis 0) or row (axis 1) of a (rows, columns) matrix. */
function norms(matrix: Float64Array, columns: number, axis: 0 | 1): number[] {
  const rows = matrix.length / columns;
  const count = axis === 0 ? columns : rows;
  return Array.from({ length: count }, (_, k) => {
    let total = 0;
    for (let i = 0; i < (axis === 0 ? rows : columns); i++) {
      total += (matrix[axis === 0 ? i * columns + k : k * columns + i] as number) ** 2;
    }
    return Math.sqrt(total);
  });
}

const VISIBLE = [1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1];

describeOnBackends('regularizers', () => {
  it('the sparsity target adds strength · (mean hidden activation − target) to the hidden bias gradient only', async () => {
    const rbm = randomRBM(6, 4);
    const visible = be.tensor(VISIBLE, [3, 6]);
    const plain = meanFieldGradient(rbm, visible, cd());
    const sparse = meanFieldGradient(rbm, visible, sparsityTarget(cd(), { target: 0.1, strength: 0.5 }));
    const activation = await values(be.mean(rbm.stateFromVisible(visible).getLayer(1), 0));
    const plainLoc = await values(plain.layers[1]?.loc as Tensor);
    expectAllClose(
      await values(sparse.layers[1]?.loc as Tensor),
      Array.from(plainLoc, (g, j) => g + 0.5 * ((activation[j] as number) - 0.1)),
      CLOSE,
    );
    expectAllClose(await values(sparse.layers[0]?.loc as Tensor), await values(plain.layers[0]?.loc as Tensor), CLOSE);
    expectAllClose(
      await values(sparse.weights[0]?.matrix as Tensor),
      await values(plain.weights[0]?.matrix as Tensor),
      CLOSE,
    );
    be.dispose(visible);
    rbm.dispose();
  });

  for (const [norm, axis] of [
    ['columns', 0],
    ['rows', 1],
  ] as const) {
    it(`restricting the ${norm}' norms scales down exactly the ${norm} above the bound, keeping their direction`, async () => {
      const rbm = randomRBM(6, 4);
      const visible = be.tensor(VISIBLE, [3, 6]);
      const plain = await values(meanFieldGradient(rbm, visible, cd()).weights[0]?.matrix as Tensor);
      const before = norms(plain, 4, axis);
      const bound = [...before].sort((a, b) => a - b)[1] as number; // some above, some below
      const restricted = await values(
        meanFieldGradient(rbm, visible, restrictGradient(cd(), { maxNorm: bound, norm })).weights[0]?.matrix as Tensor,
      );
      const expected = Array.from(plain, (g, i) => {
        const k = axis === 0 ? i % 4 : Math.floor(i / 4);
        return g * Math.min(1, bound / (before[k] as number));
      });
      expectAllClose(restricted, expected, CLOSE);
      expect(Math.max(...norms(restricted, 4, axis))).toBeLessThanOrEqual(bound * (1 + 1e-5));
      be.dispose(visible);
      rbm.dispose();
    });
  }

  it("restricting the whole matrix's norm scales it to the bound", async () => {
    const rbm = randomRBM(6, 4);
    const visible = be.tensor(VISIBLE, [3, 6]);
    const restricted = await values(
      meanFieldGradient(rbm, visible, restrictGradient(cd(), { maxNorm: 1e-3, norm: 'matrix' })).weights[0]
        ?.matrix as Tensor,
    );
    expect(Math.hypot(...restricted)).toBeCloseTo(1e-3, 7);
    be.dispose(visible);
    rbm.dispose();
  });
});

it('training with a sparsity target brings the mean hidden activation to it, where plain training does not', async () => {
  const meanActivation = async (method: FitMethod) => {
    setSeed(3);
    const data = barsAndStripes(8);
    const rbm = new BoltzmannMachine([new BernoulliLayer(9), new BernoulliLayer(16)]);
    const batches = new InMemoryBatch(data, { batchSize: 16, trainFraction: 1, seed: 1 });
    await new SGD(rbm, batches).train(new GradientDescent({ stepsize: 0.1 }), 30, { method, monitor: null });
    const all = be.tensor(data.values, [data.rows, 9]);
    const mean = await be.readScalar(be.tidy(() => be.mean(rbm.stateFromVisible(all).getLayer(1))));
    be.dispose(all);
    rbm.dispose();
    return mean;
  };
  const plain = await meanActivation(cd());
  const sparse = await meanActivation(sparsityTarget(cd(), { target: 0.05, strength: 1 }));
  expect(plain).toBeGreaterThan(0.2);
  expect(Math.abs(sparse - 0.05)).toBeLessThan(0.03);
});

it('the regularizers refuse bad options, and a run config composes them with dropout', () => {
  expect(() => sparsityTarget(cd(), { target: -0.1, strength: 1 })).toThrow(
    'sparsityTarget: target: expected a non-negative number, got -0.1',
  );
  expect(() => restrictGradient(cd(), { maxNorm: 0 })).toThrow(
    'restrictGradient: maxNorm: expected a positive number, got 0',
  );
  expect(() => sparsityTarget(hybrid({ alpha: 0.1 }), { target: 0.1, strength: 1 })).toThrow(UnsupportedError);
  // A restricted label method still uses labels and still classifies the validation split.
  const restricted = restrictGradient(hybrid({ alpha: 0.1 }), { maxNorm: 1 });
  expect(restricted.usesLabels).toBe(true);
  expect(restricted.validation?.metrics).toEqual(['validationLoss', 'validationAccuracy']);
  const layers = [
    { type: 'bernoulli', units: 6 },
    { type: 'bernoulli', units: 4 },
  ];
  const config = parseRunConfig({
    model: { layers },
    train: { dropout: { rate: 0.2 }, sparsity: { target: 0.1, strength: 1 }, restrictGradient: { maxNorm: 1 } },
  });
  expect(config.train.restrictGradient).toEqual({ maxNorm: 1, norm: 'columns' });
  expect(typeof buildMethod(config)).toBe('function');
  expect(() =>
    parseRunConfig({
      task: 'classify',
      model: { layers },
      train: { method: 'hybrid', sparsity: { target: 0.1, strength: 1 } },
    }),
  ).toThrow("config: train.sparsity: expected an unlabelled train.method, got 'hybrid'");
});
