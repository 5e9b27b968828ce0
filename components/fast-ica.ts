/**
 * FastICA's symmetric fixed-point iteration with the tanh nonlinearity (Hyvärinen, 1999; the
 * algorithm of PyDeep's `ICA.train`), on whitened data: W ← E[x g(y)ᵀ] − W diag(E[g′(y)]) with
 * g = tanh, then W ← W (WᵀW)^(−½) so that the filters stay orthonormal. The n × n
 * decorrelation uses linalg's symmetric eigen-solver on the host.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { symmetricEigen } from '../linalg/index.js';

/**
 * W (WᵀW)^(−½): the orthonormal matrix closest to W.
 * @param unmixing - W (n, n) invertible @returns (n, n), the caller owns it
 */
export async function symmetricDecorrelation(unmixing: Tensor): Promise<Tensor> {
  const n = be.shape(unmixing)[0] as number;
  const gram = be.tidy(() => be.matmul(unmixing, unmixing, { transposeA: true }));
  const { values, vectors } = symmetricEigen(await be.read(gram), n);
  be.dispose(gram);
  // (WᵀW)^(−½) = V diag(λ^(−½)) Vᵀ
  const inverseRoot = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let c = 0; c < n; c++)
        total += ((vectors[i * n + c] as number) * (vectors[j * n + c] as number)) / Math.sqrt(values[c] as number);
      inverseRoot[i * n + j] = total;
    }
  return be.tidy(() => be.matmul(unmixing, be.tensor(inverseRoot, [n, n])));
}

/**
 * One symmetric FastICA step from W.
 * @param unmixing - W (n, n), orthonormal columns @param data - (rows, n) whitened
 * @returns the next W (n, n), orthonormal; the caller owns it
 */
export async function fastIcaStep(unmixing: Tensor, data: Tensor): Promise<Tensor> {
  const raw = be.tidy(() => {
    const rows = be.shape(data)[0] as number;
    // tanh y = 2σ(2y) − 1
    const nonlinearity = be.sub(be.mul(be.sigmoid(be.mul(be.matmul(data, unmixing), 2)), 2), 1);
    const correlation = be.div(be.matmul(data, nonlinearity, { transposeA: true }), rows);
    const slope = be.mean(be.sub(1, be.square(nonlinearity)), 0, true);
    return be.sub(correlation, be.mul(unmixing, slope));
  });
  const next = await symmetricDecorrelation(raw);
  be.dispose(raw);
  return next;
}

/**
 * How far two orthonormal filter sets are apart: 1 − minⱼ |⟨wⱼ, w′ⱼ⟩| (0 when every filter
 * is unchanged up to sign). @param before - (n, n) @param after - (n, n)
 */
export async function filterChange(before: Tensor, after: Tensor): Promise<number> {
  const cosines = be.tidy(() => be.abs(be.sum(be.mul(before, after), 0)));
  const values = await be.read(cosines);
  be.dispose(cosines);
  return 1 - Math.min(...values);
}
