/**
 * The TAP free energy and the log-likelihood with ln Z from it.
 * @packageDocumentation
 */
import { be } from '../backends/index.js';
import {
  hasTapTerms,
  TAP_FREE_ENERGY_ITERATIONS,
  tapBreakdown,
  tapGibbsFreeEnergy,
  tapMagnetizations,
} from '../estimators/tap.js';
import type { BoltzmannMachine } from '../models/index.js';
import { type Assessment, ModelMetric, RunningMean, readAndDispose } from './metric.js';

/**
 * The second-order TAP estimate of the free energy −ln Z (lowest of `particles` fixed
 * points), for models whose layers have TAP terms (NaN for others, and where the expansion
 * breaks down: see `estimators.tapBreakdown`). Not in the default set.
 */
export class TAPFreeEnergy extends ModelMetric {
  readonly name: string = 'TAPFreeEnergy';
  constructor(readonly particles = 10) {
    super();
  }
  protected async measure(model: BoltzmannMachine): Promise<number> {
    if (!hasTapTerms(model)) return Number.NaN;
    const magnetizations = tapMagnetizations(model, this.particles, TAP_FREE_ENERGY_ITERATIONS);
    try {
      if (await tapBreakdown(model, magnetizations)) return Number.NaN;
      return await readAndDispose(be.tidy(() => be.min(tapGibbsFreeEnergy(model, magnetizations))));
    } finally {
      magnetizations.dispose();
    }
  }
}

/**
 * The mean log-likelihood of the data with ln Z from the TAP free energy:
 * mean(−F(v)) + F_TAP, for models whose layers have TAP terms (NaN otherwise). Not in the
 * default set.
 */
export class TAPLogLikelihood extends TAPFreeEnergy {
  override readonly name = 'TAPLogLikelihood';
  private readonly meanFreeEnergy = new RunningMean();
  override reset(): void {
    super.reset();
    this.meanFreeEnergy.reset();
  }
  override async update(assessment: Assessment): Promise<void> {
    await super.update(assessment);
    if (!hasTapTerms(assessment.model)) return;
    const freeEnergies = assessment.model.marginalFreeEnergy(assessment.dataState.getVisible());
    for (const f of await be.read(freeEnergies)) this.meanFreeEnergy.add(f);
    be.dispose(freeEnergies);
  }
  override value(): number {
    return -this.meanFreeEnergy.mean + super.value();
  }
}
