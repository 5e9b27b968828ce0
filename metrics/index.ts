/**
 * Metrics of a model on data, as in Paysage's progress monitor. Each metric accumulates
 * over validation batches (`update`) and reports one number (`value`). An assessment holds
 * a data batch with its hidden means, its reconstructions and fantasy particles.
 * Published under `relief/fit`.
 * @packageDocumentation
 */
export { EnergyCoefficient, EnergyDistance } from './energy-distance.js';
export { FrechetScore } from './frechet.js';
export { HeatCapacity } from './heat-capacity.js';
export {
  KStepReconstructionError,
  type ReconstructionErrorOptions,
  reconstructionError,
} from './k-step-reconstruction-error.js';
export type { Assessment, Metric } from './metric.js';
export { JensenShannonDivergence, KLDivergence, ReverseKLDivergence } from './nearest-neighbours.js';
export { PseudoLikelihood } from './pseudo-likelihood.js';
export { ReconstructionError } from './reconstruction-error.js';
export {
  allMetrics,
  METRIC_NAMES,
  METRICS,
  type MetricName,
  metricsByName,
  OPTIONAL_METRICS,
} from './registry.js';
export { type ImageShape, ReconstructionSSIM, structuralSimilarity } from './ssim.js';
export { TAPFreeEnergy, TAPLogLikelihood } from './tap.js';
export { WeightSparsity, WeightSquare } from './weights.js';
