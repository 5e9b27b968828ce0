/**
 * Linear algebra that the library needs beyond the backend's primitives: the symmetric
 * eigen-decomposition (host, float64), principal components, and the Gauss–Jordan inverse
 * and log-determinant (backend operations).
 * @packageDocumentation
 */
export { inverseAndLogDet } from './gauss-jordan.js';
export { type PrincipalComponents, principalComponents } from './pca.js';
export { type SymmetricEigen, symmetricEigen, symmetricEigenvalues } from './symmetric-eigen.js';
