/**
 * The Amari distance between two square matrices (PyDeep's `calculate_amari_distance`, the
 * "Amari error" of Bach and Jordan, 2002), on the backend.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ShapeError } from '../errors/index.js';
import { inverseAndLogDet } from '../linalg/index.js';

/**
 * With P = |A B⁻¹|: (Σᵢⱼ Pᵢⱼ / maxₖ Pₖⱼ + Σᵢⱼ Pᵢⱼ / maxₖ Pᵢₖ) / 2n − 1, in [0, n − 1]. It is 0
 * exactly when A = Π D B for a permutation Π and an invertible diagonal D, so the rows of A and
 * B are the vectors compared (pass a mixing matrix whose columns are the sources' directions
 * transposed, as PyDeep does). B⁻¹ is (BᵀB)⁻¹Bᵀ through linalg's Gauss–Jordan inverse.
 * @param a - (n, n) @param b - (n, n) invertible
 * @throws ShapeError when the matrices are not square of one size
 */
export async function amariDistance(a: Tensor, b: Tensor): Promise<number> {
  const [shapeA, shapeB] = [be.shape(a), be.shape(b)];
  const n = shapeA[0] as number;
  if (shapeA.length !== 2 || shapeA[1] !== n || shapeB.length !== 2 || shapeB[0] !== n || shapeB[1] !== n) {
    throw new ShapeError(
      `amariDistance: expected two square matrices of one size, got [${shapeA.join(', ')}] and [${shapeB.join(', ')}]`,
    );
  }
  const distance = be.tidy(() => {
    const { inverse: gramInverse } = inverseAndLogDet(be.matmul(b, b, { transposeA: true }));
    const inverseB = be.matmul(gramInverse, b, { transposeB: true });
    const product = be.abs(be.matmul(a, inverseB));
    const byColumn = be.sum(be.div(product, be.max(product, 0, true)));
    const byRow = be.sum(be.div(product, be.max(product, 1, true)));
    return be.sub(be.div(be.add(byColumn, byRow), 2 * n), 1);
  });
  const [value] = await be.read(distance);
  be.dispose(distance);
  return value as number;
}
