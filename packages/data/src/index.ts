/**
 * @relief/data: data sets and file readers for Relief — IDX (MNIST family), MNIST,
 * Fashion-MNIST, CSV, npy — and batches streamed from files larger than memory.
 * In-memory batches and transforms live in `relief/batch` and are re-exported here.
 * @packageDocumentation
 * @module @relief/data
 */
export { InMemoryBatch, inMemoryBatch, randomPatches, splitLabelColumn } from 'relief/batch';
export { type CsvOptions, parseCsv, readCsv } from './csv.js';
export {
  cacheDirectory,
  type DatasetName,
  type DatasetOptions,
  fashionMnist,
  loadDataset,
  loadLabelledDataset,
  loadLabels,
  mnist,
} from './datasets.js';
export { decodeIdx, encodeIdx, type IdxArray, isGzip, readIdx } from './idx.js';
export { decodeNpy, encodeNpy, readNpy } from './npy.js';
export { StreamingIdxBatch, type StreamingOptions } from './streaming.js';
