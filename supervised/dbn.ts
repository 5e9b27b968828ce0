import { be, type Tensor } from '../backends/index.js';
import { type BatchSource, MappedBatches } from '../batch/index.js';
import { ConfigError, ShapeError } from '../errors/index.js';
import { type History, SGD, type TrainOptions } from '../fit/index.js';
import type { Layer } from '../layers/index.js';
import { BoltzmannMachine, type NamedParameter } from '../models/index.js';
import type { Optimizer } from '../optimizers/index.js';
import { SequentialMC } from '../samplers/index.js';
import { checkOptions } from '../validation/index.js';

/**
 * The residual up-pass of Learnergy's ResidualDBN (Roder et al. 2020): each layer's input is
 * `ζ₁ p(h | x) + ζ₂ relu(a)/max relu(a)`, divided by its maximum, where a is the hidden
 * pre-activation (field + loc). Relief takes the maxima per sample, so a sample's features do
 * not depend on the rest of its batch (Learnergy takes them over the batch).
 */
export interface ResidualOptions {
  /** ζ₁, the weight of the hidden probabilities (default 1). */
  readonly original?: number;
  /** ζ₂, the weight of the normalized rectified pre-activations (default 1). */
  readonly residual?: number;
}

/** Options of {@link DeepBeliefNetwork.sample}. */
export interface DbnSampleOptions {
  /** Gibbs sweeps in the top RBM (default 200). */
  readonly gibbsSteps?: number;
  /** Visible rows whose up-pass starts the top chains (default: random states). (count, numVisible) */
  readonly start?: Tensor;
}

/**
 * A deep belief network (Hinton, Osindero & Teh 2006): a stack of RBMs trained greedily, each
 * on the up-pass of the data through the ones below. The top two layers form an undirected
 * RBM, the layers below a directed sigmoid belief net: samples come from Gibbs sampling in
 * the top RBM followed by one top-down pass; features from the up-pass. Every RBM is a
 * two-layer {@link BoltzmannMachine} with its own layers (a hidden layer's bias in one RBM
 * and the same units' visible bias in the next are separate parameters, as in the paper).
 */
export class DeepBeliefNetwork {
  /** The RBMs, bottom first. */
  readonly rbms: readonly BoltzmannMachine[];
  /** The ResidualDBN up-pass weights, or undefined for a plain DBN. */
  readonly residual: Required<ResidualOptions> | undefined;

  /** @param rbms - two-layer models, each one's hidden layer as wide as the next one's visible layer */
  constructor(rbms: readonly BoltzmannMachine[], options: { readonly residual?: ResidualOptions } = {}) {
    checkOptions(options, { residual: true }, 'DeepBeliefNetwork');
    if (rbms.length < 1) throw new ConfigError('DeepBeliefNetwork: expected at least one RBM');
    rbms.forEach((rbm, i) => {
      if (rbm.numLayers !== 2)
        throw new ConfigError(`DeepBeliefNetwork: rbms[${i}] has ${rbm.numLayers} layers, expected 2`);
      const below = rbms[i - 1];
      if (below && below.layer(1).numUnits !== rbm.layer(0).numUnits) {
        throw new ShapeError(
          `DeepBeliefNetwork: rbms[${i}] has ${rbm.layer(0).numUnits} visible units but rbms[${i - 1}] has ${below.layer(1).numUnits} hidden units`,
        );
      }
    });
    this.rbms = [...rbms];
    if (options.residual !== undefined) {
      checkOptions(options.residual, { original: true, residual: true }, 'DeepBeliefNetwork: residual');
      const { original = 1, residual = 1 } = options.residual;
      if (!(original >= 0 && residual >= 0 && original + residual > 0)) {
        throw new ConfigError(
          `DeepBeliefNetwork: residual: expected non-negative weights, not both 0, got ${original} and ${residual}`,
        );
      }
      this.residual = { original, residual };
    }
  }

  /**
   * A DBN over these layers, visible first: RBM i couples layers i and i + 1. The visible
   * layer of each upper RBM is a new layer of the same type as the hidden layer below it.
   */
  static fromLayers(
    layers: readonly Layer[],
    options: { readonly residual?: ResidualOptions } = {},
  ): DeepBeliefNetwork {
    if (layers.length < 2) throw new ConfigError(`DeepBeliefNetwork: expected at least 2 layers, got ${layers.length}`);
    const rbms = layers.slice(1).map((hidden, i) => {
      const below = layers[i] as Layer;
      return new BoltzmannMachine([i === 0 ? below : below.sameKind(), hidden]);
    });
    return new DeepBeliefNetwork(rbms, options);
  }

  /** The units of each layer, visible first. */
  get units(): number[] {
    return [this.rbms[0]?.layer(0).numUnits as number, ...this.rbms.map((rbm) => rbm.layer(1).numUnits)];
  }

  /**
   * Features: the up-pass of `visible` to layer `toLayer` (default the top), each layer the
   * conditional means given the one below (with the residual mix for a ResidualDBN).
   * @param visible - (batch, numVisible) @returns (batch, units[toLayer]), owned by the caller
   */
  upPass(visible: Tensor, toLayer = this.rbms.length): Tensor {
    if (!Number.isInteger(toLayer) || toLayer < 0 || toLayer > this.rbms.length) {
      throw new ConfigError(`upPass: toLayer: expected an integer in [0, ${this.rbms.length}], got ${toLayer}`);
    }
    const visibleShape = be.shape(visible);
    if (visibleShape.length !== 2 || visibleShape[1] !== this.units[0]) {
      throw new ShapeError(`upPass: expected visible (batch, ${this.units[0]}), got [${visibleShape.join(', ')}]`);
    }
    if (toLayer === 0) return be.clone(visible);
    return be.tidy(() => this.rbms.slice(0, toLayer).reduce((units, rbm) => this.upOne(rbm, units), visible));
  }

  /**
   * Greedy layerwise training (mutates the RBMs): RBM i trains with `fit.SGD` on the up-pass
   * of the data through the RBMs below, the optimizer reset before each.
   * @param epochs - per RBM: one number for all, or one per RBM
   * @returns one history per RBM
   */
  async pretrain(
    data: BatchSource,
    optimizer: Optimizer,
    epochs: number | readonly number[],
    options: TrainOptions = {},
  ): Promise<History[]> {
    const perRbm = typeof epochs === 'number' ? this.rbms.map(() => epochs) : epochs;
    if (perRbm.length !== this.rbms.length) {
      throw new ConfigError(
        `pretrain: epochs: expected one number per RBM (${this.rbms.length}), got ${perRbm.length}`,
      );
    }
    const histories: History[] = [];
    for (const [i, rbm] of this.rbms.entries()) {
      const stageData =
        i === 0 ? data : new MappedBatches(data, rbm.layer(0).numUnits, (visible) => this.upPass(visible, i));
      optimizer.reset();
      const history = await new SGD(rbm, stageData).train(optimizer, perRbm[i] as number, options);
      histories.push(history);
      if (history.aborted) break;
    }
    return histories;
  }

  /**
   * Samples of the generative model: `gibbsSteps` sweeps of block Gibbs sampling in the top
   * RBM, then one top-down pass, each layer drawn given the one above and the visible layer
   * at its conditional mean. @returns (count, numVisible), owned by the caller
   */
  sample(count: number, options: DbnSampleOptions = {}): Tensor {
    checkOptions(options, { gibbsSteps: true, start: true }, 'DeepBeliefNetwork.sample');
    const steps = options.gibbsSteps ?? 200;
    const top = this.rbms.at(-1) as BoltzmannMachine;
    const sampler = new SequentialMC(top, { mcsteps: steps });
    if (options.start === undefined) sampler.setState(top.randomState(count));
    else {
      const topVisible = this.upPass(options.start, this.rbms.length - 1);
      sampler.setStateFromVisible(topVisible);
      be.dispose(topVisible);
    }
    sampler.updateState();
    const result = be.tidy(() => {
      let units = sampler.state.getLayer(0);
      for (let i = this.rbms.length - 2; i >= 0; i--)
        units = this.downOne(this.rbms[i] as BoltzmannMachine, units, i === 0);
      return this.rbms.length === 1 ? top.layer(0).conditionalMean(top.fieldOn(0, sampler.state.units)) : units;
    });
    sampler.dispose();
    return result;
  }

  /**
   * The up-pass to the top, then the down-pass with conditional means (a deterministic
   * reconstruction). @param visible - (batch, numVisible) @returns (batch, numVisible)
   */
  reconstruct(visible: Tensor): Tensor {
    return be.tidy(() => {
      let units = this.upPass(visible);
      for (let i = this.rbms.length - 1; i >= 0; i--)
        units = this.downOne(this.rbms[i] as BoltzmannMachine, units, true);
      return units;
    });
  }

  /** Every parameter with its saved name (`rbms.<i>.layers.0.loc`, `rbms.<i>.connections.0.W`, …). */
  namedParameters(): NamedParameter[] {
    return this.rbms.flatMap((rbm, i) => rbm.namedParameters().map((p) => ({ ...p, key: `rbms.${i}.${p.key}` })));
  }

  /** Frees every parameter. */
  dispose(): void {
    for (const rbm of this.rbms) rbm.dispose();
  }

  /** One layer up: p(h | x), mixed with the rectified pre-activations for a ResidualDBN. */
  private upOne(rbm: BoltzmannMachine, units: Tensor): Tensor {
    const hidden = rbm.layer(1);
    const field = rbm.fieldOn(1, [units, undefined]);
    const means = hidden.conditionalMean(field);
    if (this.residual === undefined) return means;
    const rectified = be.maximum(be.add(field, hidden.param('loc')), 0);
    const mixed = be.add(
      be.mul(means, this.residual.original),
      be.mul(rowNormalized(rectified), this.residual.residual),
    );
    return rowNormalized(mixed);
  }

  /** One layer down: the lower layer given the upper one, sampled (or its mean at the bottom). */
  private downOne(rbm: BoltzmannMachine, upper: Tensor, mean: boolean): Tensor {
    const field = rbm.fieldOn(0, [undefined, upper]);
    return mean ? rbm.layer(0).conditionalMean(field) : rbm.layer(0).conditionalSample(field);
  }
}

/** Each row divided by its maximum (rows whose maximum is 0 stay 0). @param t - (batch, n) non-negative */
function rowNormalized(t: Tensor): Tensor {
  return be.tidy(() => be.div(t, be.maximum(be.max(t, 1, true), 1e-12)));
}
