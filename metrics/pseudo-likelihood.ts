/**
 * The mean log pseudo-likelihood of the data.
 * @packageDocumentation
 */
import { be } from '../backends/index.js';
import { pseudoLogLikelihood } from '../estimators/pseudo-likelihood.js';
import { type Assessment, AveragedMetric } from './metric.js';

/**
 * The mean log pseudo-likelihood of the data (Learnergy's), n · ln p(v_i | v_−i) at one random
 * site per row (see `estimators.pseudoLogLikelihood`), for RBMs whose visible units take two
 * states, as Bernoulli's (NaN for other models). Not in the default set.
 */
export class PseudoLikelihood extends AveragedMetric {
  readonly name = 'PseudoLikelihood';
  async update({ model, dataState }: Assessment): Promise<void> {
    if (model.numLayers !== 2 || !model.layer(0).twoStateUnits) return;
    const values = pseudoLogLikelihood(model, dataState.getVisible());
    for (const value of await be.read(values)) this.average.add(value);
    be.dispose(values);
  }
}
