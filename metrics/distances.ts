/**
 * Euclidean distances between samples, shared by the energy-distance and nearest-neighbour metrics.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';

/** Euclidean distances between every row of x and every row of y. @returns (rows x, rows y) on the host */
export async function pairwiseDistances(x: Tensor, y: Tensor): Promise<Float64Array> {
  const squared = be.tidy(() => {
    const xx = be.sum(be.square(x), 1, true);
    const yy = be.reshape(be.sum(be.square(y), 1), [1, be.shape(y)[0] as number]);
    return be.sub(be.add(xx, yy), be.mul(be.matmul(x, y, { transposeB: true }), 2));
  });
  const values = Float64Array.from(await be.read(squared), (v) => Math.sqrt(Math.max(v, 0)));
  be.dispose(squared);
  return values;
}
