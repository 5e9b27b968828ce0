/**
 * @relief/cli: the `relief` command's building blocks, usable from scripts too.
 * @packageDocumentation
 */

export { evaluate } from './commands/evaluate.js';
export { denoise, reconstruct, sample, writeFantasy, writeReconstructions } from './commands/pictures.js';
export { plotRun, writeLearningCurves, writeWeights } from './commands/plot.js';
export { train } from './commands/train.js';
export {
  buildMethod,
  buildModel,
  buildOptimizer,
  loadRunData,
  loadTrainingData,
  parseRunConfig,
  type RunConfig,
  type RunSplit,
} from './config.js';
