/**
 * Sampling-free training from the second-order TAP free energy (Gabrié, Tramel & Krzakala
 * 2015; Tramel et al. 2018): the negative phase is ∂Γ/∂θ at persistent magnetizations that
 * the fixed-point iteration of `estimators/tap` moves each minibatch; at a stationary point
 * ∂(−ln Z)/∂θ ≈ ∂Γ/∂θ (envelope theorem, `tapGradient`). Works for every model whose layers
 * carry TAP terms (Bernoulli and Gaussian units), of any depth, dense or convolutional.
 * @packageDocumentation
 */
import * as z from 'zod';
import { be, type Tensor } from '../backends/index.js';
import { UnsupportedError } from '../errors/index.js';
import { hasTapTerms, Magnetizations, tapGradient, tapMagnetizations } from '../estimators/tap.js';
import type { BoltzmannMachine, Gradient } from '../models/index.js';
import type { SequentialMC } from '../samplers/index.js';
import { checkOptions } from '../validation/index.js';
import { registerMethod } from './method-registry.js';
import { type FitMethod, type MethodFactory, methodFactory, positiveState } from './methods.js';

/** Options of {@link TAP}. */
export interface TAPOptions {
  /** Magnetization particles kept across minibatches (default 25). */
  readonly particles?: number;
  /** Fixed-point iterations per gradient (default 20). */
  readonly iterations?: number;
  /** Damping λ of each update m ← (1−λ) m + λ · update (default 0.5). */
  readonly damping?: number;
}

function checkTapTerms(model: BoltzmannMachine): void {
  if (!hasTapTerms(model)) {
    const without = model.layers.filter((layer) => !layer.hasTapTerms).map((layer) => layer.describe());
    throw new UnsupportedError(`TAP: every layer needs second-order TAP terms; ${without.join(', ')} has none`);
  }
}

/**
 * The TAP gradient estimator with persistent magnetizations. Use `new TAP().method` where a
 * fit method is expected: `sgd.train(optimizer, epochs, { method: new TAP().method })`.
 * It owns its magnetizations; {@link TAP.dispose} frees them.
 */
export class TAP {
  readonly particles: number;
  readonly iterations: number;
  readonly damping: number;
  private magnetizations: Magnetizations | undefined;

  constructor(options: TAPOptions = {}) {
    checkOptions(options, { particles: true, iterations: true, damping: true }, 'TAP');
    this.particles = options.particles ?? 25;
    this.iterations = options.iterations ?? 20;
    this.damping = options.damping ?? 0.5;
  }

  /** ∂Γ/∂θ averaged over the particles, after moving them. @returns a Gradient the caller owns */
  negativeDerivatives(model: BoltzmannMachine): Gradient {
    checkTapTerms(model);
    const next = tapMagnetizations(model, this.magnetizations ?? this.particles, this.iterations, this.damping);
    this.magnetizations?.dispose();
    for (const tensor of next.tensors()) be.keep(tensor);
    this.magnetizations = next;
    return tapGradient(model, next);
  }

  /**
   * The fit method: data derivatives (hidden at their means) minus the TAP derivatives. Its
   * `persistent` tensors are the magnetizations (each layer's means, then variances), which
   * checkpoints carry.
   */
  readonly method: FitMethod = Object.assign(
    (visible: Tensor, model: BoltzmannMachine, positivePhase: SequentialMC): Gradient => {
      checkTapTerms(model);
      const dataState = positiveState(visible, model, positivePhase);
      const negative = this.negativeDerivatives(model);
      const gradient = model.gradient(dataState, negative);
      be.dispose([...negative.layers, ...negative.weights].flatMap((set) => Object.values(set)));
      dataState.dispose();
      return gradient;
    },
    {
      persistent: {
        current: () => this.magnetizations?.tensors(),
        restore: (tensors: readonly Tensor[]) => {
          this.dispose();
          this.magnetizations = Magnetizations.fromTensors(tensors.map((t) => be.keep(t)));
        },
        release: () => this.dispose(),
        shapes: (model: BoltzmannMachine, rows: number) => {
          const perLayer = model.layers.map((layer) => [rows, layer.numUnits]);
          return [...perLayer, ...perLayer];
        },
      },
    },
  );

  /** Frees the persistent magnetizations. */
  dispose(): void {
    this.magnetizations?.dispose();
    this.magnetizations = undefined;
  }
}

/** Options of {@link tap}: those of {@link TAP}. */
export const tapOptionsSchema = z.strictObject({
  particles: z.int().min(1).optional(),
  iterations: z.int().min(1).optional(),
  damping: z.number().gt(0).max(1).optional(),
});

/**
 * The TAP fit method with its own persistent magnetizations: `tap({ particles, iterations,
 * damping })`. Its `persistent.release()` frees them.
 */
export const tap: MethodFactory<TAPOptions> = methodFactory(
  tapOptionsSchema,
  'tap',
  (options) => new TAP(options).method,
);

registerMethod({ name: 'tap', schema: tapOptionsSchema, create: (options) => tap(options) });
