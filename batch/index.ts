/**
 * Minibatches for training (in-memory, with a seeded train/validate split and per-epoch
 * shuffles) and the transforms applied to data rows.
 * @packageDocumentation
 */
export { type BatchSource, InMemoryBatch, type InMemoryBatchOptions, inMemoryBatch, type Split } from './in-memory.js';
export {
  binarize,
  checkFinite,
  type HostMatrix,
  l2Normalize,
  oneHot,
  scale,
  TRANSFORMS,
  type Transform,
  transformByName,
} from './transforms.js';
