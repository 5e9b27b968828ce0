/**
 * Models: the BoltzmannMachine (any depth), its State, initialization from data, and
 * save/load. (The likelihood estimators are in `estimators/`; `relief/models` adds them.)
 * @packageDocumentation
 */
export {
  BoltzmannMachine,
  type ChainOptions,
  type Connection,
  dropUnits,
  type Gradient,
  type NamedParameter,
  type UnitMasks,
} from './boltzmann-machine.js';
export { Centering, type CenteringOptions, OFFSET_TYPES, type OffsetType, type PhaseMeans } from './centering.js';
export { type ConvolutionalRBMOptions, convolutionalRBM, tieChannelBiases } from './convolutional.js';
export {
  type DataMoments,
  dataMoments,
  INITIALIZATION_METHODS,
  type InitializationMethod,
  initializeModel,
  type VisibleData,
} from './initialize.js';
export {
  checkParamsBytes,
  describedCounts,
  describedParameterCount,
  describeModel,
  type LoadedModel,
  loadModel,
  MODEL_FILE,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelDescription,
  modelFromDescription,
  modelFromFiles,
  PARAMS_FILE,
  PREPROCESSING_FILE,
  parseModelText,
  preprocessingFiles,
  readModelDirectory,
  readParameters,
  type SavedPaths,
  type SaveOptions,
  saveModel,
  setParameters,
  writeFileAtomic,
  writeModelDirectory,
} from './persistence.js';
export {
  decodeSafetensors,
  type ExpectedTensors,
  encodeSafetensors,
  MAX_HEADER_BYTES,
  type TensorData,
} from './safetensors.js';
export { State } from './state.js';
