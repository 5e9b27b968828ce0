/**
 * The source priors of ICA: each gives the log-density of a source value and its score
 * φ(y) = d ln p(y)/dy, elementwise on the backend.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';

/** The names of the priors. */
export const ICA_PRIORS = ['laplace', 'logistic'] as const;
/** A prior by name: `laplace` p(y) = ½e^{−|y|} (PyDeep's default); `logistic` p(y) = ½ sech²(y) (PyDeep's log-likelihood). */
export type IcaPrior = (typeof ICA_PRIORS)[number];

/** ln p(y) for each value. @param sources - (rows, n) @returns (rows, n) */
export function priorLogDensity(prior: IcaPrior, sources: Tensor): Tensor {
  return be.tidy(() => {
    const magnitude = be.abs(sources);
    if (prior === 'laplace') return be.sub(be.neg(magnitude), Math.LN2);
    // ln(½ sech² y) = ln 2 − 2|y| − 2 ln(1 + e^{−2|y|}), stable for large |y|.
    const tail = be.softplus(be.mul(magnitude, -2));
    return be.sub(Math.LN2, be.mul(be.add(magnitude, tail), 2));
  });
}

/** φ(y) = d ln p(y)/dy for each value: −sign(y) or −2 tanh(y). @param sources - (rows, n) @returns (rows, n) */
export function priorScore(prior: IcaPrior, sources: Tensor): Tensor {
  return be.tidy(() => {
    if (prior === 'laplace') return be.neg(be.sign(sources));
    // −2 tanh y = 2 − 4σ(2y)
    return be.sub(2, be.mul(be.sigmoid(be.mul(sources, 2)), 4));
  });
}
