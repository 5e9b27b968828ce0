/**
 * What every metric is: an accumulator over validation batches (`update`) that reports one
 * number (`value`), and the shared bases for metrics that average per batch or per sample
 * ({@link AveragedMetric}) and for metrics of the model alone ({@link ModelMetric}).
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import type { BoltzmannMachine, State } from '../models/index.js';

/** What a metric looks at for one validation batch. */
export interface Assessment {
  readonly model: BoltzmannMachine;
  /** The data (visible clamped) with hidden layers at their conditional means. */
  readonly dataState: State;
  /** Reconstructions of the data. */
  readonly reconstructions: State;
  /** Fantasy particles sampled from the model. */
  readonly modelState: State;
}

/** A metric accumulated over batches. */
export interface Metric {
  readonly name: string;
  reset(): void;
  update(assessment: Assessment): Promise<void>;
  /** The value over the batches seen since `reset`, or NaN if none. */
  value(): number;
}

/** A running mean of numbers. */
export class RunningMean {
  private total = 0;
  private count = 0;
  add(value: number, weight = 1): void {
    this.total += value * weight;
    this.count += weight;
  }
  reset(): void {
    this.total = 0;
    this.count = 0;
  }
  get mean(): number {
    return this.count > 0 ? this.total / this.count : Number.NaN;
  }
}

/** A metric whose value is the mean of numbers added per batch (or per sample). */
export abstract class AveragedMetric implements Metric {
  abstract readonly name: string;
  protected readonly average = new RunningMean();
  reset(): void {
    this.average.reset();
  }
  abstract update(assessment: Assessment): Promise<void>;
  value(): number {
    return this.average.mean;
  }
}

/** A metric of the model alone, measured once per assessment round (at the first batch). */
export abstract class ModelMetric implements Metric {
  abstract readonly name: string;
  private measured = Number.NaN;
  reset(): void {
    this.measured = Number.NaN;
  }
  async update({ model }: Assessment): Promise<void> {
    if (Number.isNaN(this.measured)) this.measured = await this.measure(model);
  }
  /** The metric's value for `model` (NaN where it does not apply). */
  protected abstract measure(model: BoltzmannMachine): Promise<number>;
  value(): number {
    return this.measured;
  }
}

/** The mean of some numbers. */
export function meanOf(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] as number;
  return total / values.length;
}

/** The single value of a one-element tensor, which is then freed. */
export async function readAndDispose(t: Tensor): Promise<number> {
  const value = await be.readScalar(t);
  be.dispose(t);
  return value;
}
