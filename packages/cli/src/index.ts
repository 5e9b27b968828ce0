/**
 * @relief/cli: the `relief` command's building blocks, usable from scripts too.
 * @packageDocumentation
 */

export { evaluate } from './commands/evaluate.js';
export { denoise, reconstruct, sample } from './commands/pictures.js';
export { train } from './commands/train.js';
export { buildMethod, buildModel, buildOptimizer, loadRunData, parseRunConfig, type RunConfig } from './config.js';
