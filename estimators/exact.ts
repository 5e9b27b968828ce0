/**
 * Exact computations on tiny models by enumeration: log Z, marginal free energies,
 * log-likelihoods, the exact gradient of the log-likelihood and the full joint distribution.
 * Every other layer is summed out analytically given its neighbours (always the Gaussian
 * ones, so two Gaussian layers may not be adjacent unless one is clamped); the rest are
 * enumerated. The cost is the product of the enumerated layers' state counts: for an RBM,
 * log Z enumerates only the smaller side (e.g. 2⁹ states for 9 visible units).
 * @packageDocumentation
 */
import { be, type Tensor } from '../backends/index.js';
import { ShapeError, UnsupportedError } from '../errors/index.js';
import type { ParameterTensors } from '../layers/index.js';
import type { BoltzmannMachine, Gradient } from '../models/boltzmann-machine.js';

/** Most rows (clamped samples × enumerated configurations) an enumeration may build. */
export const MAX_ENUMERATED_ROWS = 1 << 22;

/** The enumerated configurations (all, or a block of them) of a model with some layers clamped. */
interface Enumeration extends Pick<EnumerationPlan, 'batch' | 'configurations' | 'integrated'> {
  /** Per layer: (batch · configurations, numUnits) rows, or undefined for integrated Gaussian layers. */
  readonly units: readonly (Tensor | undefined)[];
  /** −E with integrated layers summed out, per row. (batch, configurations) */
  readonly logWeights: Tensor;
}

/**
 * Which unclamped layers to sum out analytically given their neighbours: Gaussian layers
 * always; when allowed, also every other layer (odd or even, whichever leaves fewer states
 * to enumerate). Integrated layers may not be adjacent.
 */
function chooseIntegrated(
  model: BoltzmannMachine,
  clamped: ReadonlyMap<number, Tensor>,
  enumerateAll: boolean,
): boolean[] {
  const free = (i: number) => !clamped.has(i);
  const gaussian = model.layers.map((layer, i) => free(i) && !layer.discrete);
  const candidates: boolean[][] = [gaussian];
  if (!enumerateAll) {
    for (const parity of [0, 1]) {
      const option = model.layers.map((_, i) => free(i) && (i % 2 === parity || (gaussian[i] as boolean)));
      if (option.every((on, i) => !(on && option[i + 1]))) candidates.push(option);
    }
  }
  const enumeratedStates = (option: boolean[]) =>
    model.layers.reduce(
      (total, layer, i) => (option[i] || !free(i) ? total : total * 2 ** Math.min(layer.numUnits, 60)),
      1,
    );
  const best = candidates.reduce((a, b) => (enumeratedStates(b) < enumeratedStates(a) ? b : a));
  best.forEach((isIntegrated, i) => {
    if (isIntegrated && best[i + 1]) {
      throw new UnsupportedError(
        `exact: layers ${i} and ${i + 1} are both Gaussian and unclamped; they cannot be integrated together`,
      );
    }
  });
  return best;
}

/** What an enumeration sums: the layers enumerated, integrated or clamped, and how many configurations. */
interface EnumerationPlan {
  readonly model: BoltzmannMachine;
  readonly clamped: ReadonlyMap<number, Tensor>;
  /** Clamped samples (1 when none is clamped). */
  readonly batch: number;
  /** Per layer: whether it is integrated analytically. */
  readonly integrated: readonly boolean[];
  /** Per layer: its states when enumerated. */
  readonly states: readonly (Tensor | undefined)[];
  /** Per layer: its state count (1 when clamped or integrated). */
  readonly counts: readonly number[];
  /** The product of the counts (in an {@link Enumeration}: of its block). */
  readonly configurations: number;
}

/** Plans an enumeration; the caller disposes the plan's `states`. @throws UnsupportedError past MAX_ENUMERATED_ROWS */
function planEnumeration(
  model: BoltzmannMachine,
  clamped: ReadonlyMap<number, Tensor>,
  enumerateAll: boolean,
): EnumerationPlan {
  const batches = [...clamped.values()].map((t) => be.shape(t)[0] as number);
  const batch = batches[0] ?? 1;
  if (batches.some((b) => b !== batch)) {
    throw new ShapeError(`exact: clamped layers have different batch sizes ${batches.join(', ')}`);
  }
  const integrated = chooseIntegrated(model, clamped, enumerateAll);
  const states = model.layers.map((layer, i) =>
    !clamped.has(i) && !integrated[i] ? layer.enumerateStates() : undefined,
  );
  const counts = states.map((t) => (t ? (be.shape(t)[0] as number) : 1));
  const configurations = counts.reduce((a, b) => a * b, 1);
  if (batch * configurations > MAX_ENUMERATED_ROWS) {
    be.dispose(states.filter((t): t is Tensor => t !== undefined));
    throw new UnsupportedError(
      `exact: ${batch} samples × ${configurations} configurations exceed ${MAX_ENUMERATED_ROWS} rows; use a smaller model`,
    );
  }
  return {
    model,
    clamped,
    batch,
    integrated,
    states,
    counts,
    configurations,
  };
}

/**
 * The configurations `first` to `first + count − 1` of a plan (mixed radix, the last
 * enumerated layer varying fastest), for every clamped sample.
 */
function enumerateBlock(plan: EnumerationPlan, first: number, count: number): Enumeration {
  const { model, clamped, batch, integrated, states, counts } = plan;
  const rows = batch * count;
  const strides = counts.map((_, i) => counts.slice(i + 1).reduce((a, b) => a * b, 1));
  const units = model.layers.map((_, i) => {
    const clampedUnits = clamped.get(i);
    const own = states[i];
    if (clampedUnits)
      return be.gather(
        clampedUnits,
        Int32Array.from({ length: rows }, (_, r) => Math.floor(r / count)),
      );
    if (!own) return undefined;
    const [stride, size] = [strides[i] as number, counts[i] as number];
    const picks = Int32Array.from({ length: rows }, (_, r) => Math.floor((first + (r % count)) / stride) % size);
    return be.gather(own, picks);
  });
  const logWeights = be.tidy(() => {
    let total = be.zeros([rows]);
    model.layers.forEach((layer, i) => {
      const own = units[i];
      total = own ? be.sub(total, layer.energy(own)) : be.add(total, layer.logPartition(model.fieldOn(i, units)));
    });
    for (const { lower, upper, weights } of model.connections) {
      const [l, u] = [units[lower], units[upper]];
      if (l && u) total = be.sub(total, weights.energy(model.layer(lower).rescale(l), model.layer(upper).rescale(u)));
    }
    return be.reshape(total, [batch, count]);
  });
  return { batch, configurations: count, units, integrated, logWeights };
}

function enumerate(model: BoltzmannMachine, clamped: ReadonlyMap<number, Tensor>, enumerateAll = false): Enumeration {
  const plan = planEnumeration(model, clamped, enumerateAll);
  try {
    return enumerateBlock(plan, 0, plan.configurations);
  } finally {
    be.dispose(plan.states.filter((t): t is Tensor => t !== undefined));
  }
}

/**
 * ln Σ exp(−E) over every configuration, per clamped sample, summed block by block so that no
 * block's tensors exceed what the backend holds in one tensor (a GPU's binding limit).
 * @returns (batch)
 */
function logSumOverConfigurations(model: BoltzmannMachine, clamped: ReadonlyMap<number, Tensor>): Tensor {
  const plan = planEnumeration(model, clamped, false);
  const widest = Math.max(...model.layers.map((layer) => layer.numUnits));
  const rowsPerTensor = Math.floor(be.memoryLimits().maxTensorBytes / (2 * be.bytesPerElement * widest));
  const block = Math.max(1, Math.min(plan.configurations, Math.floor(rowsPerTensor / plan.batch)));
  let total: Tensor | undefined;
  try {
    for (let first = 0; first < plan.configurations; first += block) {
      const e = enumerateBlock(plan, first, Math.min(block, plan.configurations - first));
      const part = be.tidy(() => be.logsumexp(e.logWeights, 1));
      disposeEnumeration(e);
      const sum: Tensor = total === undefined ? part : be.tidy(() => be.logaddexp(total as Tensor, part));
      if (total !== undefined) be.dispose([total, part]);
      total = sum;
    }
    return total as Tensor;
  } finally {
    be.dispose(plan.states.filter((t): t is Tensor => t !== undefined));
  }
}

function disposeEnumeration(enumeration: Enumeration): void {
  be.dispose([enumeration.logWeights, ...enumeration.units.filter((t): t is Tensor => t !== undefined)]);
}

function withEnumeration<T>(
  model: BoltzmannMachine,
  clamped: ReadonlyMap<number, Tensor>,
  fn: (e: Enumeration) => T,
): T {
  const enumeration = enumerate(model, clamped);
  try {
    return fn(enumeration);
  } finally {
    disposeEnumeration(enumeration);
  }
}

/** ln Z = ln Σ_x exp(−E(x)) (Gaussian layers integrated). @returns a scalar tensor */
export function exactLogPartition(model: BoltzmannMachine): Tensor {
  const perSample = logSumOverConfigurations(model, new Map());
  const scalar = be.tidy(() => be.reshape(perSample, []));
  be.dispose(perSample);
  return scalar;
}

/** F(v) = −ln Σ_h exp(−E(v, h)), exactly. @param visible - (batch, numVisible) @returns (batch) */
export function exactFreeEnergy(model: BoltzmannMachine, visible: Tensor): Tensor {
  const logSum = logSumOverConfigurations(model, new Map([[0, visible]]));
  const freeEnergy = be.tidy(() => be.neg(logSum));
  be.dispose(logSum);
  return freeEnergy;
}

/** ln p(v) = −F(v) − ln Z, exactly. @param visible - (batch, numVisible) @returns (batch) */
export function exactLogLikelihood(model: BoltzmannMachine, visible: Tensor): Tensor {
  const logZ = exactLogPartition(model);
  const freeEnergy = exactFreeEnergy(model, visible);
  const result = be.tidy(() => be.sub(be.neg(freeEnergy), logZ));
  be.dispose([logZ, freeEnergy]);
  return result;
}

/** E[∂E/∂θ] for every parameter under the enumeration's distribution (mean over its clamped samples). */
function expectedDerivatives(model: BoltzmannMachine, e: Enumeration): Gradient {
  return be.tidy((): Gradient => {
    const rowWeights = be.div(be.reshape(be.softmax(e.logWeights, 1), [e.batch * e.configurations]), e.batch);
    // Integrated layers enter fields and weight derivatives through E[x | φ] (they do so linearly).
    const filled = e.units.map((u, i) => u ?? model.layer(i).conditionalMean(model.fieldOn(i, e.units)));
    const layers = model.layers.map((layer, i) => {
      const field = model.fieldOn(i, filled);
      return e.integrated[i]
        ? layer.conditionalDerivatives(field, rowWeights)
        : layer.derivatives(filled[i] as Tensor, field, rowWeights);
    });
    const weights = model.connections.map(({ lower, upper, weights: w }) =>
      w.derivatives(
        model.layer(lower).rescale(filled[lower] as Tensor),
        model.layer(upper).rescale(filled[upper] as Tensor),
        rowWeights,
      ),
    );
    return { layers, weights };
  });
}

function subtract(a: ParameterTensors, b: ParameterTensors): ParameterTensors {
  return Object.fromEntries(Object.keys(a).map((name) => [name, be.sub(a[name] as Tensor, b[name] as Tensor)]));
}

/**
 * The exact gradient of the mean negative log-likelihood of `visible`,
 * `⟨∂E/∂θ⟩_data − ⟨∂E/∂θ⟩_model` (the CD-∞ limit), for every parameter (fixed ones
 * included, penalties excluded). @param visible - (batch, numVisible)
 */
export function exactGradient(model: BoltzmannMachine, visible: Tensor): Gradient {
  const positive = withEnumeration(model, new Map([[0, visible]]), (e) => expectedDerivatives(model, e));
  const negative = withEnumeration(model, new Map(), (e) => expectedDerivatives(model, e));
  const gradient = be.tidy(
    (): Gradient => ({
      layers: positive.layers.map((p, i) => subtract(p, negative.layers[i] as ParameterTensors)),
      weights: positive.weights.map((p, i) => subtract(p, negative.weights[i] as ParameterTensors)),
    }),
  );
  for (const g of [positive, negative]) be.dispose([...g.layers, ...g.weights].flatMap((p) => Object.values(p)));
  return gradient;
}

/**
 * Every joint configuration of an all-discrete model with its exact log-probability.
 * @returns units: one (numConfigurations, numUnits_i) tensor per layer; logProbability (numConfigurations)
 */
export function exactJointDistribution(model: BoltzmannMachine): { units: Tensor[]; logProbability: Tensor } {
  const gaussian = model.layers.findIndex((layer) => !layer.discrete);
  if (gaussian >= 0)
    throw new UnsupportedError(`exactJointDistribution: layer ${gaussian} is continuous; every layer must be discrete`);
  const enumeration = enumerate(model, new Map(), true);
  const logProbability = be.tidy(() =>
    be.reshape(be.logSoftmax(enumeration.logWeights, 1), [enumeration.configurations]),
  );
  be.dispose(enumeration.logWeights);
  return { units: enumeration.units as Tensor[], logProbability };
}
