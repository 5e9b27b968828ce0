/**
 * Optimizers that step a model's parameters down a gradient, each with a step-size schedule:
 * `GradientDescent` (`StochasticGradientDescent`), `Momentum`, `RMSProp`, `ADAM`, `AdaGrad`.
 * @packageDocumentation
 * @module relief/optimizers
 */
export {
  ADAM,
  type ADAMOptions,
  AdaGrad,
  type AdaGradOptions,
  DEFAULT_STEPSIZE,
  GradientDescent,
  gradientByKey,
  Momentum,
  type MomentumOptions,
  OPTIMIZER_KINDS,
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
