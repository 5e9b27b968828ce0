/// <reference types="@webgpu/types" />
/**
 * The native WebGPU backend: tensors are pooled GPU storage buffers, every operation is a
 * WGSL compute dispatch recorded into one command encoder, and `read` is the only point where
 * the host waits for the device.
 */
import { ConfigError, formatShape, ReliefError, ShapeError } from '../../errors/index.js';
import { Backend } from '../backend.js';
import type { MemoryLimits } from '../memory.js';
import { TensorScopes } from '../scopes.js';
import {
  broadcastShapes,
  type ConvolutionDims,
  checkGatherIndices,
  checkNonEmptyReduction,
  checkReshape,
  checkShape,
  checkValues,
  concatShape,
  convolutionDims,
  filterProductDims,
  matmulDims,
  normalizeAxis,
  reducedShape,
  sizeOf,
  sliceSize,
  stridesOf,
  transposedConvolutionDims,
} from '../shapes.js';
import type {
  AdamSettings,
  Convolution,
  MatmulOptions,
  RandomWords,
  Shape,
  Tensor,
  TensorContainer,
  TensorLike,
} from '../types.js';
import { type AdapterChoice, acquireDevice } from './device.js';
import { f32Bits, LINEAR_WORKGROUP, MAX_RANK } from './kernels/common.js';
import { conv2dFilterProductsSource, conv2dSource, conv2dTransposeSource } from './kernels/convolution.js';
import {
  adamSource,
  type BinaryOp,
  binarySource,
  fillSource,
  type OperandMode,
  type UnaryOp,
  unarySource,
} from './kernels/elementwise.js';
import { MATMUL_TILING, matmulSource } from './kernels/matmul.js';
import { gatherSource, stridedCopySource } from './kernels/movement.js';
import {
  bernoulliLogitsSource,
  bernoulliSource,
  categoricalSource,
  normalSource,
  type UniformSource,
  uniformSource,
} from './kernels/random.js';
import { type ReduceOp, reduceGroupSource, reduceThreadSource } from './kernels/reduce.js';
import type { WebGpuOptions } from './options.js';
import { GpuRuntime, type GpuStorage, linearGroups, type WebGpuStats } from './runtime.js';

/** Options of {@link WebGpuBackend.create}: the backend's options and a seed. */
export type WebGpuBackendOptions = WebGpuOptions & {
  /** Seed of the random generator (random by default). */
  readonly seed?: number;
};

/** The random source from the options, else from RELIEF_WEBGPU_RANDOM. */
function randomSourceOf(options: WebGpuBackendOptions): UniformSource {
  if (options.random) return options.random;
  const fromEnv = typeof process === 'undefined' ? undefined : process.env?.RELIEF_WEBGPU_RANDOM;
  return fromEnv === 'host' ? 'host' : 'device';
}

/** A tensor: a view of a pooled storage buffer (reshapes share one). */
class GpuTensor {
  constructor(
    readonly storage: GpuStorage,
    readonly shape: readonly number[],
    readonly size: number,
  ) {}
}

function unwrap(t: Tensor): GpuTensor {
  return t as unknown as GpuTensor;
}

function wrap(t: GpuTensor): Tensor {
  return t as unknown as Tensor;
}

/**
 * Drops size-1 axes and merges neighbouring axes that every operand walks contiguously, so
 * broadcasting and strided copies run with the smallest rank.
 * @param strides - one stride list per operand, each with one entry per axis of `shape`
 */
function mergeAxes(shape: readonly number[], strides: readonly (readonly number[])[]): [number[], number[][]] {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let axis = 0; axis < shape.length; axis++) {
    const size = shape[axis] as number;
    if (size === 1) continue;
    const last = outShape.length - 1;
    const mergeable =
      last >= 0 && strides.every((list, o) => (outStrides[o]?.[last] as number) === (list[axis] as number) * size);
    if (mergeable) {
      outShape[last] = (outShape[last] as number) * size;
      strides.forEach((list, o) => {
        (outStrides[o] as number[])[last] = list[axis] as number;
      });
    } else {
      outShape.push(size);
      strides.forEach((list, o) => {
        (outStrides[o] as number[]).push(list[axis] as number);
      });
    }
  }
  return [outShape, outStrides];
}

/** `values` padded with zeros to {@link MAX_RANK} entries. */
function padded(values: readonly number[]): number[] {
  return [...values, ...new Array<number>(MAX_RANK - values.length).fill(0)];
}

/** The sizes around `axis` for reductions: (outer, length, inner). */
function aroundAxis(shape: Shape, axis: number | undefined) {
  if (axis === undefined) return { outer: 1, length: sizeOf(shape), inner: 1 };
  return { outer: sizeOf(shape.slice(0, axis)), length: shape[axis] as number, inner: sizeOf(shape.slice(axis + 1)) };
}

/** The uniforms of a convolution kernel: [count, batch, channels, height, width, numFilters, kh, kw, outH, outW, stride, padding]. */
function convolutionUniforms(count: number, d: ConvolutionDims): number[] {
  return [
    count,
    d.batch,
    d.channels,
    d.height,
    d.width,
    d.numFilters,
    d.kernelHeight,
    d.kernelWidth,
    d.outHeight,
    d.outWidth,
    d.stride,
    d.padding,
  ];
}

/** Storage buffers a fused ADAM step binds (four inputs, three outputs). */
const ADAM_BINDINGS = 7;

/**
 * The native WebGPU backend. Start it with `await WebGpuBackend.create()` (or
 * `backends.use('webgpu')`); it throws a BackendUnavailableError saying how to get an adapter
 * where there is none. `read` is asynchronous and the only point where the host waits: every
 * other operation records a dispatch and returns at once. `stats()` counts the work.
 */
export class WebGpuBackend extends Backend {
  readonly name = 'webgpu' as const;
  readonly device: string;
  readonly canReadSync = false;
  /** Where random numbers are drawn (see {@link WebGpuOptions}). */
  readonly randomSource: 'device' | 'host';
  /** The adapter in use. */
  readonly adapter: 'hardware' | 'software';
  private readonly runtime: GpuRuntime;
  private readonly live = new Set<GpuTensor>();
  private liveBytes = 0;
  private readonly scopes = new TensorScopes<GpuTensor>(
    (value): value is GpuTensor => this.live.has(value as GpuTensor),
    (t) => this.free(t),
  );
  /** Philox key (the seed) and the 64-bit counter of the next draw. */
  private key: [number, number] = [0, 0];
  private counter = 0;

  private constructor(runtime: GpuRuntime, description: string, adapter: AdapterChoice, options: WebGpuBackendOptions) {
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    super(seed);
    this.runtime = runtime;
    this.device = description;
    this.adapter = adapter;
    this.randomSource = randomSourceOf(options);
    this.setSeed(seed);
  }

  /**
   * Finds an adapter and starts the backend on it.
   * @throws BackendUnavailableError saying why there is no adapter and how to get one
   */
  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const { device, description, adapter } = await acquireDevice(options);
    return new WebGpuBackend(new GpuRuntime(device, options.dispatchesPerSubmit), description, adapter, options);
  }

  // ----- the device's work -----

  /** Cumulative dispatches, submits, readbacks, bytes moved and host milliseconds; diff two to measure a step. */
  override stats(): WebGpuStats {
    return this.runtime.stats();
  }

  /** Sets every count of {@link stats} back to 0. */
  resetStats(): void {
    this.runtime.resetStats();
  }

  /**
   * Starts recording the kernel of every dispatch into the list it returns (e.g.
   * `['matmul:false:false', 'bernoulli-logits:true:device', …]`); `false` stops and returns
   * the list recorded.
   */
  traceDispatches(on = true): string[] | undefined {
    const recorded = this.runtime.trace;
    this.runtime.trace = on ? [] : undefined;
    return on ? this.runtime.trace : recorded;
  }

  /** Submits what is recorded, without waiting for it. */
  flush(): void {
    this.runtime.flush();
  }

  /** Submits what is recorded and waits until the device has done it (for timing). */
  synchronize(): Promise<void> {
    return this.runtime.synchronize();
  }

  /** Buffers in the pool, free for reuse, and their bytes. */
  pooledBuffers(): { buffers: number; bytes: number } {
    return this.runtime.pooled();
  }

  /** Frees the pool's unused buffers on the device. */
  trimPool(): void {
    this.runtime.trimPool();
  }

  /** Destroys the device: every tensor is gone and later operations throw DeviceLostError. */
  destroy(): void {
    this.runtime.destroy();
  }

  override memoryLimits(): MemoryLimits {
    // WebGPU does not say how much memory the device has: the host's stands in for it.
    return { ...super.memoryLimits(), maxTensorBytes: this.runtime.maxTensorBytes };
  }

  // ----- bookkeeping -----

  private make(storage: GpuStorage, shape: Shape): Tensor {
    const t = new GpuTensor(storage, [...shape], sizeOf(shape));
    this.live.add(t);
    this.liveBytes += t.size * 4;
    this.scopes.add(t);
    return wrap(t);
  }

  /** A new tensor of `shape` whose values a dispatch (or, `forUpload`, the host) is about to write. */
  private allocate(shape: Shape, where: string, forUpload = false): { tensor: Tensor; storage: GpuStorage } {
    const storage = this.runtime.acquire(
      Math.max(4, sizeOf(shape) * 4),
      () => `${where}: a tensor of shape ${formatShape(shape)}`,
      forUpload,
    );
    return { tensor: this.make(storage, shape), storage };
  }

  private get(t: Tensor): GpuTensor {
    const x = unwrap(t);
    if (!this.live.has(x)) {
      this.runtime.checkAlive();
      throw new ReliefError('webgpu backend: a tensor was used after it was disposed (or belongs to another backend)');
    }
    return x;
  }

  private free(t: GpuTensor): void {
    if (!this.live.delete(t)) return;
    this.liveBytes -= t.size * 4;
    t.storage.refs -= 1;
    if (t.storage.refs === 0) this.runtime.release(t.storage);
  }

  /** Records a one-thread-per-element kernel over `count` threads (nothing when `count` is 0). */
  private linear(
    key: string,
    source: () => string,
    inputs: readonly GpuStorage[],
    outputs: readonly GpuStorage[],
    uniforms: readonly number[],
    count: number,
  ): void {
    if (count === 0) return;
    const kernel = this.runtime.kernel(key, inputs.length, outputs.length, source);
    const groups = linearGroups(count, LINEAR_WORKGROUP, this.runtime.maxWorkgroupsPerDimension);
    this.runtime.dispatch(kernel, [...inputs, ...outputs], uniforms, groups);
  }

  /** A temporary storage buffer holding host values (returned to the pool after the dispatch that reads it). */
  private uploadTemporary(values: Float32Array | Uint32Array, what: string): GpuStorage {
    const storage = this.runtime.acquire(Math.max(4, values.byteLength), () => what, true);
    this.runtime.upload(storage, values);
    return storage;
  }

  // ----- creation and readback -----

  tensor(values: ArrayLike<number>, shape: Shape = [values.length]): Tensor {
    checkValues(values, shape);
    const { tensor, storage } = this.allocate(shape, 'tensor', true);
    this.runtime.upload(storage, values instanceof Float32Array ? values : Float32Array.from(values));
    return tensor;
  }

  fill(shape: Shape, value: number): Tensor {
    checkShape(shape, 'fill');
    const { tensor, storage } = this.allocate(shape, 'fill');
    const count = sizeOf(shape);
    this.linear('fill', fillSource, [], [storage], [count, f32Bits(value)], count);
    return tensor;
  }

  async read(t: Tensor): Promise<Float32Array> {
    const x = this.get(t);
    return new Float32Array(await this.runtime.read(x.storage, x.size * 4));
  }

  readSync(_t: Tensor): Float32Array {
    throw new ConfigError(
      'readSync is not available on the webgpu backend (the device is read asynchronously): use `await be.read(t)`',
    );
  }

  shape(t: Tensor): Shape {
    return this.get(t).shape;
  }

  // ----- movement -----

  reshape(t: Tensor, shape: Shape): Tensor {
    const x = this.get(t);
    checkReshape(x.shape, shape);
    x.storage.refs += 1;
    return this.make(x.storage, shape);
  }

  /** Copies a block of `count` values: `shape` with source and target strides and offsets. */
  private stridedCopy(
    from: GpuStorage,
    to: GpuStorage,
    shape: readonly number[],
    sourceStrides: readonly number[],
    targetStrides: readonly number[],
    sourceOffset: number,
    targetOffset: number,
  ): void {
    const count = sizeOf(shape);
    const [merged, [source, target]] = mergeAxes(shape, [sourceStrides, targetStrides]);
    if (merged.length > MAX_RANK)
      throw new ShapeError(`webgpu backend: tensors of rank above ${MAX_RANK} are not supported`);
    // The first COPY_LAYOUT.shape words, then the shape and both strides.
    const uniforms = [count, merged.length, sourceOffset, targetOffset];
    uniforms.push(...padded(merged), ...padded(source as number[]), ...padded(target as number[]));
    this.linear('copy', stridedCopySource, [from], [to], uniforms, count);
  }

  slice(t: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    const x = this.get(t);
    const resolved = sliceSize(x.shape, begin, size);
    const strides = stridesOf(x.shape);
    const offset = begin.reduce((total, start, axis) => total + start * (strides[axis] as number), 0);
    const { tensor, storage } = this.allocate(resolved, 'slice');
    this.stridedCopy(x.storage, storage, resolved, strides, stridesOf(resolved), offset, 0);
    return tensor;
  }

  concat(ts: readonly Tensor[], axis: number): Tensor {
    const parts = ts.map((t) => this.get(t));
    const shape = concatShape(
      parts.map((p) => p.shape),
      axis,
    );
    const resolved = normalizeAxis(axis, shape.length, 'concat');
    const { tensor, storage } = this.allocate(shape, 'concat');
    const targetStrides = stridesOf(shape);
    let position = 0;
    for (const part of parts) {
      if (part.size > 0) {
        const offset = position * (targetStrides[resolved] as number);
        this.stridedCopy(part.storage, storage, part.shape, stridesOf(part.shape), targetStrides, 0, offset);
      }
      position += part.shape[resolved] as number;
    }
    return tensor;
  }

  gather(t: Tensor, indices: ArrayLike<number>): Tensor {
    const x = this.get(t);
    checkGatherIndices(indices, x.shape);
    const shape = [indices.length, ...x.shape.slice(1)];
    const { tensor, storage } = this.allocate(shape, 'gather');
    const count = sizeOf(shape);
    if (count > 0) {
      const picked = this.uploadTemporary(Uint32Array.from(indices), 'gather: indices');
      this.linear('gather', gatherSource, [x.storage, picked], [storage], [count, sizeOf(x.shape.slice(1))], count);
      this.runtime.release(picked);
    }
    return tensor;
  }

  // ----- elementwise -----

  private unary(op: UnaryOp, t: Tensor): Tensor {
    const x = this.get(t);
    const { tensor, storage } = this.allocate(x.shape, op);
    this.linear(`unary:${op}`, () => unarySource(op), [x.storage], [storage], [x.size], x.size);
    return tensor;
  }

  neg(t: Tensor): Tensor {
    return this.unary('neg', t);
  }
  abs(t: Tensor): Tensor {
    return this.unary('abs', t);
  }
  exp(t: Tensor): Tensor {
    return this.unary('exp', t);
  }
  log(t: Tensor): Tensor {
    return this.unary('log', t);
  }
  log1p(t: Tensor): Tensor {
    return this.unary('log1p', t);
  }
  sqrt(t: Tensor): Tensor {
    return this.unary('sqrt', t);
  }
  square(t: Tensor): Tensor {
    return this.unary('square', t);
  }
  sigmoid(t: Tensor): Tensor {
    return this.unary('sigmoid', t);
  }
  override softplus(t: Tensor): Tensor {
    return this.unary('softplus', t);
  }

  private binary(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
    const [x, y] = [typeof a === 'number' ? a : this.get(a), typeof b === 'number' ? b : this.get(b)];
    const shapeOf = (v: GpuTensor | number) => (typeof v === 'number' ? [] : v.shape);
    const shape = broadcastShapes(shapeOf(x), shapeOf(y), op);
    const count = sizeOf(shape);
    const { tensor, storage } = this.allocate(shape, op);
    if (count === 0) return tensor;
    const contiguous = stridesOf(shape);
    const modeOf = (v: GpuTensor | number): OperandMode =>
      typeof v === 'number' ? 'scalar' : v.size === count && v.shape.length <= shape.length ? 'same' : 'strided';
    /** The operand's strides along the output's axes: 0 where it is stretched. */
    const stridesFor = (v: GpuTensor | number): number[] => {
      if (typeof v === 'number') return shape.map(() => 0);
      if (modeOf(v) === 'same') return contiguous;
      const own = stridesOf(v.shape);
      const lead = shape.length - v.shape.length;
      return shape.map((_, axis) => (axis < lead || v.shape[axis - lead] === 1 ? 0 : (own[axis - lead] as number)));
    };
    const [modeA, modeB] = [modeOf(x), modeOf(y)];
    const [merged, [stridesA, stridesB]] = mergeAxes(shape, [stridesFor(x), stridesFor(y)]);
    if (merged.length > MAX_RANK)
      throw new ShapeError(`webgpu backend: tensors of rank above ${MAX_RANK} are not supported`);
    const scalarBits = (v: GpuTensor | number) => (typeof v === 'number' ? f32Bits(v) : 0);
    // The first BINARY_LAYOUT.shape words, then the shape and both operands' strides.
    const uniforms = [count, merged.length, scalarBits(x), scalarBits(y)];
    uniforms.push(...padded(merged), ...padded(stridesA as number[]), ...padded(stridesB as number[]));
    const inputs = [x, y].filter((v): v is GpuTensor => typeof v !== 'number').map((v) => v.storage);
    this.linear(
      `binary:${op}:${modeA}:${modeB}`,
      () => binarySource(op, modeA, modeB),
      inputs,
      [storage],
      uniforms,
      count,
    );
    return tensor;
  }

  add(a: TensorLike, b: TensorLike): Tensor {
    return this.binary('add', a, b);
  }
  sub(a: TensorLike, b: TensorLike): Tensor {
    return this.binary('sub', a, b);
  }
  mul(a: TensorLike, b: TensorLike): Tensor {
    return this.binary('mul', a, b);
  }
  div(a: TensorLike, b: TensorLike): Tensor {
    return this.binary('div', a, b);
  }
  maximum(a: TensorLike, b: TensorLike): Tensor {
    return this.binary('maximum', a, b);
  }
  minimum(a: TensorLike, b: TensorLike): Tensor {
    return this.binary('minimum', a, b);
  }
  greater(a: TensorLike, b: TensorLike): Tensor {
    return this.binary('greater', a, b);
  }
  less(a: TensorLike, b: TensorLike): Tensor {
    return this.binary('less', a, b);
  }
  equal(a: TensorLike, b: TensorLike): Tensor {
    return this.binary('equal', a, b);
  }

  // ----- reductions -----

  private reduce(op: ReduceOp, t: Tensor, axis: number | undefined, keepDims: boolean): Tensor {
    const x = this.get(t);
    const resolved = axis === undefined ? undefined : normalizeAxis(axis, x.shape.length, op);
    if (op !== 'sum') checkNonEmptyReduction(x.shape, resolved, op);
    const { outer, length, inner } = aroundAxis(x.shape, resolved);
    const { tensor, storage } = this.allocate(reducedShape(x.shape, resolved, keepDims), op);
    const outputs = outer * inner;
    if (outputs === 0) return tensor;
    const uniforms = [outer, length, inner];
    if (length >= 128 && (inner === 1 || outputs < 1024)) {
      const kernel = this.runtime.kernel(`reduce-group:${op}`, 1, 1, () => reduceGroupSource(op));
      const groups = linearGroups(outputs, 1, this.runtime.maxWorkgroupsPerDimension);
      this.runtime.dispatch(kernel, [x.storage, storage], uniforms, groups);
    } else {
      this.linear(`reduce-thread:${op}`, () => reduceThreadSource(op), [x.storage], [storage], uniforms, outputs);
    }
    return tensor;
  }

  sum(t: Tensor, axis?: number, keepDims = false): Tensor {
    return this.reduce('sum', t, axis, keepDims);
  }
  max(t: Tensor, axis?: number, keepDims = false): Tensor {
    return this.reduce('max', t, axis, keepDims);
  }
  min(t: Tensor, axis?: number, keepDims = false): Tensor {
    return this.reduce('min', t, axis, keepDims);
  }
  argMax(t: Tensor, axis: number): Tensor {
    return this.reduce('argMax', t, axis, false);
  }

  // ----- linear algebra -----

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const [x, y] = [this.get(a), this.get(b)];
    const { m, k, n } = matmulDims(x.shape, y.shape, options);
    const [ta, tb] = [options.transposeA === true, options.transposeB === true];
    // Four values at a time along each operand's contiguous axis, where its length allows.
    const vectors = { vectorA: (ta ? m : k) % 4 === 0, vectorB: (tb ? k : n) % 4 === 0 };
    const key = `matmul:${ta}:${tb}:${vectors.vectorA}:${vectors.vectorB}`;
    return this.gemm(key, () => matmulSource(ta, tb, false, vectors), [x, y], m, k, n, 0);
  }

  /** Records the tiled product into a new (m, n) tensor. @param operands - a, b (and a₂, b₂ when stacked) */
  private gemm(
    key: string,
    source: () => string,
    operands: readonly GpuTensor[],
    m: number,
    k: number,
    n: number,
    k1: number,
  ): Tensor {
    const groups = [Math.ceil(n / MATMUL_TILING.tile), Math.ceil(m / MATMUL_TILING.tile)];
    if (Math.max(...groups) > this.runtime.maxWorkgroupsPerDimension) {
      throw new ShapeError(
        `matmul: a product of ${m} × ${n} needs more than the ${this.runtime.maxWorkgroupsPerDimension} workgroups ` +
          `of ${MATMUL_TILING.tile} rows or columns this device dispatches along one axis; split the operands`,
      );
    }
    const { tensor, storage } = this.allocate([m, n], 'matmul');
    if (m * n === 0) return tensor;
    const kernel = this.runtime.kernel(key, operands.length, 1, source);
    this.runtime.dispatch(kernel, [...operands.map((o) => o.storage), storage], [m, k, n, k1], groups);
    return tensor;
  }

  /** Fused for two pairs: one pass over both, as the product of the stacked operands, without stacking them. */
  override stackedOuter(pairs: readonly (readonly [Tensor, Tensor])[]): Tensor {
    const operands = pairs.map(([a, b]) => [this.get(a), this.get(b)] as const);
    const [first, second] = operands;
    const columns = (t: GpuTensor) => (t.shape.length === 2 ? (t.shape[1] as number) : -1);
    const fits =
      this.runtime.maxStorageBuffers >= 5 &&
      first !== undefined &&
      second !== undefined &&
      operands.length === 2 &&
      operands.every(
        ([a, b]) =>
          a.shape.length === 2 &&
          b.shape.length === 2 &&
          a.shape[0] === b.shape[0] &&
          columns(a) === columns(first[0]) &&
          columns(b) === columns(first[1]),
      );
    if (!fits) return super.stackedOuter(pairs);
    const [rows1, rows2] = [first[0].shape[0] as number, second[0].shape[0] as number];
    const [m, n] = [columns(first[0]), columns(first[1])];
    const stackedOperands = [first[0], first[1], second[0], second[1]];
    const vectors = { vectorA: m % 4 === 0, vectorB: n % 4 === 0 };
    return this.gemm(
      `matmul:stacked:${vectors.vectorA}:${vectors.vectorB}`,
      () => matmulSource(true, false, true, vectors),
      stackedOperands,
      m,
      rows1 + rows2,
      n,
      rows1,
    );
  }

  // ----- convolutions -----

  conv2d(images: Tensor, filters: Tensor, convolution: Convolution): Tensor {
    const [x, w] = [this.get(images), this.get(filters)];
    const d = convolutionDims(x.shape, w.shape, convolution, 'conv2d');
    const shape = [d.batch, d.numFilters, d.outHeight, d.outWidth];
    const { tensor, storage } = this.allocate(shape, 'conv2d');
    const count = sizeOf(shape);
    this.linear('conv2d', conv2dSource, [x.storage, w.storage], [storage], convolutionUniforms(count, d), count);
    return tensor;
  }

  conv2dTranspose(
    maps: Tensor,
    filters: Tensor,
    imageSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor {
    const [y, w] = [this.get(maps), this.get(filters)];
    const d = transposedConvolutionDims(y.shape, w.shape, imageSize, convolution, 'conv2dTranspose');
    const shape = [d.batch, d.channels, d.height, d.width];
    const { tensor, storage } = this.allocate(shape, 'conv2dTranspose');
    const count = sizeOf(shape);
    const uniforms = convolutionUniforms(count, d);
    this.linear('conv2d-transpose', conv2dTransposeSource, [y.storage, w.storage], [storage], uniforms, count);
    return tensor;
  }

  conv2dFilterProducts(
    images: Tensor,
    maps: Tensor,
    kernelSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor {
    const [x, y] = [this.get(images), this.get(maps)];
    const d = filterProductDims(x.shape, y.shape, kernelSize, convolution, 'conv2dFilterProducts');
    const shape = [d.numFilters, d.channels, d.kernelHeight, d.kernelWidth];
    const { tensor, storage } = this.allocate(shape, 'conv2dFilterProducts');
    const count = sizeOf(shape);
    if (count === 0) return tensor;
    const kernel = this.runtime.kernel('conv2d-filter-products', 2, 1, conv2dFilterProductsSource);
    const groups = linearGroups(count, 1, this.runtime.maxWorkgroupsPerDimension);
    this.runtime.dispatch(kernel, [x.storage, y.storage, storage], convolutionUniforms(count, d), groups);
    return tensor;
  }

  // ----- random -----

  override setSeed(seed: number): void {
    super.setSeed(seed);
    const whole = Math.trunc(seed);
    this.key = [whole >>> 0, Math.floor(whole / 2 ** 32) >>> 0];
    this.counter = 0;
  }

  /** On the device: [key low, key high, counter low, counter high] of Philox; on the host: the shared generator's state. */
  override randomState(): RandomWords {
    if (this.randomSource === 'host') return super.randomState();
    return [this.key[0], this.key[1], this.counter % 2 ** 32, Math.floor(this.counter / 2 ** 32)];
  }

  override setRandomState(words: RandomWords): void {
    if (this.randomSource === 'host') {
      super.setRandomState(words);
      return;
    }
    const [keyLow, keyHigh, counterLow, counterHigh] = words.map((w) => w >>> 0) as [number, number, number, number];
    this.key = [keyLow, keyHigh];
    this.counter = counterHigh * 2 ** 32 + counterLow;
  }

  /** The Philox uniforms of a draw of `count` counters ([count, key, counter]), advancing the counter. */
  private draw(count: number): number[] {
    const start = this.counter;
    this.counter += count;
    return [count, this.key[0], this.key[1], start % 2 ** 32, Math.floor(start / 2 ** 32) >>> 0];
  }

  /** Host mode: `count` uniforms from the shared stream, on the device. */
  private hostUniforms(count: number, what: string): GpuStorage {
    return this.uploadTemporary(this.random.fillUniform(new Float32Array(count)), what);
  }

  randomUniform(shape: Shape): Tensor {
    checkShape(shape, 'randomUniform');
    const count = sizeOf(shape);
    if (this.randomSource === 'host') return this.tensor(this.random.fillUniform(new Float32Array(count)), shape);
    const { tensor, storage } = this.allocate(shape, 'randomUniform');
    this.linear('uniform', uniformSource, [], [storage], this.draw(count), count);
    return tensor;
  }

  randomNormal(shape: Shape): Tensor {
    checkShape(shape, 'randomNormal');
    const count = sizeOf(shape);
    if (this.randomSource === 'host') return this.tensor(this.random.fillNormal(new Float32Array(count)), shape);
    const { tensor, storage } = this.allocate(shape, 'randomNormal');
    this.linear('normal', normalSource, [], [storage], this.draw(count), count);
    return tensor;
  }

  bernoulli(probabilities: Tensor): Tensor {
    const p = this.get(probabilities);
    const { tensor, storage } = this.allocate(p.shape, 'bernoulli');
    if (p.size === 0) return tensor;
    const source = this.randomSource;
    if (source === 'host') {
      const drawn = this.hostUniforms(p.size, 'bernoulli: uniforms');
      this.linear('bernoulli:host', () => bernoulliSource('host'), [p.storage, drawn], [storage], [p.size], p.size);
      this.runtime.release(drawn);
    } else {
      this.linear(
        'bernoulli:device',
        () => bernoulliSource('device'),
        [p.storage],
        [storage],
        this.draw(p.size),
        p.size,
      );
    }
    return tensor;
  }

  /** Fused: one dispatch draws u < σ(x + bias) with the uniforms `bernoulli` would draw. */
  override bernoulliLogits(logits: Tensor, bias?: Tensor): Tensor {
    const x = this.get(logits);
    const b = bias === undefined ? undefined : this.get(bias);
    // The fused kernel repeats the bias along the trailing axes; any other broadcast is composed.
    const trailing =
      b === undefined || (b.size > 0 && x.shape.slice(x.shape.length - b.shape.length).join() === b.shape.join());
    if (!trailing || (b !== undefined && b.shape.length > x.shape.length)) return super.bernoulliLogits(logits, bias);
    const { tensor, storage } = this.allocate(x.shape, 'bernoulliLogits');
    if (x.size === 0) return tensor;
    const withBias = b !== undefined;
    const inputs = withBias ? [x.storage, b.storage] : [x.storage];
    const source = this.randomSource;
    const key = `bernoulli-logits:${withBias}:${source}`;
    const kernelSource = () => bernoulliLogitsSource(withBias, source);
    if (source === 'host') {
      const drawn = this.hostUniforms(x.size, 'bernoulliLogits: uniforms');
      this.linear(key, kernelSource, [...inputs, drawn], [storage], [x.size, 0, 0, 0, 0, b?.size ?? 1], x.size);
      this.runtime.release(drawn);
    } else {
      this.linear(key, kernelSource, inputs, [storage], [...this.draw(x.size), b?.size ?? 1], x.size);
    }
    return tensor;
  }

  categorical(logits: Tensor): Tensor {
    const x = this.get(logits);
    if (x.shape.length !== 2) {
      throw new ShapeError(`categorical: expected logits of shape (batch, categories), got ${formatShape(x.shape)}`);
    }
    const [rows, categories] = x.shape as [number, number];
    const { tensor, storage } = this.allocate(x.shape, 'categorical');
    if (rows * categories === 0) return tensor;
    if (this.randomSource === 'host') {
      const drawn = this.hostUniforms(rows, 'categorical: uniforms');
      const uniforms = [rows, 0, 0, 0, 0, categories];
      this.linear('categorical:host', () => categoricalSource('host'), [x.storage, drawn], [storage], uniforms, rows);
      this.runtime.release(drawn);
    } else {
      const uniforms = [...this.draw(rows), categories];
      this.linear('categorical:device', () => categoricalSource('device'), [x.storage], [storage], uniforms, rows);
    }
    return tensor;
  }

  // ----- optimizer steps -----

  /** Fused: one dispatch computes the new parameter and both moments, in the composite's arithmetic. */
  override adamStep(
    param: Tensor,
    gradient: Tensor,
    mean: Tensor | undefined,
    meanSquare: Tensor | undefined,
    settings: AdamSettings,
  ): { param: Tensor; mean: Tensor; meanSquare: Tensor } {
    const operands = [param, gradient, mean, meanSquare]
      .filter((t): t is Tensor => t !== undefined)
      .map((t) => this.get(t));
    const [p] = operands as [GpuTensor];
    const withMoments = mean !== undefined && meanSquare !== undefined;
    const sameShape = operands.every((t) => t.shape.join() === p.shape.join());
    const fits = this.runtime.maxStorageBuffers >= ADAM_BINDINGS;
    if (!sameShape || !fits || (mean === undefined) !== (meanSquare === undefined)) {
      return super.adamStep(param, gradient, mean, meanSquare, settings);
    }
    const { rate, meanWeight: b1, meanSquareWeight: b2, epsilon, step } = settings;
    const outputs = [
      this.allocate(p.shape, 'adamStep'),
      this.allocate(p.shape, 'adamStep'),
      this.allocate(p.shape, 'adamStep'),
    ];
    const uniforms = [p.size, ...[b1, 1 - b1, b2, 1 - b2, 1 - b1 ** step, 1 - b2 ** step, epsilon, rate].map(f32Bits)];
    this.linear(
      `adam:${withMoments}`,
      () => adamSource(withMoments),
      operands.map((t) => t.storage),
      outputs.map((o) => o.storage),
      uniforms,
      p.size,
    );
    const [nextParam, nextMean, nextSquare] = outputs.map((o) => o.tensor) as [Tensor, Tensor, Tensor];
    return { param: nextParam, mean: nextMean, meanSquare: nextSquare };
  }

  // ----- memory -----

  tidy<T extends TensorContainer>(fn: () => T): T {
    return this.scopes.tidy(fn);
  }

  keep<T extends Tensor>(t: T): T {
    this.scopes.keep(unwrap(t));
    return t;
  }

  dispose(ts: Tensor | readonly Tensor[]): void {
    for (const t of Array.isArray(ts) ? ts : [ts]) this.free(unwrap(t as Tensor));
  }

  numTensors(): number {
    return this.live.size;
  }

  numBytes(): number {
    return this.liveBytes;
  }
}
