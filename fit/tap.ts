/**
 * Sampling-free training from the second-order TAP (extended mean-field) free energy of a
 * Bernoulli–Bernoulli RBM (Gabrié, Tramel & Krzakala 2015; Tramel et al. 2018).
 *
 * The Gibbs free energy of magnetizations m_v ∈ (0,1)ⁿ, m_h ∈ (0,1)ᵐ is
 *   Γ = Σ [m ln m + (1−m) ln(1−m)] − aᵀm_v − bᵀm_h − m_vᵀ W m_h − ½ Σ_ij W_ij² (m_i − m_i²)(m_j − m_j²),
 * and −ln Z ≈ Γ at its stationary points, reached by the damped fixed-point iteration
 *   m_v ← σ(a + W m_h + (½ − m_v) ⊙ W²(m_h − m_h²)),  m_h ← σ(b + Wᵀm_v + (½ − m_h) ⊙ (W²)ᵀ(m_v − m_v²)).
 * At a stationary point ∂(−ln Z)/∂θ ≈ ∂Γ/∂θ (envelope theorem), which replaces the sampled
 * negative phase: ∂Γ/∂a = −m_v, ∂Γ/∂b = −m_h, ∂Γ/∂W = −m_v m_hᵀ − W ⊙ (m_v − m_v²)(m_h − m_h²)ᵀ.
 * Magnetizations persist across minibatches, one set per particle.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import type { BoltzmannMachine, Gradient } from '../models/index.js';
import type { FitMethod } from './methods.js';

/** Options of {@link TAP}. */
export interface TAPOptions {
  /** Magnetization particles kept across minibatches (default 25). */
  readonly particles?: number;
  /** Fixed-point iterations per gradient (default 20). */
  readonly iterations?: number;
  /** Damping λ of each update m ← (1−λ) m + λ σ(…) (default 0.5). */
  readonly damping?: number;
}

/** Magnetizations of the visible and hidden layers. @param visible - (particles, n) @param hidden - (particles, m) */
export interface Magnetizations {
  readonly visible: Tensor;
  readonly hidden: Tensor;
}

const CLIP = 1e-6;

function checkRbm(model: BoltzmannMachine): void {
  if (model.numLayers !== 2 || model.layers.some((layer) => layer.type !== 'bernoulli')) {
    throw new ConfigError(
      `TAP: the second-order TAP free energy is implemented for Bernoulli–Bernoulli RBMs; got layers ${model.layers.map((l) => l.type).join('–')}`,
    );
  }
}

function variance(m: Tensor): Tensor {
  return be.sub(m, be.square(m));
}

/** One damped sweep of the TAP fixed-point equations (visible, then hidden). */
function sweep(model: BoltzmannMachine, { visible, hidden }: Magnetizations, damping: number): Magnetizations {
  return be.tidy(() => {
    const w = model.connections[0]?.weights.matrix as Tensor;
    const w2 = be.square(w);
    const [a, b] = [model.layer(0).param('loc'), model.layer(1).param('loc')];
    const mix = (old: Tensor, fresh: Tensor) =>
      be.clip(be.add(be.mul(old, 1 - damping), be.mul(fresh, damping)), CLIP, 1 - CLIP);
    const visibleField = be.add(
      be.add(a, be.matmul(hidden, w, { transposeB: true })),
      be.mul(be.sub(0.5, visible), be.matmul(variance(hidden), w2, { transposeB: true })),
    );
    const nextVisible = mix(visible, be.sigmoid(visibleField));
    const hiddenField = be.add(
      be.add(b, be.matmul(nextVisible, w)),
      be.mul(be.sub(0.5, hidden), be.matmul(variance(nextVisible), w2)),
    );
    return { visible: nextVisible, hidden: mix(hidden, be.sigmoid(hiddenField)) };
  });
}

/** Γ(m_v, m_h) for each particle. @returns (particles) */
export function tapGibbsFreeEnergy(model: BoltzmannMachine, { visible, hidden }: Magnetizations): Tensor {
  checkRbm(model);
  return be.tidy(() => {
    const w = model.connections[0]?.weights.matrix as Tensor;
    const entropyTerm = (m: Tensor) =>
      be.sum(be.add(be.mul(m, be.log(m)), be.mul(be.sub(1, m), be.log(be.sub(1, m)))), 1);
    const linear = be.add(
      be.sum(be.mul(visible, model.layer(0).param('loc')), 1),
      be.sum(be.mul(hidden, model.layer(1).param('loc')), 1),
    );
    const coupling = be.sum(be.mul(be.matmul(visible, w), hidden), 1);
    const onsager = be.mul(be.sum(be.mul(be.matmul(variance(visible), be.square(w)), variance(hidden)), 1), 0.5);
    return be.sub(be.sub(be.sub(be.add(entropyTerm(visible), entropyTerm(hidden)), linear), coupling), onsager);
  });
}

/**
 * Runs the fixed-point iteration from `start` (or from random magnetizations of
 * `particles`) and returns the magnetizations reached. The caller owns the result.
 */
export function tapMagnetizations(
  model: BoltzmannMachine,
  start: Magnetizations | number,
  iterations = 100,
  damping = 0.5,
): Magnetizations {
  checkRbm(model);
  let current: Magnetizations =
    typeof start === 'number'
      ? be.tidy(() => ({
          visible: be.add(be.mul(be.randomUniform([start, model.layer(0).numUnits]), 0.8), 0.1),
          hidden: be.add(be.mul(be.randomUniform([start, model.layer(1).numUnits]), 0.8), 0.1),
        }))
      : start;
  for (let i = 0; i < iterations; i++) {
    const next = sweep(model, current, damping);
    if (current !== start) be.dispose([current.visible, current.hidden]);
    current = next;
  }
  return current;
}

/** The TAP estimate of −ln Z: the lowest Γ over `particles` fixed points. @returns a scalar tensor */
export function tapFreeEnergy(model: BoltzmannMachine, particles = 10, iterations = 200): Tensor {
  const magnetizations = tapMagnetizations(model, particles, iterations);
  const result = be.tidy(() => be.min(tapGibbsFreeEnergy(model, magnetizations)));
  be.dispose([magnetizations.visible, magnetizations.hidden]);
  return result;
}

/**
 * The TAP gradient estimator with persistent magnetizations. Use `new TAP().method` where a
 * fit method is expected: `sgd.train(optimizer, epochs, { method: new TAP().method })`.
 */
export class TAP {
  readonly particles: number;
  readonly iterations: number;
  readonly damping: number;
  private magnetizations: Magnetizations | undefined;

  constructor(options: TAPOptions = {}) {
    this.particles = options.particles ?? 25;
    this.iterations = options.iterations ?? 20;
    this.damping = options.damping ?? 0.5;
  }

  /** ∂Γ/∂θ averaged over the particles, after updating them. */
  negativeDerivatives(model: BoltzmannMachine): Gradient {
    const previous = this.magnetizations ?? this.particles;
    const next = tapMagnetizations(model, previous, this.iterations, this.damping);
    if (this.magnetizations) be.dispose([this.magnetizations.visible, this.magnetizations.hidden]);
    this.magnetizations = { visible: be.keep(next.visible), hidden: be.keep(next.hidden) };
    const { visible, hidden } = next;
    return be.tidy((): Gradient => {
      const w = model.connections[0]?.weights.matrix as Tensor;
      const correlation = be.mul(w, be.meanOuter(variance(visible), variance(hidden)));
      return {
        layers: [{ loc: be.neg(be.mean(visible, 0)) }, { loc: be.neg(be.mean(hidden, 0)) }],
        weights: [{ matrix: be.neg(be.add(be.meanOuter(visible, hidden), correlation)) }],
      };
    });
  }

  /** The fit method: data derivatives (hidden at their means) minus the TAP derivatives. */
  readonly method: FitMethod = (visible, model, positivePhase) => {
    checkRbm(model);
    positivePhase.setStateFromVisible(visible);
    const dataState = positivePhase.stateForGrad(1);
    return be.tidy(() => model.combineGradient(model.derivatives(dataState), this.negativeDerivatives(model)));
  };

  /** Frees the persistent magnetizations. */
  dispose(): void {
    if (this.magnetizations) be.dispose([this.magnetizations.visible, this.magnetizations.hidden]);
    this.magnetizations = undefined;
  }
}
