/**
 * The second-order TAP (extended mean-field) free energy of a Boltzmann machine of any depth
 * whose layers carry TAP terms (Gabrié, Tramel & Krzakala 2015; Tramel et al. 2018), with
 * the layer-specific pieces owned by the layers (`tapVariance`, `tapUpdate`,
 * `meanFieldFreeEnergy`). For magnetizations m_i of each layer,
 *   Γ(m) = Σ_i F_i(m_i) − Σ_c r(m_l)ᵀ W_c r(m_u) − ½ Σ_c var(m_l)ᵀ W_c² var(m_u),
 * with F_i the layer's mean-field free energy (E_q[H_i] − S(q_i)) and c running over the
 * connections (l = lower, u = upper layer). −ln Z ≈ Γ at its stationary points, reached by
 * the damped fixed-point sweep m_i ← (1−λ) m_i + λ · tapUpdate(φ_i, c_i, m_i), with the field
 * φ_i = Σ_neighbours r(m_j) W and the Onsager coefficient c_i = Σ_neighbours var(m_j) W².
 * For a Bernoulli–Bernoulli RBM this is m_v ← σ(a + W m_h + (½ − m_v) ⊙ W²(m_h − m_h²)).
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { Weights } from '../layers/index.js';
import type { BoltzmannMachine } from '../models/boltzmann-machine.js';
import { State } from '../models/state.js';

/** Magnetizations can approach 0 and 1 but are kept this far inside, so the entropies stay finite. */
const CLIP = 1e-6;

/** The Onsager coefficients on layer `index`: Σ_neighbours var(m_j) W² (particles, numUnits). */
function onsagerOn(model: BoltzmannMachine, index: number, means: readonly Tensor[]): Tensor {
  return be.tidy(() => {
    const variance = (j: number) => model.layer(j).tapVariance(means[j] as Tensor);
    const below = model.connections[index - 1];
    const above = model.connections[index];
    const parts = [
      ...(below ? [be.matmul(variance(index - 1), be.square((below.weights as Weights).matrix))] : []),
      ...(above
        ? [be.matmul(variance(index + 1), be.square((above.weights as Weights).matrix), { transposeB: true })]
        : []),
    ];
    return parts.reduce((total, part) => be.add(total, part));
  });
}

/** One damped sweep of the fixed-point equations, layer by layer from the visible one. @returns the caller owns it */
function sweep(model: BoltzmannMachine, magnetizations: State, damping: number): State {
  return new State(
    be.tidy(() => {
      const means = [...magnetizations.units];
      for (let i = 0; i < model.numLayers; i++) {
        const fresh = model.layer(i).tapUpdate(model.fieldOn(i, means), onsagerOn(model, i, means), means[i] as Tensor);
        const mixed = be.add(be.mul(means[i] as Tensor, 1 - damping), be.mul(fresh, damping));
        means[i] = be.clip(mixed, CLIP, 1 - CLIP);
      }
      return means;
    }),
  );
}

/**
 * Γ(m) for each particle. @param magnetizations - one (particles, numUnits_i) tensor per layer
 * @returns (particles)
 * @throws UnsupportedError when a layer has no TAP terms
 */
export function tapGibbsFreeEnergy(model: BoltzmannMachine, magnetizations: State): Tensor {
  return be.tidy(() => {
    const means = magnetizations.units;
    const variances = means.map((m, i) => model.layer(i).tapVariance(m));
    let total = model.layers.reduce<Tensor>(
      (sum, layer, i) => be.add(sum, layer.meanFieldFreeEnergy(means[i] as Tensor)),
      be.zeros([magnetizations.batchSize]),
    );
    for (const { lower, upper, weights } of model.connections) {
      const rescaled = (i: number) => model.layer(i).rescale(means[i] as Tensor);
      const onsager = be.sum(
        be.mul(
          be.matmul(variances[lower] as Tensor, be.square((weights as Weights).matrix)),
          variances[upper] as Tensor,
        ),
        1,
      );
      total = be.sub(be.add(total, weights.energy(rescaled(lower), rescaled(upper))), be.mul(onsager, 0.5));
    }
    return total;
  });
}

/**
 * Runs `iterations` damped sweeps from `start` (or from `start` random magnetizations in
 * [0.1, 0.9]) and returns the magnetizations reached, which the caller owns (`start` is not
 * taken over).
 * @throws UnsupportedError when a layer has no TAP terms
 */
export function tapMagnetizations(
  model: BoltzmannMachine,
  start: State | number,
  iterations = 100,
  damping = 0.5,
): State {
  let current =
    typeof start === 'number'
      ? new State(
          be.tidy(() => model.layers.map((l) => be.add(be.mul(be.randomUniform([start, l.numUnits]), 0.8), 0.1))),
        )
      : start;
  for (let i = 0; i < iterations; i++) {
    const next = sweep(model, current, damping);
    if (current !== start) current.dispose();
    current = next;
  }
  return current === start ? new State(start.units.map((u) => be.clone(u))) : current;
}

/** The TAP estimate of −ln Z: the lowest Γ over `particles` fixed points. @returns a scalar tensor the caller owns */
export function tapFreeEnergy(model: BoltzmannMachine, particles = 10, iterations = 200): Tensor {
  const magnetizations = tapMagnetizations(model, particles, iterations);
  const result = be.tidy(() => be.min(tapGibbsFreeEnergy(model, magnetizations)));
  magnetizations.dispose();
  return result;
}

/** Whether every layer of `model` has TAP terms and every connection is dense (so the estimators above apply). */
export function hasTapTerms(model: BoltzmannMachine): boolean {
  return (
    model.layers.every((layer) => layer.hasTapTerms) && model.connections.every((c) => c.weights instanceof Weights)
  );
}
