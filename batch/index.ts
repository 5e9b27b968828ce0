/**
 * Minibatches for training (in-memory, with a seeded train/validate split and per-epoch
 * shuffles), the transforms applied to data rows, and preprocessing fitted on training data
 * (standardize, PCA and ZCA whitening, …) that is saved with a model; random image patches.
 * @packageDocumentation
 * @module relief/batch
 */
export {
  type BatchSource,
  InMemoryBatch,
  type InMemoryBatchOptions,
  inMemoryBatch,
  isLabelled,
  type LabelledBatch,
  type LabelledBatchSource,
  type Split,
} from './in-memory.js';
export { MappedBatches } from './mapped.js';
export { type PatchOptions, randomPatches } from './patches.js';
export {
  Preprocessing,
  type PreprocessingStep,
  type PreprocessingStepInput,
  preprocessingStepSchema,
} from './preprocessing.js';
export {
  binarize,
  checkFinite,
  checkLabels,
  type HostMatrix,
  type LabelledData,
  l2Normalize,
  oneHot,
  scale,
  splitLabelColumn,
  stochasticBinarize,
  TRANSFORMS,
  type Transform,
  transformByName,
} from './transforms.js';
