/**
 * Optimizers that step a model's parameters down a gradient, each with a step-size schedule:
 * `GradientDescent` (`StochasticGradientDescent`), `Momentum`, `RMSProp`, `ADAM`.
 * @packageDocumentation
 */
export {
  ADAM,
  GradientDescent,
  gradientByKey,
  Momentum,
  Optimizer,
  type OptimizerOptions,
  optimizerFromConfig,
  RMSProp,
  StochasticGradientDescent,
} from './optimizers.js';
