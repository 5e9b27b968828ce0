/**
 * The eigen-decomposition of a real symmetric matrix on the host, in float64: Householder
 * reduction to tridiagonal form and the implicit QL algorithm (`ml-matrix`'s
 * `EigenvalueDecomposition`). The one eigen-solver of the library.
 * @packageDocumentation
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Eigenvalues in descending order and the matching unit eigenvectors. */
export interface SymmetricEigen {
  /** (n) descending */
  readonly values: Float64Array;
  /** (n, n) row-major; column c is the eigenvector of `values[c]` */
  readonly vectors: Float64Array;
}

/**
 * A = V Λ Vᵀ with V orthonormal. Only the lower triangle's symmetry is assumed, not checked.
 * @param matrix - (n, n) row-major, symmetric
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  const rows = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => matrix[r * n + c] as number));
  const decomposition = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const order = decomposition.realEigenvalues
    .map((value, index) => ({ value, index }))
    .sort((a, b) => b.value - a.value);
  const eigenvectors = decomposition.eigenvectorMatrix;
  const vectors = new Float64Array(n * n);
  order.forEach(({ index }, c) => {
    for (let r = 0; r < n; r++) vectors[r * n + c] = eigenvectors.get(r, index);
  });
  return { values: Float64Array.from(order, ({ value }) => value), vectors };
}

/** The eigenvalues of a symmetric matrix, descending. @param matrix - (n, n) row-major @returns (n) */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): Float64Array {
  return symmetricEigen(matrix, n).values;
}
