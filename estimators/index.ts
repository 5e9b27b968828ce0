/**
 * Estimators of partition functions and likelihoods: exact enumeration for tiny models,
 * annealed importance sampling, the second-order TAP free energy, the pseudo-likelihood, and
 * Salakhutdinov & Murray's lower bound on a deep belief network's log-likelihood.
 *
 * ```ts
 * import { estimators } from 'relief';
 * const exact = estimators.exactLogLikelihood(tinyRbm, data);                    // (batch)
 * const { logZ, logZError, logLikelihood } = await estimators.estimateLogLikelihood(rbm, test);
 * const pessimistic = await estimators.estimateLogLikelihood(rbm, test, { method: 'reverse-ais' });
 * const minusLogZ = estimators.tapFreeEnergy(rbm);                               // scalar
 * const logPL = estimators.pseudoLogLikelihood(rbm, binaryRows);                 // (batch)
 * ```
 * @packageDocumentation
 * @module relief/estimators
 */
export {
  type AISOptions,
  ANNEALING_PATHS,
  type AnnealingPath,
  type AnnealingPathChoice,
  annealedImportanceSampling,
  annealingSchedule,
  estimateLogLikelihood,
  type LogLikelihoodEstimate,
  type LogLikelihoodOptions,
  type LogPartitionEstimate,
  reverseAnnealedImportanceSampling,
} from './ais.js';
export {
  type BeliefNetworkStack,
  type DbnLikelihoodOptions,
  type DbnLogLikelihoodEstimate,
  estimateDbnLogLikelihood,
} from './dbn-likelihood.js';
export {
  exactFreeEnergy,
  exactGradient,
  exactJointDistribution,
  exactLogLikelihood,
  exactLogPartition,
  MAX_ENUMERATED_ROWS,
} from './exact.js';
export { type ImportanceWeightedOptions, importanceWeightedFreeEnergy } from './importance-weighted.js';
export { type PseudoLikelihoodOptions, pseudoLogLikelihood } from './pseudo-likelihood.js';
export {
  hasTapTerms,
  Magnetizations,
  tapBreakdown,
  tapFreeEnergy,
  tapGibbsFreeEnergy,
  tapGradient,
  tapMagnetizations,
} from './tap.js';
