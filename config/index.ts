/**
 * Run configs in the library: the schema `relief train` reads, its JSON Schema, the builders
 * of the model, optimizer and fit method it describes, and `BoltzmannMachine.fit` (training in
 * one call with the run config's defaults).
 * @packageDocumentation
 * @module relief/config
 */
export { type FitData, type FitOptions, fitModel, fitOptionsSchema } from './fit-model.js';
export {
  type BuiltTrainOptions,
  buildClassifierOptimizer,
  buildFinalOptimizer,
  buildMethod,
  buildModel,
  buildMonitor,
  buildOptimizer,
  buildTrainOptions,
  DATA_SOURCES,
  LABEL_METHODS,
  type MethodConfig,
  methodConfigSchema,
  methodName,
  methodOptions,
  parseRunConfig,
  parseRunConfigText,
  type RunConfig,
  type RunConfigInput,
  runConfigJsonSchema,
  runConfigSchema,
  usesLabelRBM,
} from './run-config.js';
