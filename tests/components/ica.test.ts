import { afterEach, describe, expect, it } from 'vitest';
import { be, use } from '../../backends/index.js';
import { Preprocessing } from '../../batch/index.js';
import { amariDistance, ICA, ICA_PRIORS, naturalGradient } from '../../components/index.js';
import { ConfigError, ShapeError } from '../../errors/index.js';
import { laplacianMixture, MIXING } from './mixtures.js';

afterEach(async () => {
  await use('cpu');
});

const matrix = (values: number[], rows: number, columns: number) => be.tensor(values, [rows, columns]);

describe('amariDistance', () => {
  const a = [2, 1, 0.5, 1, -0.7, 0.3, 0.2, 0.4, 1.5];

  it('is 0 between A and Π D A (rows permuted and scaled)', async () => {
    // Π D A: rows (2, 0, 1) of A, scaled by −3, 0.5, 2.
    const permutedScaled = [0.2 * -3, 0.4 * -3, 1.5 * -3, 2 * 0.5, 1 * 0.5, 0.5 * 0.5, 1 * 2, -0.7 * 2, 0.3 * 2];
    expect(await amariDistance(matrix(a, 3, 3), matrix(permutedScaled, 3, 3))).toBeCloseTo(0, 5);
    expect(await amariDistance(matrix(a, 3, 3), matrix(a, 3, 3))).toBeCloseTo(0, 5);
  });

  it('is 0 between mixing matrices A and A Π D compared as PyDeep does, transposed', async () => {
    const mixing = [2, 1, 1, -0.7];
    const permutedScaled = [1 * 4, 2 * -0.5, -0.7 * 4, 1 * -0.5]; // columns swapped, scaled by 4 and −0.5
    const transpose = (m: number[]) => [m[0], m[2], m[1], m[3]] as number[];
    expect(await amariDistance(matrix(transpose(mixing), 2, 2), matrix(transpose(permutedScaled), 2, 2))).toBeCloseTo(
      0,
      5,
    );
  });

  it('is positive otherwise, and (n − 1)·… bounded: a 30° rotation of the identity in 2-D', async () => {
    const [c, s] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)];
    const distance = await amariDistance(matrix([c, -s, s, c], 2, 2), matrix([1, 0, 0, 1], 2, 2));
    // P = |R|: ((1 + s/c) + (1 + s/c)) · 2 / 4 − 1 = s/c
    expect(distance).toBeCloseTo(s / c, 5);
    expect(distance).toBeLessThanOrEqual(1);
  });

  it('refuses matrices that are not square of one size', async () => {
    await expect(amariDistance(matrix([1, 2], 1, 2), matrix([1, 0, 0, 1], 2, 2))).rejects.toThrow(ShapeError);
  });
});

describe('ICA', () => {
  // A tiny case by hand: rows x (3, 2) and W (2, 2), row-major; y = x W.
  const data = [0.3, -1.2, 2.0, 0.5, -0.7, -0.4];
  const w = [1.1, 0.2, -0.3, 0.9];
  const at = (values: readonly number[], i: number) => values[i] as number;
  const source = (r: number, j: number) => at(data, 2 * r) * at(w, j) + at(data, 2 * r + 1) * at(w, 2 + j);

  it('natural-gradient step is W (I + yᵀφ(y)/rows), on float64', async () => {
    await use('float64');
    for (const prior of ICA_PRIORS) {
      const result = await be.read(naturalGradient(matrix(w, 2, 2), matrix(data, 3, 2), prior));
      const score = (y: number) => (prior === 'laplace' ? -Math.sign(y) : -2 * Math.tanh(y));
      // C = yᵀφ(y)/3, then W + W C.
      const correlation = (i: number, j: number) =>
        [0, 1, 2].reduce((a, r) => a + source(r, i) * score(source(r, j)), 0) / 3;
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 2; j++) {
          const expected = at(w, 2 * i + j) + at(w, 2 * i) * correlation(0, j) + at(w, 2 * i + 1) * correlation(1, j);
          expect(result[2 * i + j]).toBeCloseTo(expected, 5);
        }
    }
  });

  it('log-likelihood is Σ ln p(yⱼ) + ln |det W| per row, the logistic prior as PyDeep writes it', async () => {
    await use('float64');
    const logAbsDet = Math.log(Math.abs(1.1 * 0.9 - 0.2 * -0.3));
    for (const prior of ICA_PRIORS) {
      const model = ICA.fromUnmixing(matrix(w, 2, 2), prior);
      const result = await be.read(model.logLikelihood(matrix(data, 3, 2)));
      const logDensity = (y: number) =>
        prior === 'laplace' ? -Math.abs(y) - Math.LN2 : Math.log(0.5 / Math.cosh(y) ** 2);
      for (let r = 0; r < 3; r++) {
        expect(result[r]).toBeCloseTo(logDensity(source(r, 0)) + logDensity(source(r, 1)) + logAbsDet, 5);
      }
      model.dispose();
    }
  });

  it.each([
    { algorithm: 'naturalGradient', prior: 'laplace' },
    { algorithm: 'naturalGradient', prior: 'logistic' },
    { algorithm: 'fastICA', prior: 'logistic' },
  ] as const)(
    '$algorithm with a $prior prior recovers a 2-D mixture of two Laplacian sources (Amari distance ≤ 0.05)',
    async ({ algorithm, prior }) => {
      const data = laplacianMixture(5000, MIXING, 42);
      const zca = await Preprocessing.fit([{ type: 'zca' }], data);
      const whitened = await zca.transform(data);
      const rows = be.tensor(whitened.values, [whitened.rows, 2]);
      const before = be.numTensors();
      const model = await ICA.fit(rows, { algorithm, prior });
      expect(be.numTensors()).toBe(before + 1);
      const estimated = await model.mixingInDataSpace(zca);
      const trueRows = be.tensor([MIXING[0], MIXING[2], MIXING[1], MIXING[3]] as number[], [2, 2]);
      const distance = await amariDistance(estimated, trueRows);
      expect(distance).toBeLessThanOrEqual(0.05);
      const meanLogLikelihood = await be.read(be.mean(model.logLikelihood(rows)));
      expect(Number.isFinite(meanLogLikelihood[0])).toBe(true);
      be.dispose([estimated, trueRows, rows]);
      model.dispose();
    },
  );

  it('unproject undoes project', async () => {
    const model = ICA.fromUnmixing(matrix([1.1, 0.2, -0.3, 0.9], 2, 2));
    const data = matrix([0.3, -1.2, 2.0, 0.5], 2, 2);
    const back = await be.read(model.unproject(model.project(data)));
    for (const [i, v] of [0.3, -1.2, 2.0, 0.5].entries()) expect(back[i]).toBeCloseTo(v, 4);
    model.dispose();
  });

  it('FastICA keeps the filters orthonormal', async () => {
    const data = laplacianMixture(500, MIXING, 3);
    const zca = await Preprocessing.fit([{ type: 'zca' }], data);
    const rows = be.tensor((await zca.transform(data)).values, [500, 2]);
    const model = await ICA.fit(rows, { algorithm: 'fastICA', iterations: 5 });
    const gram = await be.read(be.matmul(model.unmixing, model.unmixing, { transposeA: true }));
    for (const [i, v] of [1, 0, 0, 1].entries()) expect(gram[i]).toBeCloseTo(v, 5);
    model.dispose();
  });

  it('refuses bad options and shapes, naming them', async () => {
    const data = matrix([1, 2, 3, 4], 2, 2);
    await expect(ICA.fit(data, { iterations: -1 })).rejects.toThrow(
      /ICA.fit: iterations: expected a non-negative integer, got -1/,
    );
    await expect(ICA.fit(data, { stepsize: 0 })).rejects.toThrow(ConfigError);
    await expect(ICA.fit(data, { algorithm: 'jade' as never })).rejects.toThrow(
      /algorithm: expected one of naturalGradient, fastICA, got jade/,
    );
    expect(() => ICA.fromUnmixing(matrix([1, 2], 1, 2))).toThrow(/expected a square \(n, n\) matrix, got \[1, 2\]/);
    expect(() => ICA.fromUnmixing(matrix([1, 0, 0, 1], 2, 2), 'gauss' as never)).toThrow(
      /prior: expected one of laplace, logistic, got gauss/,
    );
  });
});
