/**
 * @relief/cli: the `relief` command's building blocks, usable from scripts too.
 * @packageDocumentation
 * @module @relief/cli
 */

export { type AnnealingMethod, type EvaluateOptions, evaluate } from './commands/evaluate.js';
export { type ImportOptions, importModel } from './commands/import.js';
export {
  denoise,
  type FantasyOptions,
  type RowLayout,
  reconstruct,
  sample,
  writeFantasy,
  writeReconstructions,
} from './commands/pictures.js';
export { plotRun, type WrittenPicture, writeLearningCurves, writeWeights } from './commands/plot.js';
export { type TrainCommandOptions, train } from './commands/train.js';
export {
  buildMethod,
  buildModel,
  buildOptimizer,
  loadRunData,
  loadTrainingData,
  parseRunConfig,
  type RunConfig,
  type RunRows,
  type RunRowsOptions,
  type RunSplit,
} from './config.js';
