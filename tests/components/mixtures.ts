/** Host draws for the components tests: linear mixtures of Laplacian sources, and Gaussian values. */
import { SeededRandom } from '../../backends/random.js';
import type { HostMatrix } from '../../batch/index.js';

/** The mixing matrix A (2, 2) of the tests, row-major; its columns are the sources' directions. */
export const MIXING = Float64Array.of(2, 1, 1, -0.7);

/**
 * Rows x = s Aᵀ for independent unit-scale Laplacian sources s.
 * @param mixing - A (n, n) row-major @returns (rows, n)
 */
export function laplacianMixture(rows: number, mixing: Float64Array, seed: number): HostMatrix {
  const n = Math.round(Math.sqrt(mixing.length));
  const random = new SeededRandom(seed);
  // A random sign times an exponential draw −ln(1 − u), u uniform on [0, 1).
  const sources = Float64Array.from(
    { length: rows * n },
    () => (random.nextFloat() < 0.5 ? -1 : 1) * -Math.log(1 - random.nextFloat()),
  );
  const values = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (let j = 0; j < n; j++) x += (sources[r * n + j] as number) * (mixing[i * n + j] as number);
      values[r * n + i] = x;
    }
  return { rows, columns: n, values };
}

/** One standard normal draw (Box–Muller). */
export function gaussianDraw(random: SeededRandom): number {
  return Math.sqrt(-2 * Math.log(1 - random.nextFloat())) * Math.cos(2 * Math.PI * random.nextFloat());
}
