/**
 * Parallel tempering as the negative phase of training (Desjardins et al. 2010; PyDeep's
 * `IndependentParallelTemperingSampler`): each model chain has its own ladder of tempered
 * replicas, persistent across minibatches, and the β = 1 replicas give the negative statistics.
 * @packageDocumentation
 */
import * as z from 'zod';
import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import { type BoltzmannMachine, type Gradient, State } from '../models/index.js';
import { ParallelTempering, type SequentialMC, temperatureLadder } from '../samplers/index.js';
import { checkOptions } from '../validation/index.js';
import { registerMethod } from './method-registry.js';
import { type FitMethod, type MethodFactory, methodFactory, positiveState } from './methods.js';

/** The state with its top layer replaced by its conditional mean (as PCD's negative phase takes it). Frees `state`. */
function withTopMeans(model: BoltzmannMachine, state: State): State {
  const top = model.numLayers - 1;
  const mean = be.tidy(() => model.layer(top).conditionalMean(model.fieldOn(top, state.units)));
  const units = state.units.map((u, i) => (i === top ? mean : u));
  be.dispose(state.units[top] as Tensor);
  return new State(units);
}

/** Options of {@link PT}. */
export interface PTOptions {
  /** Inverse temperatures from 1 down (default [1, 0.8, 0.6, 0.4, 0.2]). */
  readonly betas?: readonly number[];
  /** Sweeps at every temperature between exchange rounds (default 1). */
  readonly mcsteps?: number;
}

/**
 * The parallel-tempering gradient estimator: `new PT({ betas }).method` where a fit method is
 * expected. Its replicas (one ladder per negative chain, as many chains as the first
 * minibatch's rows) persist across minibatches and checkpoints; each epoch's record gets the
 * exchange acceptance rate of every neighbouring pair of temperatures (`swap 1↔0.8`, …; an
 * epoch resumed from a checkpoint counts the exchanges since the resume).
 * {@link PT.dispose} frees the replicas.
 */
export class PT {
  readonly betas: readonly number[];
  readonly mcsteps: number;
  private sampler: ParallelTempering | undefined;
  /** Replicas from a checkpoint, waiting for the model they belong to. */
  private restored: readonly Tensor[] | undefined;

  constructor(options: PTOptions = {}) {
    checkOptions(options, { betas: true, mcsteps: true }, 'PT');
    // The ladder is checked now, not at the first minibatch.
    this.betas = temperatureLadder(options.betas, 'PT: betas');
    this.mcsteps = options.mcsteps ?? 1;
    if (!Number.isInteger(this.mcsteps) || this.mcsteps < 1) {
      throw new ConfigError(`PT: mcsteps: expected a positive integer, got ${this.mcsteps}`);
    }
  }

  /** The fit method: data derivatives minus those of the β = 1 replicas after one round. */
  readonly method: FitMethod = Object.assign(
    (visible: Tensor, model: BoltzmannMachine, positivePhase: SequentialMC): Gradient => {
      const dataState = positiveState(visible, model, positivePhase);
      const sampler = this.samplerFor(model, be.shape(visible)[0] as number);
      sampler.updateState();
      const modelState = withTopMeans(model, sampler.samples());
      const gradient = model.gradient(dataState, modelState);
      dataState.dispose();
      modelState.dispose();
      return gradient;
    },
    {
      persistent: {
        current: () => this.sampler?.state.units,
        restore: (tensors: readonly Tensor[]) => {
          this.dispose();
          this.restored = tensors.map((t) => be.keep(t));
        },
        release: () => this.dispose(),
        shapes: (model: BoltzmannMachine, rows: number) => {
          // Whole ladders: a row count that is not a multiple of the ladder fails the shape check.
          const ladders = Math.max(1, Math.round(rows / this.betas.length)) * this.betas.length;
          return model.layers.map((layer) => [ladders, layer.numUnits]);
        },
      },
      epochReport: async (): Promise<Record<string, number>> => {
        if (!this.sampler) return {};
        const rates = await this.sampler.acceptanceRates();
        this.sampler.resetAcceptance();
        return Object.fromEntries(rates.map((rate, t) => [`swap ${this.betas[t]}↔${this.betas[t + 1]}`, rate]));
      },
    },
  );

  /** Frees the replicas. */
  dispose(): void {
    this.sampler?.dispose();
    this.sampler = undefined;
    if (this.restored) be.dispose([...this.restored]);
    this.restored = undefined;
  }

  /** The replicas of `model`, made at its first minibatch (a new model, e.g. the next pretraining stage, gets new ones). */
  private samplerFor(model: BoltzmannMachine, rows: number): ParallelTempering {
    if (this.sampler?.model === model) return this.sampler;
    this.sampler?.dispose();
    const restored = this.restored;
    const chains = restored ? (be.shape(restored[0] as Tensor)[0] as number) / this.betas.length : rows;
    this.sampler = new ParallelTempering(model, chains, {
      betas: this.betas,
      mcsteps: this.mcsteps,
      ...(restored && { state: restored }),
    });
    this.restored = undefined;
    return this.sampler;
  }
}

/** Options of {@link pt}: those of {@link PT}. */
export const ptOptionsSchema = z.strictObject({
  /** Inverse temperatures from 1 down (default [1, 0.8, 0.6, 0.4, 0.2]). */
  betas: z
    .array(z.number().gt(0).max(1))
    .min(2)
    .refine((betas) => betas[0] === 1 && betas.every((beta, i) => i === 0 || beta < (betas[i - 1] as number)), {
      error: 'expected a decreasing list starting at 1',
    })
    .optional(),
  /** Sweeps at every temperature between exchange rounds (default 1). */
  mcsteps: z.int().min(1).optional(),
});

/**
 * The parallel-tempering fit method with its own replicas: `pt({ betas, mcsteps })`. Its
 * `persistent.release()` frees them.
 */
// The schema reads any array; the type lets callers pass read-only ones.
export const pt = methodFactory(ptOptionsSchema, 'pt', (options) => new PT(options).method) as MethodFactory<PTOptions>;

registerMethod({ name: 'pt', schema: ptOptionsSchema, create: (options) => pt(options) });
