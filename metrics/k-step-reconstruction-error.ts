/**
 * PyDeep's k-step reconstruction error: the data against what k Gibbs sweeps make of it.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import type { InverseTemperature } from '../layers/index.js';
import type { BoltzmannMachine } from '../models/index.js';
import { checkOptions, type OptionKeys } from '../validation/index.js';
import { type Assessment, AveragedMetric } from './metric.js';

/** Options of {@link reconstructionError} (PyDeep's arguments, in camelCase). */
export interface ReconstructionErrorOptions {
  /** Gibbs sweeps from the data, a whole number ≥ 1 (default 1). */
  readonly k?: number;
  /** Inverse temperature of every conditional: a number or (batch, 1) (default 1). */
  readonly beta?: InverseTemperature;
  /** Sample each layer's states (true) or take conditional means, probabilities for binary units (false, default). */
  readonly useStates?: boolean;
  /** The mean absolute error (true) instead of the mean squared error (false, default). */
  readonly absoluteError?: boolean;
}

const OPTION_KEYS: OptionKeys<ReconstructionErrorOptions> = {
  k: true,
  beta: true,
  useStates: true,
  absoluteError: true,
};

/**
 * PyDeep's `estimator.reconstruction_error(model, data, k, beta, use_states, absolut_error)`:
 * per row, the mean over visible units of (v − v_k)² (or |v − v_k|), where v_k is the visible
 * layer after `k` sweeps of the model's chain from the data (hidden layers given the layers
 * beside them, then the visible layer). With `useStates` each sweep draws states, as PyDeep
 * does; without, each sweep takes conditional means. PyDeep then makes a single pass
 * whatever k; Relief makes k mean-field sweeps, the same for k = 1 (the default).
 * @param model - an RBM or a deep model
 * @param data - (batch, numVisible)
 * @returns (batch), owned by the caller
 * @throws ConfigError when k is not a whole number ≥ 1
 */
export function reconstructionError(
  model: BoltzmannMachine,
  data: Tensor,
  options: ReconstructionErrorOptions = {},
): Tensor {
  checkOptions(options, OPTION_KEYS, 'reconstructionError');
  const k = options.k ?? 1;
  if (!Number.isInteger(k) || k < 1) {
    throw new ConfigError(`reconstructionError: k: expected a whole number of Gibbs sweeps ≥ 1, got ${k}`);
  }
  return be.tidy(() => {
    const start = model.stateFromVisible(data);
    const chain = { beta: options.beta ?? 1, exactSamples: true };
    const end = options.useStates ? model.markovChain(k, start, chain) : model.meanFieldIteration(k, start, chain);
    const difference = be.sub(data, end.getVisible());
    return be.mean(options.absoluteError ? be.abs(difference) : be.square(difference), 1);
  });
}

/**
 * The mean over validation rows of PyDeep's k-step {@link reconstructionError}, with its options
 * (by default one mean-field sweep and the squared error). Not in the default set.
 */
export class KStepReconstructionError extends AveragedMetric {
  readonly name = 'KStepReconstructionError';
  /** @param options - as {@link reconstructionError}'s; a `beta` tensor must have as many rows as each batch */
  constructor(readonly options: ReconstructionErrorOptions = {}) {
    super();
    checkOptions(options, OPTION_KEYS, 'KStepReconstructionError');
  }
  async update({ model, dataState }: Assessment): Promise<void> {
    const errors = reconstructionError(model, dataState.getVisible(), this.options);
    for (const error of await be.read(errors)) this.average.add(error);
    be.dispose(errors);
  }
}
