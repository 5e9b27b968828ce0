/**
 * Run configs in the library: the schema `relief train` reads, its JSON Schema, and the
 * builders of the model, optimizer and fit method it describes.
 * @packageDocumentation
 */
export {
  buildClassifierOptimizer,
  buildFinalOptimizer,
  buildMethod,
  buildModel,
  buildMonitor,
  buildOptimizer,
  DATA_SOURCES,
  LABEL_METHODS,
  parseRunConfig,
  parseRunConfigText,
  type RunConfig,
  type RunConfigInput,
  runConfigJsonSchema,
  runConfigSchema,
  usesLabelRBM,
} from './run-config.js';
