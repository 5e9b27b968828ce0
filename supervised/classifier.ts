import { be, type Tensor } from '../backends/index.js';
import { ShapeError } from '../errors/index.js';

/** Anything that gives class probabilities p(y | x): a fine-tuned network, a label RBM. */
export interface Classifier {
  /** Columns of the inputs. */
  readonly numInputs: number;
  /** Number of classes. */
  readonly numClasses: number;
  /** p(y | x) for every class. @param inputs - (batch, numInputs) @returns (batch, numClasses), rows sum to 1, owned by the caller */
  predictProba(inputs: Tensor): Tensor;
}

/** The most probable class of each row. @param inputs - (batch, numInputs) @returns (batch) class indices */
export async function predict(classifier: Classifier, inputs: Tensor): Promise<Int32Array> {
  checkInputs(classifier, inputs, 'predict');
  const winners = be.tidy(() => be.argMax(classifier.predictProba(inputs), 1));
  const values = await be.read(winners);
  be.dispose(winners);
  return Int32Array.from(values);
}

/** @throws ShapeError unless `inputs` is (batch, numInputs) */
export function checkInputs(classifier: Classifier, inputs: Tensor, where: string): void {
  const shape = be.shape(inputs);
  if (shape.length !== 2 || shape[1] !== classifier.numInputs) {
    throw new ShapeError(`${where}: expected inputs (batch, ${classifier.numInputs}), got [${shape.join(', ')}]`);
  }
}
