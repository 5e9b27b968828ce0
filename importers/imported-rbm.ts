/**
 * A Relief RBM from another library's parameters, once they are in Relief's uncentered form,
 * and the result every importer returns.
 * @packageDocumentation
 */

import { be } from '../backends/index.js';
import { DataError, formatShape } from '../errors/index.js';
import { BernoulliLayer, GaussianLayer, type Layer, type Parametrized } from '../layers/index.js';
import { BoltzmannMachine } from '../models/index.js';
import type { HostArray } from './host-array.js';

/** The parameters of a two-layer model with Bernoulli hidden units, as Relief stores them. */
export interface RBMParameters {
  readonly visible: 'bernoulli' | 'gaussian';
  /** (numVisible, numHidden), row-major. */
  readonly weights: Float64Array;
  /** (numVisible): Bernoulli biases, or Gaussian locations m. */
  readonly visibleLoc: Float64Array;
  /** (numVisible): ln σ² of Gaussian units. */
  readonly visibleLogVar?: Float64Array;
  /** Keep ln σ² fixed in training (the source model did not learn it). */
  readonly fixedLogVar?: boolean;
  /** (numHidden) */
  readonly hiddenLoc: Float64Array;
}

/** What an importer returns. */
export interface ImportedModel {
  readonly model: BoltzmannMachine;
  /**
   * The constant c with `F_source(v) = F_relief(v) + c` for every visible row v, where F_source
   * is the negated unnormalized log-probability of the source library (so its ln Z differs by −c).
   */
  readonly freeEnergyOffset: number;
  /**
   * A centered source's offsets, (numUnits) per layer, for `model.centering.setOffsets` after
   * `model.center(…)` to continue training with them; only where Relief can center every layer.
   */
  readonly centeringOffsets?: readonly Float64Array[];
  /** What `model.json`'s metadata records: the source library, class and file. */
  readonly metadata: Record<string, unknown>;
}

function setParameter(owner: Parametrized, name: string, values: Float64Array): void {
  owner.setParam(name, be.tensor(values, owner.paramShape(name)));
}

/**
 * A `BoltzmannMachine` of a visible layer and a Bernoulli hidden layer with `parameters`.
 * @throws DataError when a parameter is not finite
 */
export function importedRBM(parameters: RBMParameters, where: string): BoltzmannMachine {
  const numVisible = parameters.visibleLoc.length;
  const numHidden = parameters.hiddenLoc.length;
  for (const [name, values] of Object.entries(parameters)) {
    if (!(values instanceof Float64Array)) continue;
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DataError(`${where}: ${name} is ${values[bad]} at index ${bad}; expected finite numbers`);
  }
  const visible: Layer =
    parameters.visible === 'bernoulli' ? new BernoulliLayer(numVisible) : new GaussianLayer(numVisible);
  const hidden = new BernoulliLayer(numHidden);
  const model = new BoltzmannMachine([visible, hidden], { weights: 'zeros' });
  setParameter(visible, 'loc', parameters.visibleLoc);
  if (parameters.visibleLogVar !== undefined) setParameter(visible, 'logVar', parameters.visibleLogVar);
  if (parameters.fixedLogVar === true) visible.setFixedParams(['logVar']);
  setParameter(hidden, 'loc', parameters.hiddenLoc);
  const weights = model.denseWeights(0, where);
  setParameter(weights, weights.parameterName, parameters.weights);
  return model;
}

/**
 * The values of `array` after checking its shape.
 * @param expected - sizes, -1 for any @throws DataError naming `what` and both shapes
 */
export function valuesOfShape(
  array: HostArray,
  expected: readonly number[],
  what: string,
  where: string,
): Float64Array {
  const fits =
    array.shape.length === expected.length && expected.every((size, i) => size < 0 || array.shape[i] === size);
  if (!fits) {
    const wanted = `[${expected.map((size) => (size < 0 ? 'any' : size)).join(', ')}]`;
    throw new DataError(`${where}: ${what}: expected shape ${wanted}, found ${formatShape(array.shape)}`);
  }
  return array.values;
}
