import { be, type Tensor } from '../backends/index.js';
import { ConfigError, UnsupportedError } from '../errors/index.js';
import type { Layer, ParameterTensors } from '../layers/index.js';
import { checkOptions } from '../validation/index.js';
import type { Connection, Gradient } from './boltzmann-machine.js';

/**
 * What the offsets follow (Melchior et al. 2016): the data means of each layer (PyDeep's
 * default), the model means, or their average.
 */
export const OFFSET_TYPES = ['data', 'model', 'both'] as const;
/** One of {@link OFFSET_TYPES}. */
export type OffsetType = (typeof OFFSET_TYPES)[number];

/** Options of {@link Centering}. */
export interface CenteringOptions {
  /** The running average's rate ν in (0, 1]: `μ ← (1 − ν)μ + ν·mean` each minibatch (default 0.01). */
  readonly rate?: number;
  /** What the offsets follow (default `'data'`). */
  readonly offsets?: OffsetType;
}

/** The means of each layer's units in the two phases of one minibatch, (numUnits) each. */
export interface PhaseMeans {
  readonly data: readonly Tensor[];
  readonly model: readonly Tensor[];
}

/**
 * Centering of a Boltzmann machine of any depth (Melchior, Fischer & Wiskott, "How to Center
 * Deep Boltzmann Machines", JMLR 2016): the energy is written in units shifted by offsets μ_i,
 * `E = −Σ b_iᵀ(x_i − μ_i) − Σ (x_i − μ_i)ᵀ W_i (x_{i+1} − μ_{i+1})`, and gradient steps are taken
 * in that parametrization. Relief stores the equivalent uncentered parameters
 * (`a_i = b_i − W_i μ_{i+1} − W_{i−1}ᵀ μ_{i−1}`), so a model trained centered saves, loads and
 * evaluates like any other; the offsets matter only to training.
 *
 * With Δ_i = ⟨x_i⟩_data − ⟨x_i⟩_model, the centered weight gradient is
 * `G_W + μ_i Δ_{i+1}ᵀ + Δ_i μ_{i+1}ᵀ`, and a step on the centered biases is a step on the stored
 * ones along `G_a,i − G_W,i^c μ_{i+1} − G_W,i−1^cᵀ μ_{i−1}`. Every layer must be
 * {@link Layer.centerable}.
 */
export class Centering {
  readonly rate: number;
  readonly offsetType: OffsetType;
  private current: Tensor[] | undefined;

  constructor(options: CenteringOptions = {}) {
    checkOptions(options, { rate: true, offsets: true }, 'Centering');
    const rate = options.rate ?? 0.01;
    if (!(rate > 0 && rate <= 1)) throw new ConfigError(`Centering: rate: expected a number in (0, 1], got ${rate}`);
    const offsetType = options.offsets ?? 'data';
    if (!OFFSET_TYPES.includes(offsetType)) {
      throw new ConfigError(
        `Centering: offsets: expected one of ${OFFSET_TYPES.map((t) => `'${t}'`).join(', ')}, got '${offsetType}'`,
      );
    }
    this.rate = rate;
    this.offsetType = offsetType;
  }

  /** @throws UnsupportedError naming the first layer that cannot be centered */
  static check(layers: readonly Layer[]): void {
    const index = layers.findIndex((layer) => !layer.centerable);
    if (index >= 0) {
      throw new UnsupportedError(
        `Centering: layer ${index} (${layers[index]?.describe()}) cannot be centered: it needs r(x) = x and a bias loc (bernoulli, onehot)`,
      );
    }
  }

  /** The offsets μ_i, (numUnits) per layer, or undefined before the first minibatch. */
  get offsets(): readonly Tensor[] | undefined {
    return this.current;
  }

  /**
   * The centered gradient of one minibatch in the stored parametrization, then the offsets'
   * running-average step toward this minibatch's means (set to them on the first minibatch).
   * @param gradient - the uncentered gradient (`model.gradient`) @param means - each phase's means
   * @returns a Gradient the caller owns
   */
  center(connections: readonly Connection[], gradient: Gradient, means: PhaseMeans): Gradient {
    const targets = this.targets(means);
    if (this.current === undefined) this.current = targets.map((t) => be.keep(be.clone(t)));
    const offsets = this.current;
    const centered = be.tidy((): Gradient => {
      const difference = means.data.map((m, i) => be.sub(m, means.model[i] as Tensor));
      const weights = connections.map(({ lower, upper }, l): ParameterTensors => {
        const matrix = gradient.weights[l]?.matrix;
        if (matrix === undefined) return {};
        const shifts = be.add(
          outer(offsets[lower] as Tensor, difference[upper] as Tensor),
          outer(difference[lower] as Tensor, offsets[upper] as Tensor),
        );
        return { ...gradient.weights[l], matrix: be.add(matrix, shifts) };
      });
      const layers = gradient.layers.map((parameters, i): ParameterTensors => {
        const loc = parameters.loc;
        if (loc === undefined) return parameters;
        const above = weights[i]?.matrix;
        const below = weights[i - 1]?.matrix;
        const corrections = [
          ...(above ? [be.matmul(above, column(offsets[i + 1] as Tensor))] : []),
          ...(below ? [be.matmul(below, column(offsets[i - 1] as Tensor), { transposeA: true })] : []),
        ];
        const shift = corrections.reduce((total, c) => be.add(total, be.reshape(c, [be.size(loc)])), be.zeros([]));
        return { ...parameters, loc: be.sub(loc, shift) };
      });
      return { layers, weights };
    });
    this.current = offsets.map((offset, i) => {
      const moved = be.keep(
        be.tidy(() => be.add(be.mul(offset, 1 - this.rate), be.mul(targets[i] as Tensor, this.rate))),
      );
      be.dispose(offset);
      return moved;
    });
    be.dispose(targets);
    return centered;
  }

  /** Continues with these offsets, (numUnits) per layer (e.g. from a checkpoint), taking them over. */
  setOffsets(offsets: readonly Tensor[]): void {
    this.dispose();
    this.current = offsets.map((offset) => be.keep(offset));
  }

  /** Forgets the offsets (the next minibatch sets them again). */
  dispose(): void {
    if (this.current) be.dispose(this.current);
    this.current = undefined;
  }

  /** What the offsets move toward this minibatch. @returns (numUnits) per layer, owned by the caller */
  private targets(means: PhaseMeans): Tensor[] {
    return means.data.map((data, i) => {
      const model = means.model[i] as Tensor;
      if (this.offsetType === 'data') return be.clone(data);
      if (this.offsetType === 'model') return be.clone(model);
      return be.tidy(() => be.mul(be.add(data, model), 0.5));
    });
  }
}

/** u vᵀ. @param u - (m) @param v - (n) @returns (m, n) */
function outer(u: Tensor, v: Tensor): Tensor {
  return be.tidy(() => be.matmul(column(u), be.reshape(v, [1, be.size(v)])));
}

/** A vector as a column. @param v - (n) @returns (n, 1) */
function column(v: Tensor): Tensor {
  return be.reshape(v, [be.size(v), 1]);
}
