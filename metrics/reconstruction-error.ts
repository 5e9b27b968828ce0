/**
 * The reconstruction error of data through the model.
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { type Assessment, AveragedMetric } from './metric.js';

/**
 * Root-mean-square difference between data and reconstructions, each sample's squared error
 * divided by the variance of the data batch.
 */
export class ReconstructionError extends AveragedMetric {
  readonly name = 'ReconstructionError';
  async update({ dataState, reconstructions }: Assessment): Promise<void> {
    const data = dataState.getVisible();
    const [variance, errors] = be.tidy(() => [
      be.add(be.variance(data), 1e-6),
      be.mean(be.square(be.sub(reconstructions.getVisible(), data)), 1),
    ]);
    const v = await be.readScalar(variance as Tensor);
    for (const e of await be.read(errors as Tensor)) this.average.add(e / v);
    be.dispose([variance as Tensor, errors as Tensor]);
  }
  override value(): number {
    return Math.sqrt(this.average.mean);
  }
}
