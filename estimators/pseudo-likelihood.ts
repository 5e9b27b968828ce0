import { be, type Tensor } from '../backends/index.js';
import { UnsupportedError } from '../errors/index.js';
import type { BoltzmannMachine } from '../models/index.js';

/** Options of {@link pseudoLogLikelihood}. */
export interface PseudoLikelihoodOptions {
  /**
   * `'random'` (default; Learnergy's): n · ln p(v_i | v_−i) at one uniformly drawn site i per
   * row, an unbiased estimate of the sum; `'all'`: the sum over all n sites (n + 1 free energies per row).
   */
  readonly sites?: 'random' | 'all';
}

/**
 * Whether {@link pseudoLogLikelihood} applies: an RBM whose visible layer has two-state units
 * (`Layer.twoStateUnits`, Bernoulli's), so each conditional p(v_i | v_−i) compares v with v⁽ⁱ⁾.
 */
function supportsPseudoLikelihood(model: BoltzmannMachine): boolean {
  return model.numLayers === 2 && model.layer(0).twoStateUnits;
}

/**
 * The log pseudo-likelihood Σ_i ln p(v_i | v_−i) (Besag 1975) of visible rows under an RBM whose
 * visible units take two states (`Layer.twoStateUnits`: Bernoulli's 0 and 1):
 * ln p(v_i | v_−i) = ln σ(F(v⁽ⁱ⁾) − F(v)), v⁽ⁱ⁾ being v with unit i moved to its other state
 * (`Layer.flipUnits`) and F the exact free energy.
 * @param visible - (batch, numVisible), states of the visible units @returns (batch)
 * @throws UnsupportedError for deep models and visible layers without two-state units, naming the layer
 */
export function pseudoLogLikelihood(
  model: BoltzmannMachine,
  visible: Tensor,
  { sites = 'random' }: PseudoLikelihoodOptions = {},
): Tensor {
  const layer = model.layer(0);
  if (!supportsPseudoLikelihood(model)) {
    throw new UnsupportedError(
      `pseudoLogLikelihood: expected an RBM whose visible layer has two-state units (as Bernoulli's), got ${model.numLayers} layers with a ${layer.describe()} visible layer${layer.twoStateUnits ? '' : ', whose units do not take two states'}`,
    );
  }
  const [rows, n] = be.shape(visible) as [number, number];
  return be.tidy(() => {
    const freeEnergy = model.marginalFreeEnergy(visible);
    /** ln p(v_i | v_−i) at the sites the one-hot rows of `flips` (batch, n) pick. */
    const conditional = (flips: Tensor) =>
      be.logSigmoid(be.sub(model.marginalFreeEnergy(layer.flipUnits(visible, flips)), freeEnergy));
    if (sites === 'random') return be.mul(conditional(be.categorical(be.zeros([rows, n]))), n);
    let total = be.zeros([rows]);
    for (let i = 0; i < n; i++) {
      const site = be.tensor(
        Float32Array.from({ length: n }, (_, j) => (j === i ? 1 : 0)),
        [1, n],
      );
      total = be.add(total, conditional(be.mul(be.ones([rows, 1]), site)));
    }
    return total;
  });
}
