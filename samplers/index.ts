/**
 * Samplers: persistent Markov chains (SequentialMC) and the inverse-temperature drivers
 * that move them (constant, driven by an autoregressive Gamma process, annealed).
 * @packageDocumentation
 * @module relief/samplers
 */
export {
  AnnealedBeta,
  type BetaSampler,
  ConstantBeta,
  DrivenBeta,
  type DrivenBetaOptions,
  type DrivenBetaState,
} from './beta.js';
export { gamma, logGamma, normal, poisson } from './distributions.js';
export { ParallelTempering, type ParallelTemperingOptions, temperatureLadder } from './parallel-tempering.js';
export {
  type FantasyOptions,
  SequentialMC,
  type SequentialMCOptions,
  UPDATERS,
  type Updater,
} from './sequential-mc.js';
