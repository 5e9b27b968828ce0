import type { Backend, Tensor } from '../../backends/index.js';

/**
 * The mean over the batch of the outer products, `aᵀb / batch`: the correlation term of an
 * RBM's weight gradient, for tests that write a training step by hand.
 * @param a - (batch, n) @param b - (batch, m) @returns (n, m)
 */
export function meanOuter(be: Backend, a: Tensor, b: Tensor): Tensor {
  return be.tidy(() => be.div(be.matmul(a, b, { transposeA: true }), be.shape(a)[0] as number));
}
