/**
 * Training: SGD over minibatches, greedy layerwise pretraining of deep models, the gradient
 * estimators (cd, pcd, tap, parallel tempering) and the dropout family wrapping them, metrics and the progress monitor.
 * @packageDocumentation
 * @module relief/fit
 */

export { symmetricEigenvalues } from '../linalg/index.js';
export {
  loadCheckpoint,
  type RunParts,
  type RunPosition,
  restoreRun,
  saveCheckpoint,
  snapshotRun,
  TRAINING_FILE,
  TRAINING_FORMAT,
  TRAINING_FORMAT_VERSION,
  TRAINING_TENSORS_FILE,
  type TrainingSnapshot,
} from './checkpoint.js';
export {
  DROPOUT_TYPES,
  type DropoutType,
  dropConnect,
  dropout,
  energyDropout,
  scaleWeightsForInference,
  withDropout,
} from './dropout.js';
export {
  LayerwisePretrain,
  PRETRAINING_SCALINGS,
  type PretrainHistory,
  type PretrainingScaling,
  type PretrainOptions,
  type PretrainStage,
} from './layerwise.js';
export {
  cd,
  contrastiveDivergence,
  type FitMethod,
  type MethodValidation,
  type PersistentTensors,
  pcd,
  persistentContrastiveDivergence,
} from './methods.js';
export {
  type Assessment,
  allMetrics,
  EnergyCoefficient,
  EnergyDistance,
  FrechetScore,
  HeatCapacity,
  type ImageShape,
  JensenShannonDivergence,
  KLDivergence,
  METRIC_NAMES,
  METRICS,
  type Metric,
  type MetricName,
  metricsByName,
  OPTIONAL_METRICS,
  PseudoLikelihood,
  ReconstructionError,
  ReconstructionSSIM,
  ReverseKLDivergence,
  structuralSimilarity,
  TAPFreeEnergy,
  TAPLogLikelihood,
  WeightSparsity,
  WeightSquare,
} from './metrics.js';
export {
  checkRunHooks,
  type EpochRecord,
  endEpoch,
  History,
  type MetricGoal,
  ProgressMonitor,
  type ProgressMonitorOptions,
  RUN_HOOK_KEYS,
  type RunHooks,
  type StoppingRule,
} from './monitor.js';
export {
  RESTRICTION_NORMS,
  type RestrictGradientOptions,
  type RestrictionNorm,
  restrictGradient,
  type SparsityOptions,
  sparsityTarget,
} from './regularizers.js';
export { SGD, SGD as StochasticGradientDescent, type SGDStage, type TrainOptions } from './sgd.js';
export { TAP, type TAPOptions } from './tap.js';
export { PT, type PTOptions } from './tempering.js';
