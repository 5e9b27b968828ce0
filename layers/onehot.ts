import * as z from 'zod';
import { be, type Tensor } from '../backends/index.js';
import { ConfigError } from '../errors/index.js';
import { parseWith } from '../validation/index.js';
import { BiasLayer } from './bias-layer.js';
import { biasedField, type InverseTemperature, linearEnergy, MOMENT_SHRINKAGE, sumXLogX } from './layer.js';
import { registerLayer } from './registry.js';

/** The options of a {@link OneHotLayer}, in its constructor, `model.json` and run configs. */
export const oneHotOptionsSchema = z.strictObject({
  /** Units per categorical variable (softmax groups), a divisor of the units; default all of them. */
  groupSize: z
    .int()
    .min(1)
    .optional()
    .meta({ examples: [2] }),
});

/** Options of {@link OneHotLayer}: `groupSize`, units per categorical variable (default all the units). @useDeclaredType */
export type OneHotOptions = z.input<typeof oneHotOptionsSchema>;

/**
 * Categorical variables as one-hot units, `groupSize` units each (softmax groups; by default
 * one variable over all the units), exactly one unit on per group, with bias `loc`:
 * `H(x) = −locᵀx`, `p(x_g = e_k | φ) = softmax(β(loc + φ)_g)_k` for each group g independently.
 */
export class OneHotLayer extends BiasLayer {
  readonly type = 'onehot' as const;
  /** Units per categorical variable; `numUnits / groupSize` variables. */
  readonly groupSize: number;

  /**
   * @param numUnits - number of units @param options - `groupSize`, a divisor of numUnits (default numUnits)
   * @throws ConfigError when groupSize does not divide numUnits
   */
  constructor(numUnits: number, options: OneHotOptions = {}) {
    super(numUnits);
    const { groupSize = numUnits } = parseWith(oneHotOptionsSchema, options, `OneHotLayer(${numUnits})`);
    if (numUnits % groupSize !== 0) {
      throw new ConfigError(`OneHotLayer(${numUnits}): groupSize: expected a divisor of ${numUnits}, got ${groupSize}`);
    }
    this.groupSize = groupSize;
  }

  override describe(): string {
    const grouped = this.groupSize !== undefined && this.groupSize !== this.numUnits;
    return grouped ? `OneHotLayer(${this.numUnits} in groups of ${this.groupSize})` : super.describe();
  }

  /** The number of categorical variables. */
  get numGroups(): number {
    return this.numUnits / this.groupSize;
  }

  conditionalMean(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => this.byRow(be.softmax(this.byGroup(biasedField(field, this.param('loc'), beta)), 1)));
  }

  conditionalMode(field: Tensor): Tensor {
    return be.tidy(() => {
      const total = this.byGroup(be.add(field, this.param('loc')));
      const winner = be.reshape(be.argMax(total, 1), [be.shape(total)[0] as number, 1]);
      const categories = be.tensor(Array.from({ length: this.groupSize }, (_, i) => i));
      return this.byRow(be.equal(categories, winner));
    });
  }

  conditionalSample(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => this.byRow(be.categorical(this.byGroup(biasedField(field, this.param('loc'), beta)))));
  }

  logPartition(field: Tensor, beta: InverseTemperature = 1): Tensor {
    return be.tidy(() => {
      const perGroup = be.logsumexp(this.byGroup(biasedField(field, this.param('loc'), beta)), 1);
      return be.sum(be.reshape(perGroup, [(be.shape(perGroup)[0] as number) / this.numGroups, this.numGroups]), 1);
    });
  }

  meanFieldFreeEnergy(mean: Tensor): Tensor {
    return be.tidy(() => be.add(linearEnergy(mean, this.param('loc')), sumXLogX(mean)));
  }

  /** Every state: one unit on per group, groupSize^numGroups of them, the last group varying fastest. */
  enumerateStates(): Tensor {
    const [n, size, groups] = [this.numUnits, this.groupSize, this.numGroups];
    const count = size ** groups;
    const values = new Float32Array(count * n);
    for (let state = 0; state < count; state++) {
      for (let g = 0, rest = state; g < groups; g++, rest = Math.floor(rest / size)) {
        values[state * n + (groups - 1 - g) * size + (rest % size)] = 1;
      }
    }
    return be.tensor(values, [count, n]);
  }

  initializeFromMoments(mean: Float64Array): void {
    const uniform = 1 / this.groupSize;
    const loc = Float32Array.from(mean, (m) => Math.log((1 - MOMENT_SHRINKAGE) * m + MOMENT_SHRINKAGE * uniform));
    this.setParam('loc', be.tensor(loc));
  }

  protected override layerOptions(): OneHotOptions {
    return this.groupSize === this.numUnits ? {} : { groupSize: this.groupSize };
  }

  /** (batch, numUnits) as (batch · numGroups, groupSize): one categorical variable per row. */
  private byGroup(units: Tensor): Tensor {
    return be.reshape(units, [(be.shape(units)[0] as number) * this.numGroups, this.groupSize]);
  }

  /** (batch · numGroups, groupSize) back to (batch, numUnits). */
  private byRow(groups: Tensor): Tensor {
    return be.reshape(groups, [(be.shape(groups)[0] as number) / this.numGroups, this.numUnits]);
  }
}

declare module './registry.js' {
  interface LayerTypes {
    onehot: OneHotLayer;
  }
}
registerLayer('onehot', OneHotLayer, oneHotOptionsSchema);
