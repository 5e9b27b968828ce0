import { describe, expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { SeededRandom } from '../../backends/random.js';
import { PCAModel } from '../../components/index.js';
import { gaussianDraw } from './mixtures.js';

describe('PCAModel.sample', () => {
  it("draws rows whose mean and covariance match the fitted model's within sampling error", async () => {
    const random = new SeededRandom(11);
    const gaussian = () => gaussianDraw(random);
    const rows = 4000;
    const values = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) {
      const [a, b, c] = [gaussian(), gaussian(), gaussian()];
      values.set([3 + 2 * a, a - b, 0.5 * c - 0.4 * a], r * 3);
    }
    const model = await PCAModel.fit({ rows, columns: 3, values }, { components: 2 });
    const { mean, basis, variances } = model.statistics;
    const count = 20_000;
    const samples = await be.read(model.sample(count));
    // Fitted covariance of the kept components: B Λ Bᵀ.
    const fitted = (i: number, j: number) =>
      [0, 1].reduce(
        (a, c) => a + (basis[i * 2 + c] as number) * (variances[c] as number) * (basis[j * 2 + c] as number),
        0,
      );
    const sampleMean = [0, 1, 2].map((i) => {
      let total = 0;
      for (let r = 0; r < count; r++) total += samples[r * 3 + i] as number;
      return total / count;
    });
    for (let i = 0; i < 3; i++) {
      // The mean's standard error is √(Σᵢᵢ / count); allow 4 of them.
      expect(Math.abs((sampleMean[i] as number) - (mean[i] as number))).toBeLessThan(
        4 * Math.sqrt(fitted(i, i) / count) + 1e-6,
      );
      for (let j = 0; j < 3; j++) {
        let total = 0;
        for (let r = 0; r < count; r++)
          total +=
            ((samples[r * 3 + i] as number) - (sampleMean[i] as number)) *
            ((samples[r * 3 + j] as number) - (sampleMean[j] as number));
        const sampleCovariance = total / count;
        // A Gaussian sample covariance's standard error is √((Σᵢᵢ Σⱼⱼ + Σᵢⱼ²) / count); allow 4 of them.
        const standardError = Math.sqrt((fitted(i, i) * fitted(j, j) + fitted(i, j) ** 2) / count);
        expect(Math.abs(sampleCovariance - fitted(i, j))).toBeLessThan(4 * standardError + 1e-6);
      }
    }
    model.dispose();
  });
});
