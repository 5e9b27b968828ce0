import { be, type PlannedTensor, type Tensor } from '../backends/index.js';
import type { FitData, FitOptions } from '../config/fit-model.js';
import { ConfigError, ShapeError, UnsupportedError } from '../errors/index.js';
import type { History } from '../fit/monitor.js';
import type { InverseTemperature, Layer, ParameterTensors } from '../layers/index.js';
import { type Coupling, Weights } from '../layers/index.js';
import type { Parametrized } from '../layers/parameters.js';
import { checkOptions } from '../validation/index.js';
import { Centering, type CenteringOptions } from './centering.js';
import { State } from './state.js';

/** The coupling (dense or convolutional weights) between layer `lower` and layer `upper = lower + 1`. */
export interface Connection {
  readonly lower: number;
  readonly upper: number;
  readonly weights: Coupling;
}

/** Options of the iterations over layers. */
export interface ChainOptions {
  /** Inverse temperature: a number or (batch, 1). Default 1. */
  readonly beta?: InverseTemperature;
  /** Layers that keep their values (e.g. `[0]` to clamp the visible units to data). */
  readonly clamped?: readonly number[];
  /**
   * Dropout masks (see `fit.dropout`): per layer, absent or (batch, numUnits) of 0s and 1s; a
   * unit whose mask is 0 is dropped, held at 0 after every update.
   */
  readonly masks?: UnitMasks;
  /**
   * Whether a sampling chain draws each layer from the exact conditional of its energy
   * (`Layer.exactConditionalSample`), as estimators need, instead of its training sampler
   * (they differ for NReLU units). Default false.
   */
  readonly exactSamples?: boolean;
}

/** Per layer, absent or a (batch, numUnits) mask of 0s (dropped units) and 1s. */
export type UnitMasks = readonly (Tensor | undefined)[];

/** Per-parameter gradients of a model: one set per layer and one per connection (fixed parameters omitted). */
export type Gradient = {
  readonly layers: readonly ParameterTensors[];
  readonly weights: readonly ParameterTensors[];
};

/** One parameter of a model under its saved name, e.g. `layers.0.loc` or `connections.0.W`. */
export interface NamedParameter {
  readonly key: string;
  readonly owner: Parametrized;
  readonly name: string;
}

type UnitUpdate = 'sample' | 'mean' | 'mode';

/**
 * A Boltzmann machine of any depth: a chain of layers `x_0 = v, x_1, …, x_L` with weights
 * between consecutive layers, energy `E = Σ H_i(x_i) − Σ r(x_{i−1})ᵀ W_i r(x_i)`. Two layers
 * make an RBM (a Bernoulli visible and a Gaussian hidden layer with fixed parameters make a
 * Hopfield model); three or more a deep Boltzmann machine.
 */
export class BoltzmannMachine {
  /** The layers, visible first. */
  readonly layers: readonly Layer[];
  /** `connections[i]` couples layers i and i + 1. */
  readonly connections: readonly Connection[];
  private centered: Centering | undefined;

  /**
   * @param layers - at least two layers, visible first
   * @param options - `weights`: `'random'` (dense, N(0, 0.01²), default), `'zeros'`, or existing
   *   couplings — `Weights` or `ConvolutionalWeights` — one per connection (e.g. to share one RBM's with a deep model)
   */
  constructor(layers: readonly Layer[], options: { readonly weights?: 'random' | 'zeros' | readonly Coupling[] } = {}) {
    checkOptions(options, { weights: true }, 'BoltzmannMachine');
    if (layers.length < 2) {
      throw new ConfigError(`BoltzmannMachine: expected at least 2 layers, got ${layers.length}`);
    }
    this.layers = [...layers];
    const initial = options.weights ?? 'random';
    if (typeof initial === 'string') BoltzmannMachine.checkMemory(this.layers.map((layer) => layer.numUnits));
    this.connections = this.layers.slice(1).map((upperLayer, i) => {
      const lower = this.layer(i);
      const weights =
        typeof initial === 'string' ? new Weights(lower.numUnits, upperLayer.numUnits, initial) : initial[i];
      if (!weights || weights.numLower !== lower.numUnits || weights.numUpper !== upperLayer.numUnits) {
        throw new ShapeError(
          `BoltzmannMachine: connection ${i} needs weights joining ${lower.numUnits} and ${upperLayer.numUnits} units` +
            (weights ? `; ${weights.describe()} joins ${weights.numLower} and ${weights.numUpper}` : ''),
        );
      }
      return { lower: i, upper: i + 1, weights };
    });
  }

  /**
   * Refuses, before anything is allocated, a model whose weights would not fit the backend.
   * @param units - the number of units of each layer, visible first
   * @throws MemoryBudgetError naming the connection, its shape and the bytes it needs
   */
  static checkMemory(units: readonly number[]): void {
    be.checkMemory(
      units.slice(1).map((upper, i) => ({
        what: `connections.${i}.W between layers[${i}] (${units[i]} units) and layers[${i + 1}] (${upper} units)`,
        shape: [units[i] as number, upper],
      })),
      'BoltzmannMachine',
      'use fewer units in these layers, or a backend with more memory',
    );
  }

  /** The tensors a State of `batchSize` rows holds (for memory checks). @param what - names them in messages */
  stateTensors(batchSize: number, what: string): PlannedTensor[] {
    return this.layers.map((layer, i) => ({ what: `${what} of layers[${i}]`, shape: [batchSize, layer.numUnits] }));
  }

  /** One tensor the shape of each parameter (for memory checks). @param what - names them in messages */
  parameterTensors(what: string): PlannedTensor[] {
    return this.namedParameters().map(({ key, owner, name }) => ({
      what: `${what} ${key}`,
      shape: owner.paramShape(name),
    }));
  }

  /** Number of layers. */
  get numLayers(): number {
    return this.layers.length;
  }

  /** Layer `index`. */
  layer(index: number): Layer {
    const layer = this.layers[index];
    if (layer === undefined) throw new ShapeError(`model has no layer ${index} (it has ${this.numLayers})`);
    return layer;
  }

  /**
   * The dense weights of connection `index`, for what is defined for them only.
   * @param where - names the caller in errors @throws UnsupportedError when they are convolutional
   */
  denseWeights(index: number, where: string): Weights {
    const weights = this.connections[index]?.weights;
    if (!(weights instanceof Weights)) {
      throw new UnsupportedError(
        `${where}: needs dense weights; connection ${index} is ${weights?.describe() ?? 'missing'}`,
      );
    }
    return weights;
  }

  /** Every parameter with its saved name (`layers.0.loc`, `connections.0.W`, …). */
  namedParameters(): NamedParameter[] {
    const layerParams = this.layers.flatMap((layer, i) =>
      layer.paramNames.map((name) => ({ key: `layers.${i}.${name}`, owner: layer as Parametrized, name })),
    );
    const weightParams = this.connections.map((c, i) => ({
      key: `connections.${i}.W`,
      owner: c.weights as Parametrized,
      name: c.weights.parameterName,
    }));
    return [...layerParams, ...weightParams];
  }

  /**
   * The field on layer `index` from its neighbours, Σ r(x_j) W (oriented).
   * @param units - one (batch, numUnits_j) tensor per layer @returns (batch, numUnits_index)
   */
  fieldOn(index: number, units: readonly (Tensor | undefined)[]): Tensor {
    this.layer(index);
    const neighbour = (i: number): Tensor => {
      const value = units[i];
      if (value === undefined) throw new ShapeError(`fieldOn(${index}): layer ${i} has no units`);
      return this.layer(i).rescale(value);
    };
    return be.tidy(() => {
      const below = this.connections[index - 1];
      const above = this.connections[index];
      const parts = [
        ...(below ? [below.weights.fieldUp(neighbour(index - 1))] : []),
        ...(above ? [above.weights.fieldDown(neighbour(index + 1))] : []),
      ];
      return parts.reduce((total, part) => be.add(total, part));
    });
  }

  /** E(x) for each sample of a state. @returns (batch) */
  jointEnergy(state: State): Tensor {
    this.checkState(state);
    return be.tidy(() => {
      let energy = this.layers.reduce<Tensor>(
        (total, layer, i) => be.add(total, layer.energy(state.getLayer(i))),
        be.zeros([state.batchSize]),
      );
      for (const { lower, upper, weights } of this.connections) {
        const rescaledLower = this.layer(lower).rescale(state.getLayer(lower));
        const rescaledUpper = this.layer(upper).rescale(state.getLayer(upper));
        energy = be.add(energy, weights.energy(rescaledLower, rescaledUpper));
      }
      return energy;
    });
  }

  /**
   * The free energy of visible configurations, `F(v) = −ln Σ_h exp(−βE(v, h))`: exact for two
   * layers (the hidden units are summed out analytically: `F(v) = βH_v(v) − ln Z_h(φ(v), β)`,
   * Z_h the hidden layer's partition function at β); for deeper models the mean-field
   * bound `F_MF(v) = E_q[E] − S(q) ≥ F(v)` (β = 1), with q the fixed point of
   * `meanFieldSteps` mean-field iterations with v clamped.
   * @param visible - (batch, numVisible)
   * @param options - `beta`: a number, or (batch, 1) with one β per row (two layers only)
   * @returns (batch)
   */
  marginalFreeEnergy(visible: Tensor, options: { beta?: InverseTemperature; meanFieldSteps?: number } = {}): Tensor {
    const beta = options.beta ?? 1;
    this.checkVisible(visible);
    if (this.numLayers === 2) {
      const rows = be.shape(visible)[0] as number;
      const betaShape = typeof beta === 'number' ? [rows, 1] : be.shape(beta);
      if (betaShape.length !== 2 || betaShape[0] !== rows || betaShape[1] !== 1) {
        throw new ShapeError(
          `marginalFreeEnergy: beta: expected a number or a tensor (${rows}, 1), one β per row, got [${betaShape.join(', ')}]`,
        );
      }
      return be.tidy(() => {
        const visibleEnergy = be.mul(
          this.layer(0).energy(visible),
          typeof beta === 'number' ? beta : be.reshape(beta, [rows]),
        );
        const field = this.connections[0]?.weights.fieldUp(this.layer(0).rescale(visible)) as Tensor;
        return be.sub(visibleEnergy, this.layer(1).logPartition(field, beta));
      });
    }
    if (beta !== 1)
      throw new ConfigError('marginalFreeEnergy: the mean-field bound of a deep model supports only beta = 1');
    const start = this.stateFromVisible(visible);
    const fixedPoint = this.meanFieldIteration(options.meanFieldSteps ?? 50, start, { clamped: [0] });
    const freeEnergy = be.tidy(() => {
      let total = this.layer(0).energy(visible);
      for (let i = 1; i < this.numLayers; i++)
        total = be.add(total, this.layer(i).meanFieldFreeEnergy(fixedPoint.getLayer(i)));
      for (const { lower, upper, weights } of this.connections) {
        const rescaledLower = this.layer(lower).rescale(fixedPoint.getLayer(lower));
        const rescaledUpper = this.layer(upper).rescale(fixedPoint.getLayer(upper));
        total = be.add(total, weights.energy(rescaledLower, rescaledUpper));
      }
      return total;
    });
    this.disposeCreated([start, fixedPoint], [visible]);
    return freeEnergy;
  }

  /**
   * A state with `visible` and each hidden layer set to its conditional mean given the layer
   * below (one upward pass, the usual start for mean-field iterations).
   * @param visible - (batch, numVisible) @param masks - dropout masks of the hidden layers
   */
  stateFromVisible(visible: Tensor, masks: UnitMasks = []): State {
    this.checkVisible(visible);
    this.checkMasks(masks, be.shape(visible)[0] as number);
    const units = be.tidy(() => {
      const out: Tensor[] = [visible];
      for (const { lower, upper, weights } of this.connections) {
        const field = weights.fieldUp(this.layer(lower).rescale(out[lower] as Tensor));
        out.push(dropUnits(this.layer(upper).conditionalMean(field), masks[upper]));
      }
      return out;
    });
    return new State(units);
  }

  /** Random units for every layer, drawn from each layer with no field. */
  randomState(batchSize: number): State {
    return new State(this.layers.map((layer) => layer.randomState(batchSize)));
  }

  /**
   * `steps` sweeps of block Gibbs sampling: odd layers given their neighbours, then even
   * layers; clamped layers keep their values. Returns a new state.
   */
  markovChain(steps: number, state: State, options: ChainOptions = {}): State {
    return this.iterate('sample', steps, state, options);
  }

  /** `steps` sweeps replacing each layer by its conditional mean (odd layers, then even). */
  meanFieldIteration(steps: number, state: State, options: ChainOptions = {}): State {
    return this.iterate('mean', steps, state, options);
  }

  /** `steps` sweeps replacing each layer by its most probable value given its neighbours. */
  deterministicIteration(steps: number, state: State, options: ChainOptions = {}): State {
    return this.iterate('mode', steps, state, options);
  }

  /**
   * Reconstructions of `visible`: the hidden layers from the data (mean-field for deep
   * models), the first hidden layer sampled (`method: 'sample'`, default) or kept at its mean
   * (`'mean'`), then the visible layer's conditional mean given it.
   * @param visible - (batch, numVisible) @returns a state whose visible layer is the reconstruction
   */
  computeReconstructions(
    visible: Tensor,
    options: { method?: 'sample' | 'mean'; meanFieldSteps?: number } = {},
  ): State {
    const upward = this.stateFromVisible(visible);
    const posterior =
      this.numLayers > 2 ? this.meanFieldIteration(options.meanFieldSteps ?? 10, upward, { clamped: [0] }) : upward;
    const units = be.tidy(() => {
      const hidden =
        options.method === 'mean'
          ? posterior.getLayer(1)
          : this.layer(1).conditionalSample(this.fieldOn(1, posterior.units));
      const withHidden = posterior.units.map((u, i) => (i === 1 ? hidden : u));
      const reconstruction = this.layer(0).conditionalMean(this.fieldOn(0, withHidden));
      return withHidden.map((u, i) => (i === 0 ? reconstruction : u));
    });
    const result = new State(units);
    this.disposeCreated([upward, posterior], [visible, ...units]);
    return result;
  }

  /**
   * Mean over the batch of ∂E/∂θ for every parameter (fixed ones included) in a state, or the
   * weighted sum `Σ_b w_b ∂E/∂θ(x_b)` with row weights.
   * @param rowWeights - (batch), summing to 1 (they may be negative)
   * @returns one set per layer and one per connection
   */
  derivatives(state: State, rowWeights?: Tensor): Gradient {
    this.checkState(state);
    return be.tidy(
      (): Gradient => ({
        layers: this.layers.map((_, i) => this.layerDerivatives(state, i, rowWeights)),
        weights: this.connections.map(({ lower, upper, weights }) =>
          weights.derivatives(
            this.layer(lower).rescale(state.getLayer(lower)),
            this.layer(upper).rescale(state.getLayer(upper)),
            rowWeights,
          ),
        ),
      }),
    );
  }

  /**
   * The gradient `⟨∂E/∂θ⟩_data − ⟨∂E/∂θ⟩_model` (of the negative log-likelihood, so optimizers
   * descend it) plus each penalty's gradient, for every trainable parameter (fixed ones are
   * left out). The one way every fit method makes its gradient. A centered model (see
   * {@link center}) returns the centered gradient and moves its offsets toward this batch's means.
   * @param dataState - units from the data (visible clamped)
   * @param modelPhase - units from the model, or the model-phase mean derivatives a mean-field
   *   method computed (e.g. TAP's ∂Γ/∂θ), in the form {@link derivatives} returns
   * @returns a Gradient the caller owns
   */
  gradient(dataState: State, modelPhase: State | Gradient): Gradient {
    const centering = this.centered;
    if (centering === undefined) return this.uncenteredGradient(dataState, modelPhase);
    return be.tidy(() => {
      const gradient = this.uncenteredGradient(dataState, modelPhase);
      const meansOf = (state: State) => state.units.map((units) => be.mean(units, 0));
      const means = {
        data: meansOf(dataState),
        // A mean-field model phase gives ⟨∂E/∂loc⟩ = −⟨x⟩ for every centerable layer.
        model:
          modelPhase instanceof State
            ? meansOf(modelPhase)
            : modelPhase.layers.map((derivatives) => be.neg(derivatives.loc as Tensor)),
      };
      return centering.center(this.connections, gradient, means);
    });
  }

  /**
   * Centers every later {@link gradient} (Melchior et al. 2016, see {@link Centering}), or with
   * `null` stops; the offsets start at the first minibatch's means.
   * @throws UnsupportedError when a layer cannot be centered
   */
  center(options: CenteringOptions | null): void {
    this.centered?.dispose();
    this.centered = undefined;
    if (options === null) return;
    Centering.check(this.layers);
    for (const i of this.connections.keys()) this.denseWeights(i, 'center');
    this.centered = new Centering(options);
  }

  /**
   * Trains the model on `data` (mutates it) as `relief train` would, with the run config's
   * defaults, each overridable by name: `await rbm.fit(data, { epochs: 10 })`. Initializes the
   * model from the training rows unless it has been initialized, trained or loaded; a deep model
   * is pretrained layerwise, then trained jointly. See `config.fitModel` for the details.
   *
   * The implementation is `config/fit-model.ts` (`config.fitModel`): it needs the run config's
   * schema and `fit/`'s trainers, which sit above `models/` in the layers of the code and import
   * this class. So the method loads it by a dynamic `import()` on its first call: nothing here
   * imports upward when the module loads (the imports of `FitData`, `FitOptions` and `History`
   * are of types only), and the model core still loads without the training stack.
   *
   * @param data - (rows, numVisible): a host matrix `{ rows, columns, values }`, a tensor, or a `BatchSource`
   * @returns the training history (of a deep model: its joint stage's)
   * @throws ConfigError naming a bad or unknown option
   */
  async fit(data: FitData, options: FitOptions = {}): Promise<History> {
    const { fitModel } = await import('../config/fit-model.js');
    return fitModel(this, data, options);
  }

  /** The centering of the gradient (its offsets and rate), while {@link center} has it on. */
  get centering(): Centering | undefined {
    return this.centered;
  }

  /** {@link gradient} in the stored parametrization, before centering. */
  private uncenteredGradient(dataState: State, modelPhase: State | Gradient): Gradient {
    this.checkState(dataState);
    if (!(modelPhase instanceof State)) {
      return be.tidy((): Gradient => {
        const positive = this.derivatives(dataState);
        const difference = (owner: Parametrized, plus?: ParameterTensors, minus?: ParameterTensors) =>
          this.difference(owner, plus as ParameterTensors, minus as ParameterTensors);
        return {
          layers: this.layers.map((layer, i) => difference(layer, positive.layers[i], modelPhase.layers[i])),
          weights: this.connections.map(({ weights }, i) =>
            difference(weights, positive.weights[i], modelPhase.weights[i]),
          ),
        };
      });
    }
    const modelState = modelPhase;
    this.checkState(modelState);
    return be.tidy((): Gradient => {
      const layers = this.layers.map((layer, i) =>
        this.difference(layer, this.layerDerivatives(dataState, i), this.layerDerivatives(modelState, i)),
      );
      // Each weight gradient is one product of both phases' units (see Weights.derivativeDifference).
      const weights = this.connections.map(({ lower, upper, weights: w }): ParameterTensors => {
        const name = w.parameterName;
        if (!w.trainableParams.includes(name)) return {};
        const rescaled = (state: State, i: number) => this.layer(i).rescale(state.getLayer(i));
        const difference = w.derivativeDifference(
          rescaled(dataState, lower),
          rescaled(dataState, upper),
          rescaled(modelState, lower),
          rescaled(modelState, upper),
        );
        return { [name]: w.penalize(name, difference) };
      });
      return { layers, weights };
    });
  }

  /** The saved name and first bad value of a non-finite parameter, or undefined when all are finite. */
  async findNonFinite(): Promise<string | undefined> {
    for (const { key, owner, name } of this.namedParameters()) {
      const values = await be.read(owner.param(name));
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) return `${key} is ${values[bad]} at index ${bad}`;
    }
    return undefined;
  }

  /** Sum of every attached penalty's value, a scalar tensor. */
  penaltyValue(): Tensor {
    return be.tidy(() =>
      [...this.layers, ...this.connections.map((c) => c.weights)].reduce<Tensor>(
        (total, owner) => be.add(total, owner.penaltyValue()),
        be.zeros([]),
      ),
    );
  }

  /** Frees every parameter tensor (tfjs). */
  dispose(): void {
    for (const owner of [...this.layers, ...this.connections.map((c) => c.weights)]) owner.dispose();
  }

  /** Layer `index`'s mean ∂E/∂θ in `state`; the field (a matrix product) only where the layer uses it. */
  private layerDerivatives(state: State, index: number, rowWeights?: Tensor): ParameterTensors {
    const layer = this.layer(index);
    const field = layer.derivativesUseField ? this.fieldOn(index, state.units) : undefined;
    return layer.derivatives(state.getLayer(index), field, rowWeights);
  }

  private difference(owner: Parametrized, positive: ParameterTensors, negative: ParameterTensors): ParameterTensors {
    return Object.fromEntries(
      owner.trainableParams.map((name) => [
        name,
        owner.penalize(name, be.sub(positive[name] as Tensor, negative[name] as Tensor)),
      ]),
    );
  }

  private iterate(update: UnitUpdate, steps: number, state: State, options: ChainOptions): State {
    this.checkState(state);
    if (!Number.isInteger(steps) || steps < 0)
      throw new ConfigError(`expected a non-negative whole number of steps, got ${steps}`);
    const clamped = new Set(options.clamped ?? []);
    const beta = options.beta ?? 1;
    const masks = options.masks ?? [];
    const exact = options.exactSamples ?? false;
    this.checkMasks(masks, state.batchSize);
    const odd = this.layers.map((_, i) => i).filter((i) => i % 2 === 1 && !clamped.has(i));
    const even = this.layers.map((_, i) => i).filter((i) => i % 2 === 0 && !clamped.has(i));
    let units = [...state.units];
    for (let step = 0; step < steps; step++) {
      const next = be.tidy(() => {
        const out = [...units];
        for (const group of [odd, even]) {
          for (const i of group) out[i] = dropUnits(this.updateLayer(update, i, out, beta, exact), masks[i]);
        }
        return out;
      });
      for (const t of units) if (!next.includes(t) && !state.units.includes(t)) be.dispose(t);
      units = next;
    }
    return new State(units);
  }

  private updateLayer(
    update: UnitUpdate,
    index: number,
    units: readonly Tensor[],
    beta: InverseTemperature,
    exact: boolean,
  ): Tensor {
    const layer = this.layer(index);
    const field = this.fieldOn(index, units);
    if (update === 'sample')
      return exact ? layer.exactConditionalSample(field, beta) : layer.conditionalSample(field, beta);
    if (update === 'mean') return layer.conditionalMean(field, beta);
    return layer.conditionalMode(field, beta);
  }

  /** Frees the tensors of intermediate states that are not among `keep`. */
  private disposeCreated(states: readonly State[], keep: readonly Tensor[]): void {
    const seen = new Set<Tensor>(keep);
    for (const state of states) {
      for (const t of state.units) {
        if (!seen.has(t)) be.dispose(t);
        seen.add(t);
      }
    }
  }

  private checkMasks(masks: UnitMasks, batchSize: number): void {
    masks.forEach((mask, i) => {
      if (mask === undefined) return;
      const [rows, columns] = be.shape(mask);
      if (rows !== batchSize || columns !== this.layer(i).numUnits) {
        throw new ShapeError(
          `dropout mask of layer ${i}: expected shape [${batchSize}, ${this.layer(i).numUnits}], got [${be.shape(mask).join(', ')}]`,
        );
      }
    });
  }

  private checkVisible(visible: Tensor): void {
    const shape = be.shape(visible);
    const numVisible = this.layer(0).numUnits;
    if (shape.length !== 2 || shape[1] !== numVisible) {
      throw new ShapeError(`visible units: expected (batch, ${numVisible}), got [${shape.join(', ')}]`);
    }
  }

  private checkState(state: State): void {
    if (state.units.length !== this.numLayers) {
      throw new ShapeError(`State: expected ${this.numLayers} layers, got ${state.units.length}`);
    }
    state.units.forEach((u, i) => {
      const shape = be.shape(u);
      const n = this.layer(i).numUnits;
      if (shape.length !== 2 || shape[1] !== n) {
        throw new ShapeError(`State layer ${i}: expected (batch, ${n}), got [${shape.join(', ')}]`);
      }
    });
  }
}

/** Units with the dropped ones (mask 0) set to 0; the units themselves without a mask. */
export function dropUnits(units: Tensor, mask: Tensor | undefined): Tensor {
  return mask === undefined ? units : be.mul(units, mask);
}
