/**
 * The inverse and log-determinant of a symmetric positive definite matrix by Gauss–Jordan
 * elimination in backend operations (no pivoting, which such a matrix does not need), for
 * penalties that must stay on the device: m steps, each a rank-one update of (m, 2m).
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';

/**
 * A⁻¹ and ln det A. @param matrix - (m, m) symmetric positive definite
 * @returns the inverse (m, m) and a scalar; NaN where A is not positive definite
 */
export function inverseAndLogDet(matrix: Tensor): { readonly inverse: Tensor; readonly logDet: Tensor } {
  const m = be.shape(matrix)[0] as number;
  return be.tidy(() => {
    const identity = be.tensor(
      Float32Array.from({ length: m * m }, (_, i) => (i % (m + 1) === 0 ? 1 : 0)),
      [m, m],
    );
    let augmented = be.concat([matrix, identity], 1);
    let logDet = be.zeros([]);
    for (let k = 0; k < m; k++) {
      const next = be.tidy(() => {
        const row = be.slice(augmented, [k, 0], [1, 2 * m]);
        const pivot = be.slice(row, [0, k], [1, 1]);
        const normalized = be.div(row, pivot);
        const column = be.sub(be.slice(augmented, [0, k], [m, 1]), be.slice(identity, [0, k], [m, 1]));
        return {
          augmented: be.sub(augmented, be.matmul(column, normalized)),
          logDet: be.add(logDet, be.reshape(be.log(pivot), [])),
        };
      });
      be.dispose([augmented, logDet]);
      ({ augmented, logDet } = next);
    }
    return { inverse: be.slice(augmented, [0, m], [m, m]), logDet };
  });
}
