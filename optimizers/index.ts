/**
 * Optimizers that step a model's parameters down a gradient, each with a step-size schedule:
 * `GradientDescent` (`StochasticGradientDescent`), `Momentum`, `RMSProp`, `ADAM`.
 * @packageDocumentation
 * @module relief/optimizers
 */
export {
  ADAM,
  type ADAMOptions,
  DEFAULT_STEPSIZE,
  GradientDescent,
  gradientByKey,
  Momentum,
  type MomentumOptions,
  Optimizer,
  type OptimizerConfig,
  type OptimizerKind,
  type OptimizerOptions,
  type OptimizerState,
  optimizerConfigSchema,
  optimizerFromConfig,
  RMSProp,
  type RMSPropOptions,
  StochasticGradientDescent,
} from './optimizers.js';
