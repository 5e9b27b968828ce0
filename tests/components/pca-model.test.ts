import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { SeededRandom } from '../../backends/random.js';
import type { HostMatrix } from '../../batch/index.js';
import { ICA, loadICA, loadPCA, PCAModel, saveICA, savePCA } from '../../components/index.js';
import { ConfigError, DataError, ShapeError } from '../../errors/index.js';
import { writeModelDirectory } from '../../models/index.js';
import { gaussianDraw } from './mixtures.js';

/** Correlated Gaussian rows (rows, 3): x = z L + (1, −2, 0.5). */
function correlatedRows(rows: number, seed: number): HostMatrix {
  const random = new SeededRandom(seed);
  const gaussian = () => gaussianDraw(random);
  const values = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    const [a, b, c] = [gaussian(), gaussian(), gaussian()];
    values.set([1 + 2 * a, -2 + a + 0.5 * b, 0.5 + 0.3 * a - 0.2 * b + 0.1 * c], r * 3);
  }
  return { rows, columns: 3, values };
}

const directory = mkdtempSync(join(tmpdir(), 'relief-components-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('PCAModel', () => {
  const data = correlatedRows(2000, 7);

  it('with all components, unproject(project(x)) is x, plain and whitened', async () => {
    for (const whiten of [false, true]) {
      const model = await PCAModel.fit(data, { whiten });
      const rows = be.tensor(data.values.subarray(0, 30), [10, 3]);
      const projected = model.project(rows);
      const back = await be.read(model.unproject(projected));
      for (const [i, v] of back.entries()) expect(v).toBeCloseTo(data.values[i] as number, 4);
      if (whiten) {
        const all = model.project(be.tensor(data.values, [data.rows, 3]));
        const variances = await be.read(be.variance(all, 0));
        for (const v of variances) expect(v).toBeCloseTo(1, 3);
      }
      model.dispose();
    }
  });

  it('projects onto the top components, descending, and their ratios add up to 1 with all kept', async () => {
    const all = await PCAModel.fit(data);
    const variances = all.explainedVariance();
    expect(variances[0]).toBeGreaterThan(variances[1] as number);
    expect(variances[1]).toBeGreaterThan(variances[2] as number);
    expect(all.explainedVarianceRatio().reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    const top = await PCAModel.fit(data, { components: 1 });
    expect(top.numComponents).toBe(1);
    expect(top.explainedVarianceRatio()[0]).toBeCloseTo(all.explainedVarianceRatio()[0] as number, 5);
    expect(top.statistics.residualVariance).toBeCloseTo(((variances[1] as number) + (variances[2] as number)) / 2, 5);
    all.dispose();
    top.dispose();
  });

  it('log-likelihood with all components is the Gaussian of the sample covariance', async () => {
    const model = await PCAModel.fit(data);
    const { mean, basis, variances } = model.statistics;
    // Σ⁻¹ = B Λ⁻¹ Bᵀ; ln det Σ = Σ ln λ.
    const x = [2, -1, 0.3];
    const centred = x.map((v, i) => v - (mean[i] as number));
    const projected = [0, 1, 2].map((c) => centred.reduce((a, v, i) => a + v * (basis[i * 3 + c] as number), 0));
    const quadratic = projected.reduce((a, y, c) => a + y ** 2 / (variances[c] as number), 0);
    const logDet = Array.from(variances).reduce((a, v) => a + Math.log(v), 0);
    const [found] = await be.read(model.logLikelihood(be.tensor(x, [1, 3])));
    expect(found).toBeCloseTo(-0.5 * (3 * Math.log(2 * Math.PI) + logDet + quadratic), 4);
    model.dispose();
  });

  it('refuses a bad number of components and rows of the wrong width', async () => {
    await expect(PCAModel.fit(data, { components: 4 })).rejects.toThrow(
      /PCAModel.fit: components: expected an integer in \[1, 3\], got 4/,
    );
    await expect(PCAModel.fit(data, { components: 0 })).rejects.toThrow(ConfigError);
    const model = await PCAModel.fit(data, { components: 2 });
    expect(() => model.project(be.tensor([1, 2], [1, 2]))).toThrow(ShapeError);
    expect(() => model.unproject(be.tensor([1, 2, 3], [1, 3]))).toThrow(/expected \(rows, 2\), got \[1, 3\]/);
    expect(() => model.sample(0)).toThrow(ConfigError);
    model.dispose();
  });

  it('saves and loads: the same statistics and projections', async () => {
    const model = await PCAModel.fit(data, { components: 2, whiten: true });
    await savePCA(model, join(directory, 'pca'), { data: 'correlated' });
    const { model: loaded, metadata } = await loadPCA(join(directory, 'pca'));
    expect(metadata).toEqual({ data: 'correlated' });
    expect(loaded.statistics).toEqual(model.statistics);
    const rows = be.tensor(data.values.subarray(0, 12), [4, 3]);
    expect(await be.read(loaded.project(rows))).toEqual(await be.read(model.project(rows)));
    expect(await be.read(loaded.logLikelihood(rows))).toEqual(await be.read(model.logLikelihood(rows)));
    model.dispose();
    loaded.dispose();
  });
});

describe('saved ICA', () => {
  it('saves and loads: the same unmixing and prior', async () => {
    const model = ICA.fromUnmixing(be.tensor([1.1, 0.2, -0.3, 0.9], [2, 2]), 'logistic');
    await saveICA(model, join(directory, 'ica'));
    const { model: loaded, metadata } = await loadICA(join(directory, 'ica'));
    expect(metadata).toEqual({});
    expect(loaded.prior).toBe('logistic');
    expect(await be.read(loaded.unmixing)).toEqual(await be.read(model.unmixing));
    model.dispose();
    loaded.dispose();
  });

  it('refuses a directory of the other kind, and a misshapen tensor, naming them', async () => {
    await expect(loadICA(join(directory, 'pca'))).rejects.toThrow(/kind|expected a saved ica model/);
    await writeModelDirectory(
      join(directory, 'bad-ica'),
      { format: 'relief-component', kind: 'ica', prior: 'laplace', numComponents: 3, metadata: {} },
      { unmixing: { shape: [2, 2], data: new Float32Array(4) } },
    );
    await expect(loadICA(join(directory, 'bad-ica'))).rejects.toThrow(DataError);
    await expect(loadICA(join(directory, 'bad-ica'))).rejects.toThrow(
      /tensor 'unmixing' has shape \[2, 2\], expected \[3, 3\]/,
    );
  });
});
