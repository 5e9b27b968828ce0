/**
 * Training: SGD over minibatches, greedy layerwise pretraining of deep models, the gradient
 * estimators (cd, pcd, fast pcd, tap, parallel tempering; made by factories registered by name)
 * and the dropout family wrapping them, metrics and the progress monitor.
 * @packageDocumentation
 * @module relief/fit
 */

export { symmetricEigenvalues } from '../linalg/index.js';
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
  KStepReconstructionError,
  METRIC_NAMES,
  METRICS,
  type Metric,
  type MetricName,
  metricsByName,
  OPTIONAL_METRICS,
  PseudoLikelihood,
  ReconstructionError,
  type ReconstructionErrorOptions,
  ReconstructionSSIM,
  ReverseKLDivergence,
  reconstructionError,
  structuralSimilarity,
  TAPFreeEnergy,
  TAPLogLikelihood,
  WeightSparsity,
  WeightSquare,
} from '../metrics/index.js';
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
  type DropoutOptions,
  type DropoutType,
  dropConnect,
  dropout,
  energyDropout,
  scaleWeightsForInference,
  withDropout,
} from './dropout.js';
export { type FastPCDOptions, fastPcd, fastPcdOptionsSchema } from './fast-pcd.js';
export {
  LayerwisePretrain,
  PRETRAINING_SCALINGS,
  type PretrainHistory,
  type PretrainingScaling,
  type PretrainOptions,
  type PretrainStage,
} from './layerwise.js';
export {
  createMethod,
  type MethodEntry,
  methodEntry,
  registeredMethods,
  registerMethod,
} from './method-registry.js';
export {
  type CDOptions,
  cd,
  cdOptionsSchema,
  contrastiveDivergence,
  type FitMethod,
  type MethodFactory,
  type MethodValidation,
  methodFactory,
  type PCDOptions,
  type PersistentTensors,
  pcd,
  pcdOptionsSchema,
  persistentContrastiveDivergence,
} from './methods.js';
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
export { SGD, SGD as StochasticGradientDescent, type TrainOptions } from './sgd.js';
export { TAP, type TAPOptions, tap, tapOptionsSchema } from './tap.js';
export { PT, type PTOptions, pt, ptOptionsSchema } from './tempering.js';
