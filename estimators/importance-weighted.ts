/**
 * The importance-weighted free energy of a deep Boltzmann machine: a tighter bound on F(v) than
 * the mean-field one, drawn from the same mean-field posterior.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import type { BoltzmannMachine } from '../models/index.js';
import { checkOptions } from '../validation/index.js';

/** Options of {@link importanceWeightedFreeEnergy}. */
export interface ImportanceWeightedOptions {
  /** Draws of the odd hidden layers per data row, K (default 10). */
  readonly samples?: number;
  /** Mean-field iterations that fit the posterior the draws come from (default 50, as `marginalFreeEnergy`). */
  readonly meanFieldSteps?: number;
}

/**
 * F_K(v) = −ln (1/K) Σ_k p*(v, h_k)/q(h_k | v) (Burda, Grosse & Salakhutdinov 2016): the odd
 * hidden layers h are drawn K times from their mean-field posterior q (each layer's conditional
 * at its mean-field field), and the even hidden layers are summed out exactly given them. In
 * expectation F_K(v) ≥ F(v), it falls toward F(v) as K grows, and already at K = 1 it is below
 * the mean-field free energy, so −F_K(v) − ln Z is a tighter lower bound on ln p(v) than
 * Salakhutdinov & Hinton's. For an RBM it is the exact free energy.
 * @param visible - (batch, numVisible) @returns (batch)
 */
export function importanceWeightedFreeEnergy(
  model: BoltzmannMachine,
  visible: Tensor,
  options: ImportanceWeightedOptions = {},
): Tensor {
  checkOptions(options, { samples: true, meanFieldSteps: true }, 'importanceWeightedFreeEnergy');
  const { samples = 10, meanFieldSteps = 50 } = options;
  if (!Number.isInteger(samples) || samples < 1) {
    throw new ConfigError(`importanceWeightedFreeEnergy: samples: expected an integer ≥ 1, got ${samples}`);
  }
  if (model.numLayers === 2) return model.marginalFreeEnergy(visible);
  const drawn = model.layers.map((_, i) => i).filter((i) => i % 2 === 1);
  const summed = model.layers.map((_, i) => i).filter((i) => i > 0 && i % 2 === 0);
  const fields = be.tidy(() => {
    const posterior = model.meanFieldIteration(meanFieldSteps, model.stateFromVisible(visible), { clamped: [0] });
    return drawn.map((i) => model.fieldOn(i, posterior.units));
  });
  const visibleTerm = be.tidy(() => be.neg(model.layer(0).energy(visible)));
  /**
   * ln p*(v, h) − ln q(h | v) of one draw; ln q(h) = r(h)·φ − E(h) − ln Z(φ), so each drawn
   * layer's own energy cancels. @returns (batch)
   */
  const logWeight = (): Tensor =>
    be.tidy(() => {
      const units: (Tensor | undefined)[] = model.layers.map(() => undefined);
      units[0] = visible;
      drawn.forEach((i, d) => {
        units[i] = model.layer(i).exactConditionalSample(fields[d] as Tensor);
      });
      let total = be.add(visibleTerm, be.sum(be.mul(model.layer(0).rescale(visible), model.fieldOn(0, units)), 1));
      drawn.forEach((i, d) => {
        const layer = model.layer(i);
        const field = fields[d] as Tensor;
        total = be.add(
          total,
          be.sub(layer.logPartition(field), be.sum(be.mul(layer.rescale(units[i] as Tensor), field), 1)),
        );
      });
      for (const j of summed) total = be.add(total, model.layer(j).logPartition(model.fieldOn(j, units)));
      return total;
    });
  let logSum = logWeight();
  for (let k = 1; k < samples; k++) {
    const draw = logWeight();
    const next = be.logaddexp(logSum, draw);
    be.dispose([logSum, draw]);
    logSum = next;
  }
  const freeEnergy = be.tidy(() => be.neg(be.sub(logSum, Math.log(samples))));
  be.dispose([...fields, visibleTerm, logSum]);
  return freeEnergy;
}
