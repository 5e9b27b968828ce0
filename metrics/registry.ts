/**
 * The metrics by name, for configs and the progress monitor.
 * @packageDocumentation
 */
import { ConfigError } from '../errors/index.js';
import { EnergyCoefficient, EnergyDistance } from './energy-distance.js';
import { FrechetScore } from './frechet.js';
import { HeatCapacity } from './heat-capacity.js';
import { KStepReconstructionError } from './k-step-reconstruction-error.js';
import type { Metric } from './metric.js';
import { JensenShannonDivergence, KLDivergence, ReverseKLDivergence } from './nearest-neighbours.js';
import { PseudoLikelihood } from './pseudo-likelihood.js';
import { ReconstructionError } from './reconstruction-error.js';
import { ReconstructionSSIM } from './ssim.js';
import { TAPFreeEnergy, TAPLogLikelihood } from './tap.js';
import { WeightSparsity, WeightSquare } from './weights.js';

/** The metrics by name, for configs. */
export const METRICS = {
  ReconstructionError,
  EnergyCoefficient,
  EnergyDistance,
  HeatCapacity,
  WeightSparsity,
  WeightSquare,
  KLDivergence,
  ReverseKLDivergence,
  JensenShannonDivergence,
  FrechetScore,
} as const;

/** The names of the default metrics. */
export type MetricName = keyof typeof METRICS;

/** The metrics outside the default set, by name: they apply to some models only, or cost more. */
export const OPTIONAL_METRICS = {
  KStepReconstructionError,
  PseudoLikelihood,
  ReconstructionSSIM,
  TAPFreeEnergy,
  TAPLogLikelihood,
} as const;

/** Every metric's name, for configs. */
export const METRIC_NAMES = [...Object.keys(METRICS), ...Object.keys(OPTIONAL_METRICS)] as readonly (
  | MetricName
  | keyof typeof OPTIONAL_METRICS
)[];

/** Fresh instances of every default metric, in {@link METRICS} order. */
export function allMetrics(): Metric[] {
  return Object.values(METRICS).map((Make) => new Make());
}

/** Fresh instances of the metrics named (with their default options), in the order given. */
export function metricsByName(names: readonly (typeof METRIC_NAMES)[number][]): Metric[] {
  const known: Record<string, new () => Metric> = { ...METRICS, ...OPTIONAL_METRICS };
  return names.map((name) => {
    const Make = known[name];
    if (Make === undefined)
      throw new ConfigError(`metricsByName: no metric '${name}' (expected one of ${METRIC_NAMES.join(', ')})`);
    return new Make();
  });
}
