/**
 * PyDeep's training regularizers as fit-method wrappers: a sparsity target for the hidden
 * units' mean activation and a bound on the weight gradient's norm.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ConfigError, UnsupportedError } from '../errors/index.js';
import type { Connection, Gradient } from '../models/index.js';
import type { FitMethod } from './methods.js';

/** Options of {@link sparsityTarget}. */
export interface SparsityOptions {
  /** The desired mean activation of each hidden unit on the data, in (0, 1) for Bernoulli units. */
  readonly target: number;
  /** How hard to pull toward it (PyDeep's `reg_sparseness`). */
  readonly strength: number;
}

/**
 * PyDeep's sparseness regularization (`desired_sparseness`, `reg_sparseness`; Lee et al.
 * 2008): adds `strength · (⟨E[h_j | v]⟩_data − target)` to the gradient of the first hidden
 * layer's `loc`, so descent moves each unit's mean activation on the minibatch (given the
 * layer below) toward `target`.
 */
export function sparsityTarget(method: FitMethod, { target, strength }: SparsityOptions): FitMethod {
  checkNumber(target, 'sparsityTarget: target', false);
  checkNumber(strength, 'sparsityTarget: strength', false);
  if (method.usesLabels) {
    throw new UnsupportedError(
      "sparsityTarget: expected an unlabelled fit method; a label RBM's hidden means depend on the labels",
    );
  }
  const wrapped: FitMethod = (visible, model, positivePhase, negativePhase, targets) =>
    be.tidy(() => {
      const gradient = method(visible, model, positivePhase, negativePhase, targets);
      const hidden = gradient.layers[1];
      if (hidden?.loc === undefined) return gradient;
      const field = model.connections[0]?.weights.fieldUp(model.layer(0).rescale(visible)) as Tensor;
      const activation = be.mean(model.layer(1).conditionalMean(field), 0);
      const loc = be.add(hidden.loc, be.mul(be.sub(activation, target), strength));
      return { ...gradient, layers: gradient.layers.map((set, i) => (i === 1 ? { ...set, loc } : set)) };
    });
  return carryFlags(wrapped, method);
}

/** The norms {@link restrictGradient} bounds: each column, each row, or the whole matrix. */
export const RESTRICTION_NORMS = ['columns', 'rows', 'matrix'] as const;
/** Which norm of a weight gradient is bounded. */
export type RestrictionNorm = (typeof RESTRICTION_NORMS)[number];

/** Options of {@link restrictGradient}. */
export interface RestrictGradientOptions {
  /** The largest norm allowed. */
  readonly maxNorm: number;
  /** `columns` (one per upper unit, default), `rows` (one per lower unit) or the whole `matrix`. */
  readonly norm?: RestrictionNorm;
}

/**
 * PyDeep's gradient restriction (`restrict_gradient`, `restriction_norm` 'Cols', 'Rows',
 * 'Mat'): every weight gradient whose chosen norm exceeds `maxNorm` is scaled down to it.
 * PyDeep bounds the update (learning rate and momentum applied); this bounds the gradient
 * the optimizer receives, penalties included.
 */
export function restrictGradient(method: FitMethod, { maxNorm, norm = 'columns' }: RestrictGradientOptions): FitMethod {
  checkNumber(maxNorm, 'restrictGradient: maxNorm', true);
  if (!RESTRICTION_NORMS.includes(norm)) {
    throw new ConfigError(`restrictGradient: norm: expected one of ${RESTRICTION_NORMS.join(', ')}, got ${norm}`);
  }
  const axis = { columns: 0, rows: 1, matrix: undefined }[norm];
  const wrapped: FitMethod = (visible, model, positivePhase, negativePhase, targets) =>
    be.tidy((): Gradient => {
      const gradient = method(visible, model, positivePhase, negativePhase, targets);
      const bounded = (matrix: Tensor) => {
        const norms = be.sqrt(axis === undefined ? be.sum(be.square(matrix)) : be.sum(be.square(matrix), axis, true));
        return be.mul(matrix, be.minimum(be.div(maxNorm, be.maximum(norms, 1e-30)), 1));
      };
      return {
        ...gradient,
        weights: gradient.weights.map((set, i) => {
          // A filter bank has no rows or columns: only its whole norm applies.
          const { parameterName } =
            norm === 'matrix'
              ? (model.connections[i] as Connection).weights
              : model.denseWeights(i, `restrictGradient (norm '${norm}')`);
          const g = set[parameterName];
          return g === undefined ? set : { ...set, [parameterName]: bounded(g) };
        }),
      };
    });
  return carryFlags(wrapped, method);
}

/** The wrapped method's marks (labels, persistent tensors, epoch report, validation) on its wrapper. */
function carryFlags(wrapped: FitMethod, method: FitMethod): FitMethod {
  return Object.assign(wrapped, {
    ...(method.usesLabels !== undefined && { usesLabels: method.usesLabels }),
    ...(method.persistent !== undefined && { persistent: method.persistent }),
    ...(method.epochReport !== undefined && { epochReport: method.epochReport }),
    ...(method.validation !== undefined && { validation: method.validation }),
  });
}

function checkNumber(value: number, where: string, positive: boolean): void {
  if (!(Number.isFinite(value) && (positive ? value > 0 : value >= 0))) {
    throw new ConfigError(`${where}: expected a ${positive ? 'positive' : 'non-negative'} number, got ${value}`);
  }
}
