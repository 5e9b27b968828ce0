/**
 * Principal components of a covariance matrix, from its eigen-decomposition: what PCA
 * initialization of weights and PCA/ZCA preprocessing share.
 * @packageDocumentation
 */
import { symmetricEigen } from './symmetric-eigen.js';

/** The top principal directions and their variances. */
export interface PrincipalComponents {
  /** (n, k) row-major; column c is the direction of the c-th largest variance, unit length */
  readonly directions: Float64Array;
  /** (k) descending, floored at 0 (a covariance is positive semi-definite) */
  readonly variances: Float64Array;
}

/**
 * The top `k` principal components of a covariance.
 * @param covariance - (n, n) row-major, symmetric positive semi-definite
 * @param k - how many components, at most n
 */
export function principalComponents(covariance: ArrayLike<number>, n: number, k: number): PrincipalComponents {
  if (k > n) throw new RangeError(`principalComponents: expected at most ${n} components, got ${k}`);
  const { values, vectors } = symmetricEigen(covariance, n);
  const directions = new Float64Array(n * k);
  for (let r = 0; r < n; r++) directions.set(vectors.subarray(r * n, r * n + k), r * k);
  return { directions, variances: values.slice(0, k).map((v) => Math.max(v, 0)) };
}
