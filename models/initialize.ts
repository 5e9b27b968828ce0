import { be, type Tensor } from '../backends/index.js';
import { ConfigError, DataError, ShapeError, UnsupportedError } from '../errors/index.js';
import { ConvolutionalWeights } from '../layers/index.js';
import { principalComponents } from '../linalg/index.js';
import { checkOptions } from '../validation/index.js';
import type { BoltzmannMachine } from './boltzmann-machine.js';

/**
 * Visible data for initialization: one tensor (samples, numVisible), or batches of them.
 * Tensors from an async iterable (e.g. `InMemoryBatch.batches('train')`) belong to the
 * consumer and are disposed after reading; others stay the caller's.
 */
export type VisibleData = Tensor | Iterable<Tensor> | AsyncIterable<Tensor>;

/** The initialization methods (Paysage's), by name. */
export const INITIALIZATION_METHODS = ['hinton', 'glorotNormal', 'stddev', 'pca'] as const;
/** One of {@link INITIALIZATION_METHODS}. */
export type InitializationMethod = (typeof INITIALIZATION_METHODS)[number];

/** Mean, variance and second moments of the visible data, accumulated in float64 over batches. */
export interface DataMoments {
  readonly count: number;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  /** Σ v vᵀ / count, only when asked for (pca). (numVisible, numVisible) row-major */
  readonly secondMoment?: Float64Array;
}

/** The batches of `data`, each (batch, numUnits); those an async source yields are freed after each step. */
export async function* batchesOf(data: VisibleData): AsyncGenerator<Tensor> {
  if (typeof (data as AsyncIterable<Tensor>)[Symbol.asyncIterator] === 'function') {
    for await (const batch of data as AsyncIterable<Tensor>) {
      yield batch;
      be.dispose(batch);
    }
  } else if (typeof (data as Iterable<Tensor>)[Symbol.iterator] === 'function') {
    yield* data as Iterable<Tensor>;
  } else {
    yield data as Tensor;
  }
}

/** Streams over `data` once, accumulating moments (Chan et al.'s pairwise update for the variance). */
export async function dataMoments(
  data: VisibleData,
  numVisible: number,
  withSecondMoment = false,
): Promise<DataMoments> {
  const mean = new Float64Array(numVisible);
  const m2 = new Float64Array(numVisible);
  const second = withSecondMoment ? new Float64Array(numVisible * numVisible) : undefined;
  let count = 0;
  for await (const batch of batchesOf(data)) {
    const shape = be.shape(batch);
    if (shape.length !== 2 || shape[1] !== numVisible) {
      throw new ShapeError(
        `initialize: expected data batches of shape (batch, ${numVisible}), got [${shape.join(', ')}]`,
      );
    }
    const rows = shape[0] as number;
    if (rows === 0) continue;
    const values = await be.read(batch);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new DataError(
        `initialize: data row ${count + Math.floor(bad / numVisible)}, column ${bad % numVisible} is ${values[bad]}`,
      );
    }
    for (let j = 0; j < numVisible; j++) {
      let batchMean = 0;
      for (let r = 0; r < rows; r++) batchMean += values[r * numVisible + j] as number;
      batchMean /= rows;
      let batchM2 = 0;
      for (let r = 0; r < rows; r++) batchM2 += ((values[r * numVisible + j] as number) - batchMean) ** 2;
      const delta = batchMean - (mean[j] as number);
      const total = count + rows;
      mean[j] = (mean[j] as number) + (delta * rows) / total;
      m2[j] = (m2[j] as number) + batchM2 + (delta * delta * count * rows) / total;
    }
    if (second) {
      const product = await be.read(be.tidy(() => be.matmul(batch, batch, { transposeA: true })));
      for (let i = 0; i < second.length; i++) second[i] = (second[i] as number) + (product[i] as number);
    }
    count += rows;
  }
  if (count === 0) throw new DataError('initialize: the data has no samples');
  if (second) for (let i = 0; i < second.length; i++) second[i] = (second[i] as number) / count;
  return { count, mean, variance: m2.map((v) => v / count), ...(second && { secondMoment: second }) };
}

/**
 * Initializes a model from data (mutates it), with Paysage's methods:
 * - `hinton`: weights N(0, 0.01²); visible parameters from the data moments; hidden untouched.
 * - `glorotNormal`: weights N(0, 2/(n_lower + n_upper)); visible from the data moments.
 * - `stddev`: as glorotNormal, with the first weights' rows scaled by the visible standard deviations.
 * - `pca`: the first weights are the top principal directions of the data, each scaled by
 *   its standard deviation (normalized) and the Glorot factor; needs numVisible ≥ numHidden.
 *
 * With `visible: false` the visible layer keeps its parameters (the data still sets the
 * moments that `stddev` and `pca` read): layerwise pretraining initializes an upper stage so.
 */
export async function initializeModel(
  model: BoltzmannMachine,
  data: VisibleData,
  method: InitializationMethod = 'hinton',
  options: { readonly visible?: boolean } = {},
): Promise<void> {
  checkOptions(options, { visible: true }, 'initializeModel');
  if (!INITIALIZATION_METHODS.includes(method)) {
    throw new ConfigError(
      `initialize: method: expected one of ${INITIALIZATION_METHODS.map((m) => `'${m}'`).join(', ')}, got '${method}'`,
    );
  }
  const visible = model.layer(0);
  const moments = await dataMoments(data, visible.numUnits, method === 'pca');
  if (options.visible !== false) visible.initializeFromMoments(moments.mean, moments.variance);
  for (const [i, { weights }] of model.connections.entries()) {
    if (weights instanceof ConvolutionalWeights) {
      initializeFilters(weights, method, i);
      continue;
    }
    const { numLower, numUpper } = weights;
    const scale = method === 'hinton' ? 0.01 : Math.sqrt(2 / (numLower + numUpper));
    if (i === 0 && method === 'pca') {
      weights.setParam('matrix', principalWeights(moments, numUpper, scale));
      continue;
    }
    const rowScale =
      i === 0 && method === 'stddev' ? be.tensor(Float32Array.from(moments.variance, Math.sqrt), [numLower, 1]) : 1;
    weights.setParam(
      'matrix',
      be.tidy(() => be.mul(be.mul(be.randomNormal([numLower, numUpper]), rowScale), scale)),
    );
    if (typeof rowScale !== 'number') be.dispose(rowScale);
  }
  // Initial values respect the constraints (tied biases, non-negative weights, …) before any step.
  for (const owner of [visible, ...model.connections.map((c) => c.weights)]) owner.applyConstraints();
}

/**
 * Filters N(0, 0.01²) (`hinton`) or N(0, 2/(fan in + fan out)) with the fans of one filter
 * tap, channels·kh·kw and numFilters·kh·kw (`glorotNormal`). `stddev` and `pca` are defined
 * for dense weights only.
 */
function initializeFilters(weights: ConvolutionalWeights, method: InitializationMethod, index: number): void {
  if (method === 'stddev' || method === 'pca') {
    throw new UnsupportedError(
      `initialize: method '${method}' needs dense weights; connection ${index} is ${weights.describe()}`,
    );
  }
  const { channels, numFilters, kernelHeight, kernelWidth } = weights.dims;
  const scale = method === 'hinton' ? 0.01 : Math.sqrt(2 / ((channels + numFilters) * kernelHeight * kernelWidth));
  const shape = weights.paramShape('filters');
  weights.setParam(
    'filters',
    be.tidy(() => be.mul(be.randomNormal(shape), scale)),
  );
}

/** glorot · √n · (std_k / ‖std‖) · q_k for the top `k` principal directions q_k of the data. @returns (n, k) */
function principalWeights(moments: DataMoments, k: number, glorot: number): Tensor {
  const n = moments.mean.length;
  if (n < k) throw new ConfigError(`initialize: pca needs at least as many visible (${n}) as hidden units (${k})`);
  const covariance = new Float64Array(n * n);
  const second = moments.secondMoment as Float64Array;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      covariance[i * n + j] = (second[i * n + j] as number) - (moments.mean[i] as number) * (moments.mean[j] as number);
    }
  }
  const { directions, variances } = principalComponents(covariance, n, k);
  const std = variances.map((v) => Math.sqrt(v + 1e-8));
  const norm = Math.sqrt(std.reduce((a, s) => a + s * s, 0));
  const scaled = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++)
      scaled[i * k + c] = glorot * Math.sqrt(n) * ((std[c] as number) / norm) * (directions[i * k + c] as number);
  }
  return be.tensor(scaled, [n, k]);
}
