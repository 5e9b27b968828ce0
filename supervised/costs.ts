/**
 * The costs a feed-forward network trains on, each a function of the class scores (logits) and
 * the targets, with its gradient in the scores for backpropagation.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { checkChoice } from '../validation/index.js';

/**
 * What training minimizes, the mean over the batch of a cost per row:
 * - `softmaxCrossEntropy` (the default): −Σ_k y_k ln softmax(z)_k (PyDeep's `SoftMax` output with
 *   `NegLogLikelihood`; PyTorch's `CrossEntropyLoss`).
 * - `squaredError`: ½ Σ_k (softmax(z)_k − y_k)² (PyDeep's `SoftMax` output with `SquaredError`).
 * - `crossEntropyError`: −Σ_k [y_k ln σ(z_k) + (1 − y_k) ln(1 − σ(z_k))], each class an
 *   independent sigmoid unit (PyDeep's `Sigmoid` output with `CrossEntropyError`; PyTorch's
 *   `BCEWithLogitsLoss` times the number of classes), computed from z as softplus(z) − y z, so
 *   it needs none of PyDeep's clipping of σ(z) to [1e−10, 1 − 1e−10].
 */
export type Cost = 'softmaxCrossEntropy' | 'squaredError' | 'crossEntropyError';

/** The costs a network may train on. */
export const COSTS: readonly Cost[] = ['softmaxCrossEntropy', 'squaredError', 'crossEntropyError'];

/** Checks a cost's name. @throws ConfigError naming the allowed ones */
export function checkCost(cost: unknown, where: string): Cost {
  return checkChoice(cost, COSTS, where);
}

/**
 * Mean cross-entropy `−(1/B) Σ_b Σ_k y_bk ln softmax(z)_bk` of class scores.
 * @param logits - (batch, numClasses) @param targets - (batch, numClasses) @returns a scalar
 */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const batch = be.shape(logits)[0] as number;
  return be.tidy(() => be.div(be.neg(be.sum(be.mul(targets, be.logSoftmax(logits, 1)))), batch));
}

/**
 * The mean over the batch of `cost` per row.
 * @param logits - (batch, numClasses) @param targets - (batch, numClasses) @returns a scalar
 */
export function costValue(cost: Cost, logits: Tensor, targets: Tensor): Tensor {
  const batch = be.shape(logits)[0] as number;
  return be.tidy(() => {
    switch (cost) {
      case 'softmaxCrossEntropy':
        return crossEntropy(logits, targets);
      case 'squaredError':
        return be.div(be.sum(be.square(be.sub(be.softmax(logits, 1), targets))), 2 * batch);
      case 'crossEntropyError':
        return be.div(be.sum(be.sub(be.softplus(logits), be.mul(targets, logits))), batch);
    }
  });
}

/**
 * ∂{@link costValue}/∂z, where backpropagation starts: (softmax(z) − y)/B for the softmax
 * cross-entropy, (σ(z) − y)/B for `crossEntropyError`, and for `squaredError` the softmax's
 * Jacobian applied to g = softmax(z) − y: a ⊙ (g − Σ_k g_k a_k)/B.
 * @param logits - (batch, numClasses) @param targets - (batch, numClasses) @returns (batch, numClasses)
 */
export function costGradient(cost: Cost, logits: Tensor, targets: Tensor): Tensor {
  const batch = be.shape(logits)[0] as number;
  return be.tidy(() => {
    switch (cost) {
      case 'softmaxCrossEntropy':
        return be.div(be.sub(be.softmax(logits, 1), targets), batch);
      case 'crossEntropyError':
        return be.div(be.sub(be.sigmoid(logits), targets), batch);
      case 'squaredError': {
        const outputs = be.softmax(logits, 1);
        const error = be.sub(outputs, targets);
        const projected = be.sub(error, be.sum(be.mul(error, outputs), 1, true));
        return be.div(be.mul(outputs, projected), batch);
      }
    }
  });
}
