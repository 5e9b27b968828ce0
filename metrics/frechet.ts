/**
 * The Fréchet distance between Gaussians fitted to data and fantasy particles.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { symmetricEigenvalues } from '../linalg/index.js';
import { type Assessment, AveragedMetric } from './metric.js';

/**
 * The Fréchet distance between Gaussians fitted to data and fantasy particles (FID without
 * the inception network): ‖μ₁ − μ₂‖² + tr C₁ + tr C₂ − 2 tr √(C₁C₂). With C₁ = AᵀA and
 * C₂ = BᵀB (A, B the centred samples scaled by 1/√n), tr √(C₁C₂) is the sum of the singular
 * values of ABᵀ, found from the small (n × n) Gram matrix (eigenvalues below 10⁻⁵ of the
 * largest count as zero: the Gram matrix has rank at most min(n, m, dimensions)).
 */
export class FrechetScore extends AveragedMetric {
  readonly name = 'FrechetScore';
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const x = dataState.getVisible();
    const y = modelState.getVisible();
    const [n, m] = [be.shape(x)[0] as number, be.shape(y)[0] as number];
    const parts = be.tidy(() => {
      const [mx, my] = [be.mean(x, 0), be.mean(y, 0)];
      const a = be.div(be.sub(x, mx), Math.sqrt(n));
      const b = be.div(be.sub(y, my), Math.sqrt(m));
      const cross = be.matmul(a, b, { transposeB: true }); // (n, m)
      return [
        be.sum(be.square(be.sub(mx, my))),
        be.sum(be.square(a)),
        be.sum(be.square(b)),
        be.matmul(cross, cross, { transposeB: true }), // (n, n)
      ];
    });
    const [meanGap, traceA, traceB] = await Promise.all(parts.slice(0, 3).map((t) => be.readScalar(t)));
    const gram = Float64Array.from(await be.read(parts[3] as Tensor));
    be.dispose(parts);
    // ABᵀ has rank at most min(n, m, dimensions): eigenvalues at float32 noise level are zeros.
    const eigenvalues = symmetricEigenvalues(gram, n);
    const floor = 1e-5 * Math.max(...eigenvalues, 0);
    const nuclear = eigenvalues.reduce((acc, e) => acc + (e > floor ? Math.sqrt(e) : 0), 0);
    this.average.add((meanGap as number) + (traceA as number) + (traceB as number) - 2 * nuclear);
  }
}
