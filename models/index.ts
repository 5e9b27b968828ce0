/**
 * Models: the BoltzmannMachine (any depth), its State, initialization from data,
 * exact enumeration for tiny models, and save/load.
 * @packageDocumentation
 */
export {
  type AISOptions,
  annealedImportanceSampling,
  annealingSchedule,
  estimateLogLikelihood,
  type LogLikelihoodEstimate,
  type LogPartitionEstimate,
} from './ais.js';
export {
  BoltzmannMachine,
  type ChainOptions,
  type Connection,
  type Gradient,
  type NamedParameter,
} from './boltzmann-machine.js';
export {
  exactFreeEnergy,
  exactGradient,
  exactJointDistribution,
  exactLogLikelihood,
  exactLogPartition,
  MAX_ENUMERATED_ROWS,
} from './exact.js';
export {
  dataMoments,
  type InitializationMethod,
  initializeModel,
  topEigenvectors,
  type VisibleData,
} from './initialize.js';
export {
  describeModel,
  loadModel,
  MODEL_FILE,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelDescription,
  modelFromDescription,
  PARAMS_FILE,
  saveModel,
} from './persistence.js';
export { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES, type TensorData } from './safetensors.js';
export { State } from './state.js';
