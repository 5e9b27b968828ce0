/**
 * The second-order TAP (extended mean-field) free energy of a Boltzmann machine of any depth
 * whose layers carry TAP terms (Gabrié, Tramel & Krzakala 2015; Tramel et al. 2018), with
 * the layer-specific pieces owned by the layers (`tapUpdate`, `tapFreeEnergy`,
 * `tapRescaledVariance`, `tapDerivatives`) and the coupling's by the couplings (`onsagerUp`,
 * `onsagerDown`, `onsagerDerivatives`, dense or convolutional). For a factorized q with each
 * layer's magnetization m_i = (μ_i, s_i), the means and variances of its units,
 *   Γ(m) = Σ_i F_i(m_i) − Σ_c r(μ_l)ᵀ W_c r(μ_u) − ½ Σ_c v_lᵀ W_c² v_u,
 * with F_i = E_q[H_i] − S(q_i), v_i = Var_q r(x_i), and c running over the connections
 * (l = lower, u = upper layer). A Bernoulli unit's variance is μ − μ²; a Gaussian unit's s is
 * a free variable (Paysage's "cumulants"). −ln Z ≈ Γ at its stationary points, reached by the
 * damped fixed-point sweep m_i ← (1−λ) m_i + λ m_i*(φ_i, c_i), with the field
 * φ_i = Σ_neighbours r(μ_j) W and the Onsager coefficient c_i = Σ_neighbours v_j W². For a
 * Bernoulli–Bernoulli RBM this is m_v ← σ(a + W m_h + (½ − m_v) ⊙ W²(m_h − m_h²)).
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ShapeError } from '../errors/index.js';
import type { Magnetization } from '../layers/index.js';
import type { BoltzmannMachine, Gradient } from '../models/boltzmann-machine.js';

/**
 * A model's TAP magnetizations, one {@link Magnetization} per layer over the same particles.
 * It owns its tensors.
 */
export class Magnetizations {
  /** @param layers - per layer, means and variances (particles, numUnits) */
  constructor(readonly layers: readonly Magnetization[]) {}

  /** Rebuilds magnetizations from {@link Magnetizations#tensors | tensors()}' list (the means, then the variances). */
  static fromTensors(tensors: readonly Tensor[]): Magnetizations {
    if (tensors.length % 2 !== 0) {
      throw new ShapeError(`Magnetizations: expected each layer's means then variances, got ${tensors.length} tensors`);
    }
    const count = tensors.length / 2;
    return new Magnetizations(
      tensors.slice(0, count).map((mean, i) => ({ mean, variance: tensors[count + i] as Tensor })),
    );
  }

  /** Number of particles. */
  get particles(): number {
    return be.shape((this.layers[0] as Magnetization).mean)[0] as number;
  }

  /** Each layer's means. */
  get means(): Tensor[] {
    return this.layers.map((m) => m.mean);
  }

  /** The means, then the variances: what a checkpoint carries. */
  tensors(): Tensor[] {
    return [...this.means, ...this.layers.map((m) => m.variance)];
  }

  /** Frees every tensor. */
  dispose(): void {
    be.dispose(this.tensors());
  }
}

/** Var r(x) of each layer's units. */
function rescaledVariances(model: BoltzmannMachine, magnetizations: Magnetizations): Tensor[] {
  return magnetizations.layers.map((m, i) => model.layer(i).tapRescaledVariance(m.variance));
}

/** The Onsager coefficients on layer `index`: Σ_neighbours Var r(x_j) W². @returns (particles, numUnits) */
function onsagerOn(model: BoltzmannMachine, index: number, variances: readonly Tensor[]): Tensor {
  return be.tidy(() => {
    const below = model.connections[index - 1];
    const above = model.connections[index];
    const parts = [
      ...(below ? [below.weights.onsagerUp(variances[index - 1] as Tensor)] : []),
      ...(above ? [above.weights.onsagerDown(variances[index + 1] as Tensor)] : []),
    ];
    return parts.reduce((total, part) => be.add(total, part));
  });
}

/** One damped sweep of the fixed-point equations, layer by layer from the visible one. @returns the caller owns it */
function sweep(model: BoltzmannMachine, magnetizations: Magnetizations, damping: number): Magnetizations {
  const layers = be.tidy(() => {
    const current = [...magnetizations.layers];
    const variances = rescaledVariances(model, magnetizations);
    for (let i = 0; i < model.numLayers; i++) {
      const layer = model.layer(i);
      const field = model.fieldOn(
        i,
        current.map((m) => m.mean),
      );
      const updated = layer.tapUpdate(field, onsagerOn(model, i, variances), current[i] as Magnetization, damping);
      current[i] = updated;
      variances[i] = layer.tapRescaledVariance(updated.variance);
    }
    return current;
  });
  return new Magnetizations(layers);
}

/**
 * Γ(m) for each particle.
 * @returns (particles)
 * @throws UnsupportedError when a layer has no TAP terms
 */
export function tapGibbsFreeEnergy(model: BoltzmannMachine, magnetizations: Magnetizations): Tensor {
  return be.tidy(() => {
    const variances = rescaledVariances(model, magnetizations);
    const rescaled = magnetizations.layers.map((m, i) => model.layer(i).rescale(m.mean));
    let total = model.layers.reduce<Tensor>(
      (sum, layer, i) => be.add(sum, layer.tapFreeEnergy(magnetizations.layers[i] as Magnetization)),
      be.zeros([magnetizations.particles]),
    );
    for (const { lower, upper, weights } of model.connections) {
      const onsager = be.sum(be.mul(weights.onsagerUp(variances[lower] as Tensor), variances[upper] as Tensor), 1);
      total = be.sub(
        be.add(total, weights.energy(rescaled[lower] as Tensor, rescaled[upper] as Tensor)),
        be.mul(onsager, 0.5),
      );
    }
    return total;
  });
}

/**
 * ∂Γ/∂θ at fixed magnetizations, averaged over the particles, for every parameter: at a
 * stationary point this is the TAP estimate of ∂(−ln Z)/∂θ = ⟨∂E/∂θ⟩_model (envelope
 * theorem). Per coupling, −r(μ_l) r(μ_u)ᵀ − W ∘ v_l v_uᵀ (the Onsager share).
 * @returns a Gradient the caller owns
 * @throws UnsupportedError when a layer has no TAP terms
 */
export function tapGradient(model: BoltzmannMachine, magnetizations: Magnetizations): Gradient {
  return be.tidy((): Gradient => {
    const variances = rescaledVariances(model, magnetizations);
    const { means } = magnetizations;
    return {
      layers: model.layers.map((layer, i) =>
        layer.tapDerivatives(
          magnetizations.layers[i] as Magnetization,
          model.fieldOn(i, means),
          onsagerOn(model, i, variances),
        ),
      ),
      weights: model.connections.map(({ lower, upper, weights }) => {
        const rescaled = (i: number) => model.layer(i).rescale(means[i] as Tensor);
        const plain = weights.derivatives(rescaled(lower), rescaled(upper));
        const onsager = weights.onsagerDerivatives(variances[lower] as Tensor, variances[upper] as Tensor);
        return { [weights.parameterName]: be.add(plain[weights.parameterName] as Tensor, onsager) };
      }),
    };
  });
}

/**
 * Runs `iterations` damped sweeps from `start` (or from `start` particles of each layer's
 * random start) and returns the magnetizations reached, which the caller owns (`start` is
 * not taken over).
 * @throws UnsupportedError when a layer has no TAP terms
 */
export function tapMagnetizations(
  model: BoltzmannMachine,
  start: Magnetizations | number,
  iterations = 100,
  damping = 0.5,
): Magnetizations {
  let current =
    typeof start === 'number' ? new Magnetizations(model.layers.map((layer) => layer.tapStart(start))) : start;
  for (let i = 0; i < iterations; i++) {
    const next = sweep(model, current, damping);
    if (current !== start) current.dispose();
    current = next;
  }
  return current === start ? Magnetizations.fromTensors(start.tensors().map((t) => be.clone(t))) : current;
}

/**
 * Why the second-order expansion does not hold at these magnetizations — a Gaussian layer's
 * Onsager coefficient reaching σ², where Γ has no minimum in the variances (couplings too
 * strong for TAP) — or undefined where it holds.
 */
export async function tapBreakdown(
  model: BoltzmannMachine,
  magnetizations: Magnetizations,
): Promise<string | undefined> {
  // Only layers with a limit (Gaussian ones) answer; the others are not read back.
  const ratios = be.tidy(() => {
    const variances = rescaledVariances(model, magnetizations);
    return model.layers.map((layer, i) => layer.tapOnsagerRatio(onsagerOn(model, i, variances)));
  });
  try {
    for (const [i, ratio] of ratios.entries()) {
      const largest = ratio === undefined ? 0 : await be.readScalar(ratio);
      if (largest >= 1) {
        const layer = model.layer(i).describe();
        return `layer ${i} (${layer}) has Onsager coefficients up to ${largest.toPrecision(3)} σ²: its TAP free energy has no minimum (couplings too strong for the expansion)`;
      }
    }
    return undefined;
  } finally {
    be.dispose(ratios.filter((ratio) => ratio !== undefined));
  }
}

/** Fixed-point sweeps the free-energy estimates run from random magnetizations by default. */
export const TAP_FREE_ENERGY_ITERATIONS = 200;

/**
 * The TAP estimate of −ln Z: the lowest Γ over `particles` fixed points (meaningless where
 * the expansion breaks down, which {@link tapBreakdown} tells). @returns a scalar tensor the caller owns
 */
export function tapFreeEnergy(
  model: BoltzmannMachine,
  particles = 10,
  iterations = TAP_FREE_ENERGY_ITERATIONS,
): Tensor {
  const magnetizations = tapMagnetizations(model, particles, iterations);
  const result = be.tidy(() => be.min(tapGibbsFreeEnergy(model, magnetizations)));
  magnetizations.dispose();
  return result;
}

/** Whether every layer of `model` has TAP terms (so the estimators above apply). */
export function hasTapTerms(model: BoltzmannMachine): boolean {
  return model.layers.every((layer) => layer.hasTapTerms);
}
