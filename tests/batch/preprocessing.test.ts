/**
 * Preprocessing fitted on training data: each step's defining property on correlated data
 * (zero means and unit variances, decorrelated and whitened PCA outputs, a symmetric ZCA map
 * W with W Σ W = I), inverses, save/restore round trips and typed errors.
 */
import { expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { type HostMatrix, Preprocessing } from '../../batch/index.js';
import { ConfigError, DataError } from '../../errors/index.js';
import { describeOnBackends } from '../helpers/backends.js';
import { expectAllClose } from '../helpers/finite-differences.js';

const ROWS = 2000;
const COLUMNS = 4;

/** Rows of x = A z + offset with z standard normal, so the covariance is A Aᵀ. */
async function correlatedData(): Promise<HostMatrix> {
  const mixing = [
    [2, 0, 0, 0],
    [1, 0.5, 0, 0],
    [0, 1, 1, 0],
    [0.5, 0, 0.3, 0.2],
  ];
  const z = await be.read(be.randomNormal([ROWS, COLUMNS]));
  const values = new Float32Array(ROWS * COLUMNS);
  for (let r = 0; r < ROWS; r++) {
    for (let i = 0; i < COLUMNS; i++) {
      let total = 3 + i;
      for (let j = 0; j < COLUMNS; j++) total += (mixing[i]?.[j] as number) * (z[r * COLUMNS + j] as number);
      values[r * COLUMNS + i] = total;
    }
  }
  return { rows: ROWS, columns: COLUMNS, values };
}

/** Column means and the covariance matrix (row-major), in float64. */
function moments({ rows, columns, values }: HostMatrix) {
  const mean = new Float64Array(columns);
  for (let i = 0; i < values.length; i++)
    mean[i % columns] = (mean[i % columns] as number) + (values[i] as number) / rows;
  const cov = new Float64Array(columns * columns);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < columns; i++) {
      for (let j = 0; j < columns; j++) {
        const [a, b] = [values[r * columns + i] as number, values[r * columns + j] as number];
        cov[i * columns + j] =
          (cov[i * columns + j] as number) + ((a - (mean[i] as number)) * (b - (mean[j] as number))) / rows;
      }
    }
  }
  return { mean, cov };
}

const identity = (n: number) => Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));

describeOnBackends('preprocessing', () => {
  it('standardize, removeMean and rescale give the promised moments and ranges, and invert', async () => {
    const data = await correlatedData();
    const standardize = await Preprocessing.fit([{ type: 'standardize' }], data);
    const standardized = moments(await standardize.transform(data));
    expectAllClose(standardized.mean, [0, 0, 0, 0], { absolute: 1e-5 });
    expectAllClose(
      standardized.cov.filter((_, k) => k % (COLUMNS + 1) === 0),
      [1, 1, 1, 1],
      { absolute: 1e-4 },
    );
    const centered = moments(await (await Preprocessing.fit([{ type: 'removeMean' }], data)).transform(data));
    expectAllClose(centered.mean, [0, 0, 0, 0], { absolute: 1e-5 });
    const rescale = await Preprocessing.fit([{ type: 'rescale', min: -1, max: 2 }], data);
    const rescaled = (await rescale.transform(data)).values;
    expect(Math.min(...rescaled)).toBeCloseTo(-1, 5);
    expect(Math.max(...rescaled)).toBeCloseTo(2, 5);
    for (const chain of [standardize, rescale]) {
      expectAllClose((await chain.inverse(await chain.transform(data))).values, data.values, { absolute: 1e-4 });
    }
  });

  it('removeRowMeans and l1Normalize act on each row alone', async () => {
    const data = { rows: 2, columns: 3, values: Float32Array.of(1, 2, 6, -1, 0, 3) };
    const rowMeans = await Preprocessing.fit([{ type: 'removeRowMeans' }], data);
    expectAllClose((await rowMeans.transform(data)).values, [-2, -1, 3, -1.6666667, -0.6666667, 2.3333333], {
      absolute: 1e-6,
    });
    const l1 = await Preprocessing.fit([{ type: 'l1Normalize' }], data);
    expectAllClose((await l1.transform(data)).values, [1 / 9, 2 / 9, 6 / 9, -1 / 4, 0, 3 / 4], { absolute: 1e-6 });
  });

  it('PCA decorrelates in order of variance, whitens, projects onto fewer components and inverts', async () => {
    const data = await correlatedData();
    const pca = await Preprocessing.fit([{ type: 'pca' }], data);
    const { cov } = moments(await pca.transform(data));
    const variances = cov.filter((_, k) => k % (COLUMNS + 1) === 0);
    expect([...variances].every((v, i) => i === 0 || v <= (variances[i - 1] as number))).toBe(true);
    const offDiagonal = cov.filter((_, k) => k % (COLUMNS + 1) !== 0);
    expect(Math.max(...offDiagonal.map(Math.abs))).toBeLessThan(1e-3 * (variances[0] as number));
    expectAllClose((await pca.inverse(await pca.transform(data))).values, data.values, { absolute: 1e-3 });

    const whitened = await Preprocessing.fit([{ type: 'pca', whiten: true, epsilon: 0 }], data);
    expectAllClose(moments(await whitened.transform(data)).cov, identity(COLUMNS), { absolute: 2e-3 });

    const two = await Preprocessing.fit([{ type: 'pca', components: 2 }], data);
    const projected = await two.transform(data);
    expect(projected.columns).toBe(2);
    // The reconstruction from two components keeps exactly their share of the variance.
    const residual = (await two.inverse(projected)).values.map((v, i) => (data.values[i] as number) - v);
    const residualVariance = residual.reduce((a, v) => a + v * v, 0) / ROWS;
    expect(residualVariance).toBeCloseTo((variances[2] as number) + (variances[3] as number), 2);
  });

  it('ZCA is the symmetric whitening map W = Σ^(−1/2): W Σ W = I, and it inverts', async () => {
    const data = await correlatedData();
    const zca = await Preprocessing.fit([{ type: 'zca', epsilon: 0 }], data);
    const { mean, cov } = moments(data);
    // Columns of W: the map applied to the unit vectors (plus the mean).
    const unit = Float32Array.from(
      { length: COLUMNS * COLUMNS },
      (_, k) => (k % (COLUMNS + 1) === 0 ? 1 : 0) + (mean[k % COLUMNS] as number),
    );
    const w = (await zca.transform({ rows: COLUMNS, columns: COLUMNS, values: unit })).values;
    expectAllClose(
      w,
      Array.from(
        { length: COLUMNS * COLUMNS },
        (_, k) => w[(k % COLUMNS) * COLUMNS + Math.floor(k / COLUMNS)] as number,
      ),
      {
        absolute: 1e-4,
      },
    );
    const wsw = new Float64Array(COLUMNS * COLUMNS);
    for (let i = 0; i < COLUMNS; i++)
      for (let j = 0; j < COLUMNS; j++)
        for (let a = 0; a < COLUMNS; a++)
          for (let b = 0; b < COLUMNS; b++)
            wsw[i * COLUMNS + j] =
              (wsw[i * COLUMNS + j] as number) +
              (w[i * COLUMNS + a] as number) * (cov[a * COLUMNS + b] as number) * (w[b * COLUMNS + j] as number);
    expectAllClose(wsw, identity(COLUMNS), { absolute: 2e-3 });
    expectAllClose((await zca.inverse(await zca.transform(data))).values, data.values, { absolute: 1e-3 });
  });

  it('a chain saved as statistics and restored maps rows as the fitted one does', async () => {
    const data = await correlatedData();
    const fitted = await Preprocessing.fit([{ type: 'rescale' }, { type: 'pca', components: 3, whiten: true }], data);
    const restored = Preprocessing.restore(fitted.steps, new Map(Object.entries(fitted.statistics())), 'model.json');
    expect(restored.steps).toEqual(fitted.steps);
    expectAllClose((await restored.transform(data)).values, (await fitted.transform(data)).values, { absolute: 1e-4 });
    expect(() => Preprocessing.restore(fitted.steps, new Map(), 'model.json')).toThrow(
      "model.json: preprocessing statistic '0.range' is missing",
    );
    const saved = new Map(Object.entries(fitted.statistics()));
    const edited = (key: string, shape: number[], data: Float32Array) =>
      Preprocessing.restore(fitted.steps, new Map([...saved, [key, { shape, data }]]), 'model.json');
    expect(() => edited('1.variances', [2], Float32Array.of(1, 2))).toThrow(
      "model.json: preprocessing statistic '1.variances' has shape [2], expected [3]",
    );
    expect(() => edited('1.mean', [4], Float32Array.of(0, Number.NaN, 0, 0))).toThrow(
      "model.json: preprocessing statistic '1.mean' is NaN at index 1",
    );
    expect(() => edited('0.columns', [1], Float32Array.of(5))).toThrow(
      'model.json: preprocessing step 1 takes 4 columns, but step 0 returns 5',
    );
  });

  it('refuses bad steps and data with typed errors', async () => {
    const data = await correlatedData();
    await expect(Preprocessing.fit([{ type: 'zcaa' } as never], data)).rejects.toThrow(ConfigError);
    await expect(Preprocessing.fit([{ type: 'pca', components: 9 }], data)).rejects.toThrow(
      'Preprocessing.fit: steps[0].components: expected at most the 4 columns of the data, got 9',
    );
    const bad = { rows: 2, columns: 2, values: Float32Array.of(1, Number.NaN, 0, 1) };
    await expect(Preprocessing.fit([{ type: 'standardize' }], bad)).rejects.toThrow(DataError);
    const chain = await Preprocessing.fit([{ type: 'standardize' }], data);
    await expect(chain.transform({ rows: 1, columns: 3, values: new Float32Array(3) })).rejects.toThrow(
      'Preprocessing.transform: expected rows of 4 columns, got 3',
    );
  });
});
