import { be, type Tensor } from '../backends/index.js';
import type { LabelledBatchSource, LabelledData } from '../batch/index.js';
import { ConfigError, ShapeError } from '../errors/index.js';
import type { Classifier } from './classifier.js';
import { crossEntropy } from './network.js';

/** How a classifier did on labelled data. */
export interface ClassificationReport {
  /** Rows evaluated. */
  readonly samples: number;
  /** Fraction classified correctly. */
  readonly accuracy: number;
  /** 1 − accuracy. */
  readonly error: number;
  /** Mean −ln p(true class | x). */
  readonly crossEntropy: number;
  /** `confusion[true][predicted]`: counts, (numClasses, numClasses). */
  readonly confusion: readonly (readonly number[])[];
}

/** Fraction of rows whose prediction equals the label. @param predicted - (rows) @param labels - (rows) */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(predicted, labels, 'accuracy');
  if (labels.length === 0) return Number.NaN;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct += 1;
  return correct / labels.length;
}

/**
 * Counts of each (true, predicted) pair. @param predicted - (rows) @param labels - (rows), both in [0, numClasses)
 * @returns (numClasses, numClasses): row = true class, column = predicted class
 */
export function confusionMatrix(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): number[][] {
  checkLengths(predicted, labels, 'confusionMatrix');
  const counts = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const [truth, guess] = [labels[i] as number, predicted[i] as number];
    const row = counts[truth];
    if (row === undefined || guess < 0 || guess >= numClasses) {
      throw new ConfigError(
        `confusionMatrix: row ${i} pairs ${truth} with ${guess}, expected classes in [0, ${numClasses})`,
      );
    }
    row[guess] = (row[guess] as number) + 1;
  }
  return counts;
}

/**
 * Accuracy, cross-entropy and confusion matrix of a classifier on labelled data, in batches.
 * @param data - inputs (rows, numInputs) and their labels
 */
export async function evaluateClassifier(
  classifier: Classifier,
  data: LabelledData,
  options: { readonly batchSize?: number } = {},
): Promise<ClassificationReport> {
  const { inputs, labels, numClasses } = data;
  if (inputs.columns !== classifier.numInputs || numClasses !== classifier.numClasses) {
    throw new ShapeError(
      `evaluateClassifier: the data has ${inputs.columns} columns and ${numClasses} classes; the classifier takes ${classifier.numInputs} and gives ${classifier.numClasses}`,
    );
  }
  const batchSize = options.batchSize ?? 1000;
  const predicted = new Int32Array(inputs.rows);
  let crossEntropy = 0;
  for (let start = 0; start < inputs.rows; start += batchSize) {
    const rows = Math.min(batchSize, inputs.rows - start);
    const batch = be.tensor(inputs.values.subarray(start * inputs.columns, (start + rows) * inputs.columns), [
      rows,
      inputs.columns,
    ]);
    const probabilities = classifier.predictProba(batch);
    const values = await be.read(probabilities);
    for (let r = 0; r < rows; r++) {
      predicted[start + r] = hostArgMax(values.subarray(r * numClasses, (r + 1) * numClasses));
      crossEntropy -= Math.log(Math.max(values[r * numClasses + (labels[start + r] as number)] as number, 1e-30));
    }
    be.dispose([batch, probabilities]);
  }
  const correct = accuracy(predicted, labels);
  return {
    samples: inputs.rows,
    accuracy: correct,
    error: 1 - correct,
    crossEntropy: crossEntropy / inputs.rows,
    confusion: confusionMatrix(predicted, labels, numClasses),
  };
}

/** The names of the figures {@link validationMetrics} adds to each epoch's record. */
export const VALIDATION_METRICS = ['validationLoss', 'validationAccuracy'] as const;

/**
 * Mean cross-entropy (`validationLoss`) and accuracy (`validationAccuracy`) of class scores on
 * the validation split of `data`; nothing when the split is empty. The scores may be any
 * unnormalized log-probabilities (a network's logits, a label RBM's −F(x, y)).
 * @param scoresOf - inputs (batch, numInputs) → class scores (batch, numClasses)
 */
export async function validationMetrics(
  data: LabelledBatchSource,
  scoresOf: (inputs: Tensor) => Tensor,
): Promise<Record<string, number>> {
  if (data.size('validate') === 0) return {};
  let [loss, correct, rows] = [0, 0, 0];
  for await (const { inputs, targets, labels } of data.labelledBatches('validate')) {
    const [batchLoss, winners] = be.tidy(() => {
      const scores = scoresOf(inputs);
      return [crossEntropy(scores, targets), be.argMax(scores, 1)];
    });
    loss += (await be.readScalar(batchLoss)) * labels.length;
    const predicted = await be.read(winners);
    labels.forEach((label, i) => {
      if (predicted[i] === label) correct += 1;
    });
    rows += labels.length;
    be.dispose([batchLoss, winners, inputs, targets]);
  }
  return { validationLoss: loss / rows, validationAccuracy: correct / rows };
}

function checkLengths(predicted: ArrayLike<number>, labels: ArrayLike<number>, where: string): void {
  if (predicted.length !== labels.length) {
    throw new ShapeError(`${where}: ${predicted.length} predictions for ${labels.length} labels`);
  }
}

/** The index of the largest value (the first on ties, as `be.argMax`). */
function hostArgMax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}
