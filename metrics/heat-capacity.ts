/**
 * The heat capacity: the variance of the fantasy particles' energy.
 * @packageDocumentation
 */
import { be } from '../backends/index.js';
import { type Assessment, type Metric, meanOf } from './metric.js';

/**
 * The variance of the joint energy of the fantasy particles, with energies divided by the
 * fourth root of the number of parameters (Paysage's HeatCapacity).
 */
export class HeatCapacity implements Metric {
  readonly name = 'HeatCapacity';
  private energies: number[] = [];
  reset(): void {
    this.energies = [];
  }
  async update({ model, modelState }: Assessment): Promise<void> {
    const parameters = model.namedParameters().reduce((acc, p) => acc + be.size(p.owner.param(p.name)), 0);
    const energy = model.jointEnergy(modelState);
    const scale = parameters ** 0.25;
    for (const e of await be.read(energy)) this.energies.push(e / scale);
    be.dispose(energy);
  }
  value(): number {
    if (this.energies.length === 0) return Number.NaN;
    const mean = meanOf(this.energies);
    return this.energies.reduce((acc, e) => acc + (e - mean) ** 2, 0) / this.energies.length;
  }
}
