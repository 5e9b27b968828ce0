/**
 * Sampling-free training from the second-order TAP free energy (Gabrié, Tramel & Krzakala
 * 2015; Tramel et al. 2018): the negative phase is ∂Γ/∂θ at persistent magnetizations that
 * the fixed-point iteration of `estimators/tap` moves each minibatch. At a stationary point
 * ∂(−ln Z)/∂θ ≈ ∂Γ/∂θ (envelope theorem): each layer's own derivatives at its magnetizations,
 * and for each weight matrix −r(m_l) r(m_u)ᵀ − W ⊙ var(m_l) var(m_u)ᵀ (the Onsager term).
 * Works for every model whose layers carry TAP terms (Bernoulli units today), of any depth.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { UnsupportedError } from '../errors/index.js';
import { hasTapTerms, tapMagnetizations } from '../estimators/tap.js';
import type { Weights } from '../layers/index.js';
import { type BoltzmannMachine, type Gradient, State } from '../models/index.js';
import type { SequentialMC } from '../samplers/index.js';
import { checkOptions } from '../validation/index.js';
import { type FitMethod, positiveState } from './methods.js';

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
  for (const i of model.connections.keys()) model.denseWeights(i, 'TAP');
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
  private magnetizations: State | undefined;

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
    for (const units of next.units) be.keep(units);
    this.magnetizations = next;
    const means = next.units;
    return be.tidy((): Gradient => {
      const plain = model.derivatives(next);
      return {
        layers: plain.layers,
        weights: model.connections.map(({ lower, upper, weights }, c) => {
          const variance = (i: number) => model.layer(i).tapVariance(means[i] as Tensor);
          const matrix = (weights as Weights).matrix;
          const onsager = be.mul(matrix, be.meanOuter(variance(lower), variance(upper)));
          return { matrix: be.sub(plain.weights[c]?.matrix as Tensor, onsager) };
        }),
      };
    });
  }

  /**
   * The fit method: data derivatives (hidden at their means) minus the TAP derivatives. Its
   * `persistent` tensors are the magnetizations, which checkpoints carry.
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
        current: () => this.magnetizations?.units,
        restore: (tensors: readonly Tensor[]) => {
          this.dispose();
          this.magnetizations = new State(tensors.map((t) => be.keep(t)));
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
