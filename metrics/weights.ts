/**
 * Metrics of the first weights: sparsity and mean square per hidden unit.
 * @packageDocumentation
 */
import { be } from '../backends/index.js';
import type { BoltzmannMachine, Connection } from '../models/index.js';
import { ModelMetric, readAndDispose } from './metric.js';

/** Weight sparsity p = 1/(nm) Σ_j (Σ_i w_ij²)² / Σ_i w_ij⁴ of the first weights, one column j per hidden unit or filter (Tubiana & Monasson 2017). */
export class WeightSparsity extends ModelMetric {
  readonly name = 'WeightSparsity';
  protected async measure(model: BoltzmannMachine): Promise<number> {
    return readAndDispose(
      be.tidy(() => {
        const weights = (model.connections[0] as Connection).weights.featureWeights();
        const [n = 1, m = 1] = be.shape(weights);
        const w2 = be.square(weights);
        return be.div(be.sum(be.div(be.square(be.sum(w2, 0)), be.sum(be.square(w2), 0))), n * m);
      }),
    );
  }
}

/** Mean squared weight per hidden unit (or filter), 1/m Σ_ij w_ij², of the first weights. */
export class WeightSquare extends ModelMetric {
  readonly name = 'WeightSquare';
  protected async measure(model: BoltzmannMachine): Promise<number> {
    return readAndDispose(
      be.tidy(() => {
        const weights = (model.connections[0] as Connection).weights.featureWeights();
        return be.div(be.sum(be.square(weights)), be.shape(weights)[1] as number);
      }),
    );
  }
}
