/**
 * Székely's energy distance between data and fantasy particles, and its normalized coefficient.
 * @packageDocumentation
 */
import type { Tensor } from '../backends/index.js';
import { pairwiseDistances } from './distances.js';
import { type Assessment, AveragedMetric, meanOf } from './metric.js';

/** The energy-distance terms d1 = E|X − Y|, d2 = E|X − X'|, d3 = E|Y − Y'| between data and fantasy. */
async function energyDistanceTerms(x: Tensor, y: Tensor): Promise<[number, number, number]> {
  return [
    meanOf(await pairwiseDistances(x, y)),
    meanOf(await pairwiseDistances(x, x)),
    meanOf(await pairwiseDistances(y, y)),
  ];
}

/** Székely's energy distance 2E|X − Y| − E|X − X'| − E|Y − Y'| between data and fantasy particles. */
export class EnergyDistance extends AveragedMetric {
  readonly name = 'EnergyDistance';
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const [d1, d2, d3] = await energyDistanceTerms(dataState.getVisible(), modelState.getVisible());
    this.average.add(2 * d1 - d2 - d3);
  }
}

/** The normalized energy distance √max(0, (2d1 − d2 − d3)/(2d1)) in [0, 1] (Paysage's EnergyCoefficient). */
export class EnergyCoefficient extends AveragedMetric {
  readonly name = 'EnergyCoefficient';
  async update({ dataState, modelState }: Assessment): Promise<void> {
    const [d1, d2, d3] = await energyDistanceTerms(dataState.getVisible(), modelState.getVisible());
    this.average.add(Math.sqrt(Math.max(0, (2 * d1 - d2 - d3) / Math.max(2 * d1, 1e-12))));
  }
}
