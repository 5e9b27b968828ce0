/**
 * Ways to estimate the log-likelihood gradient from a minibatch, as in Paysage: each takes
 * the visible batch, the model, a positive-phase sampler (visible clamped) and a
 * negative-phase sampler, and returns `model.gradient(dataState, modelPhase)`, which it owns.
 * @packageDocumentation
 */
import * as z from 'zod';
import type { Tensor } from '../backends/index.js';
import type { BatchSource } from '../batch/index.js';
import { ConfigError } from '../errors/index.js';
import type { BoltzmannMachine, Gradient, State } from '../models/index.js';
import type { SequentialMC } from '../samplers/index.js';
import { parseWith, show } from '../validation/index.js';
import { registerMethod } from './method-registry.js';

/**
 * Tensors a gradient estimator carries from one minibatch to the next beyond the samplers'
 * chains (e.g. TAP's magnetizations), for checkpoints.
 */
export interface PersistentTensors {
  /** The tensors now (the estimator's own), or undefined before the first minibatch. */
  current(): readonly Tensor[] | undefined;
  /** Continues from these tensors (e.g. read from a checkpoint), taking them over. */
  restore(tensors: readonly Tensor[]): void;
  /** The shapes {@link restore} takes for `model` with `rows` rows (particles) each. */
  shapes(model: BoltzmannMachine, rows: number): number[][];
  /** Frees the tensors; the method starts afresh at its next minibatch. Whoever made the method calls it when training ends. */
  release(): void;
}

/**
 * A gradient estimator. @param visible - (batch, numVisible)
 * @param targets - (batch, numClasses) one-hot labels, given to methods marked `usesLabels`
 *   (SGD then needs a labelled batch source)
 * `epochReport`, where present, gives figures SGD adds to each epoch's record (e.g. parallel
 * tempering's swap rates) and starts the next epoch's count; `validation`, where present,
 * figures on the validation split (e.g. a label RBM's classification of it).
 */
export type FitMethod = ((
  visible: Tensor,
  model: BoltzmannMachine,
  positivePhase: SequentialMC,
  negativePhase: SequentialMC,
  targets?: Tensor,
) => Gradient) & {
  readonly usesLabels?: boolean;
  readonly persistent?: PersistentTensors;
  readonly epochReport?: () => Promise<Record<string, number>>;
  readonly validation?: MethodValidation;
};

/** Figures a fit method computes on the validation split after each epoch, for SGD's record. */
export interface MethodValidation {
  /** The names of the figures {@link MethodValidation.evaluate} gives (stopping rules and keepBest may watch them). */
  readonly metrics: readonly string[];
  /** The figures, on the validation split of `data` (SGD calls it only when that split is not empty). */
  evaluate(model: BoltzmannMachine, data: BatchSource): Promise<Record<string, number>>;
}

/** The gradient from two states the fit method owns, which it frees. */
function gradientFrom(model: BoltzmannMachine, dataState: State, modelState: State): Gradient {
  const gradient = model.gradient(dataState, modelState);
  dataState.dispose();
  modelState.dispose();
  return gradient;
}

/**
 * The positive phase: the data clamped, `mcsteps` sweeps of the hidden layers, the top layer
 * at its mean. For an RBM the hidden means given the data are exact and need no sweeps: the
 * upward pass already holds them. @returns a State the caller owns
 */
export function positiveState(visible: Tensor, model: BoltzmannMachine, positivePhase: SequentialMC): State {
  positivePhase.setStateFromVisible(visible);
  if (model.numLayers === 2 && positivePhase.updater !== 'deterministicIteration') {
    return positivePhase.release();
  }
  positivePhase.updateState();
  return positivePhase.stateForGrad(model.numLayers - 1);
}

const FACTORY = Symbol('fit method factory');

/** A fit method's factory: `pcd()`, `cd({ steps })`; one options object, checked by the method's schema. */
export type MethodFactory<Options> = ((options?: Options) => FitMethod) & { readonly [FACTORY]: string };

/**
 * The factory `make`, its options checked by `schema` (a `ConfigError` names the method and the
 * field). @param where - the method's name in errors
 */
export function methodFactory<Schema extends z.ZodObject>(
  schema: Schema,
  where: string,
  make: (options: z.output<Schema>) => FitMethod,
): MethodFactory<z.input<Schema>> {
  const factory = (options: z.input<Schema> = {} as z.input<Schema>) =>
    make(parseWith(schema, options, `${where}:`) as z.output<Schema>);
  return Object.assign(factory, { [FACTORY]: where });
}

/**
 * Checks that `method` is a fit method, not the factory that makes one (`pcd` where `pcd()`
 * was meant). @param where - names the option in errors @throws ConfigError saying what to write
 */
export function checkFitMethod(method: unknown, where: string): FitMethod {
  const factory = (method as Partial<MethodFactory<unknown>> | null)?.[FACTORY];
  if (factory !== undefined) {
    throw new ConfigError(`${where}: expected a fit method, got the factory '${factory}': call it, \`${factory}()\``);
  }
  if (typeof method !== 'function') {
    throw new ConfigError(`${where}: expected a fit method (e.g. \`pcd()\`), got ${show(method)}`);
  }
  return method as FitMethod;
}

/** Options of {@link cd}. */
export const cdOptionsSchema = z.strictObject({
  /** Sweeps of the negative chains from the data, k (default: the run's `mcsteps`). */
  steps: z.int().min(1).optional(),
});
/** Options of {@link cd}. */
export type CDOptions = z.input<typeof cdOptionsSchema>;

/**
 * Contrastive divergence CD-k (Hinton 2002): `cd({ steps })` makes a method whose negative
 * chains restart at the data and run k = `steps` sweeps (default the run's `mcsteps`).
 */
export const cd: MethodFactory<CDOptions> = methodFactory(cdOptionsSchema, 'cd', ({ steps }) => {
  const method: FitMethod = (visible, model, positivePhase, negativePhase) => {
    const dataState = positiveState(visible, model, positivePhase);
    negativePhase.setStateFromVisible(visible);
    negativePhase.updateState(steps);
    const modelState = negativePhase.stateForGrad(model.numLayers - 1);
    return gradientFrom(model, dataState, modelState);
  };
  return method;
});

/** Options of {@link pcd} (none). */
export const pcdOptionsSchema = z.strictObject({});
/** Options of {@link pcd}. */
export type PCDOptions = z.input<typeof pcdOptionsSchema>;

/**
 * Persistent contrastive divergence PCD-k (Tieleman 2008): `pcd()` makes a method whose
 * negative chains carry on from where the previous minibatch left them (k = the run's `mcsteps`).
 */
export const pcd: MethodFactory<PCDOptions> = methodFactory(pcdOptionsSchema, 'pcd', () => {
  const method: FitMethod = (visible, model, positivePhase, negativePhase) => {
    const dataState = positiveState(visible, model, positivePhase);
    negativePhase.updateState();
    const modelState = negativePhase.stateForGrad(model.numLayers - 1);
    return gradientFrom(model, dataState, modelState);
  };
  return method;
});

/** Paysage's long names. */
export const contrastiveDivergence = cd;
export const persistentContrastiveDivergence = pcd;

registerMethod({ name: 'cd', schema: cdOptionsSchema, create: (options) => cd(options), sampled: true });
registerMethod({ name: 'pcd', schema: pcdOptionsSchema, create: () => pcd(), sampled: true });
