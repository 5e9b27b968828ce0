import ndarray, { type NdArray } from 'ndarray';
import ops from 'ndarray-ops';
import { formatShape, ShapeError } from '../../errors/index.js';
import { Backend } from '../backend.js';
import { printAsTensor } from '../inspect.js';
import { registerBackend } from '../registry.js';
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
import type { AdamSettings, Convolution, MatmulOptions, Shape, Tensor, TensorContainer, TensorLike } from '../types.js';
import { type BinaryOperation, flatLayout, LOOPS, runFlat } from './elementwise.js';
import { matmulFloat32 } from './matmul.js';
import { type CpuBackendOptions, cpuBackendOptions } from './options.js';
import { addPatchRows, patchRows, swapInnerAxes } from './patches.js';
import { WasmGemm } from './wasm-gemm.js';

export type { CpuBackendOptions } from './options.js';

/** A cpu tensor: a contiguous row-major ndarray view over a Float32Array (offset 0). */
type Array32 = NdArray<Float32Array>;

/** Writes `out = op(a, b)` for two same-shaped (possibly stride-0 broadcast) views. */
type BinaryKernel = (out: Array32, a: Array32, b: Array32) => void;

function unwrap(t: Tensor): Array32 {
  return t as unknown as Array32;
}

/** A view of `x` stretched to `shape` (stride 0 along broadcast axes). */
function broadcastView(x: Array32, shape: Shape): Array32 {
  const rank = shape.length;
  const strides = stridesOf(x.shape);
  const viewStrides = shape.map((_, axis) => {
    const sourceAxis = axis - (rank - x.shape.length);
    if (sourceAxis < 0 || x.shape[sourceAxis] === 1) return 0;
    return strides[sourceAxis] as number;
  });
  return ndarray(x.data, [...shape], viewStrides, 0);
}

/** Reshapes a contiguous tensor to (outer, length, inner) around `axis` for reductions. */
function aroundAxis(shape: Shape, axis: number): { outer: number; length: number; inner: number } {
  return {
    outer: sizeOf(shape.slice(0, axis)),
    length: shape[axis] as number,
    inner: sizeOf(shape.slice(axis + 1)),
  };
}

/** Tensors of at least this many elements go to the WebAssembly kernel (below, the calls cost more than they save). */
const KERNEL_MINIMUM = 4096;
/** Tensors of at least this many elements live in the kernel's memory; smaller ones in the JavaScript heap. */
const RESIDENT_MINIMUM = 1024;

/** One WebAssembly kernel per thread count and kind of memory, shared by every cpu backend (each owns a worker). */
const wasmKernels = new Map<string, WasmGemm | undefined>();

function wasmKernel(threads: number, shared: boolean): WasmGemm | undefined {
  const key = `${threads} ${shared}`;
  if (!wasmKernels.has(key)) wasmKernels.set(key, WasmGemm.create(threads, shared));
  return wasmKernels.get(key);
}

/**
 * The cpu backend: tensors are ndarray views over Float32Array — blocks of the WebAssembly
 * kernel's memory (`kernel-memory.ts`) for all but small tensors, so that the kernel works
 * on them in place. Broadcasting elementwise maths runs through ndarray-ops' compiled strided
 * loops, everything else through tight loops over the contiguous data or the kernel. Matrix
 * products use the WebAssembly SIMD kernel on two threads (`wasm-gemm.ts`), or a packed,
 * register-blocked JavaScript kernel where WebAssembly threads are unavailable. Tensors are
 * tracked as tfjs tracks them: `tidy` and `dispose` free their blocks, and a block whose
 * tensors were never disposed is freed once the garbage collector takes them.
 */
export class CpuBackend extends Backend {
  readonly name = 'cpu' as const;
  readonly device = 'ndarray';
  readonly canReadSync = true;
  private readonly kernel: WasmGemm | undefined;
  private readonly sparseProducts: boolean;
  /** Tensors made and not yet disposed, their count and bytes. */
  private readonly live = new WeakSet<Array32>();
  private liveCount = 0;
  private liveBytes = 0;
  private readonly scopes = new TensorScopes<Array32>(
    (value): value is Array32 => this.live.has(value as Array32),
    (t) => this.free(t),
  );

  /** @param seed - seed of the random generator (random by default) */
  constructor(seed: number = Math.floor(Math.random() * 2 ** 32), options: CpuBackendOptions = {}) {
    super(seed);
    this.kernel = options.kernel === 'js' ? undefined : wasmKernel(options.threads ?? 2, options.sharedMemory ?? true);
    this.sparseProducts = options.sparseProducts ?? true;
  }

  /** Which kernel runs: 'wasm-simd ×2', 'wasm-simd ×1', 'wasm-simd ×1, fixed memory' (no SharedArrayBuffer) or 'js'. */
  get matmulKernel(): string {
    if (!this.kernel) return 'js';
    const threads = this.kernel.threaded ? 'wasm-simd ×2' : 'wasm-simd ×1';
    return this.kernel.sharedMemory ? threads : `${threads}, fixed memory`;
  }

  // ----- tensors and their memory -----

  /**
   * Room for a new tensor of `count` floats (contents undefined): inside a `tidy`, a block of
   * kernel memory when it is big enough and fits; else a heap array, which the garbage
   * collector frees even if the tensor is never disposed (scripts and notebooks seldom
   * dispose what they make at top level).
   */
  private allocate(count: number): Float32Array {
    const resident = count >= RESIDENT_MINIMUM && this.scopes.active;
    return (resident && this.kernel?.blocks.allocate(count)) || new Float32Array(count);
  }

  /** A tracked tensor over `fresh` data (from {@link allocate}, the kernel or the heap), which it owns. */
  private make(fresh: Float32Array, shape: Shape): Tensor {
    return this.track(this.scopes.active ? fresh : this.onHeap(fresh), shape);
  }

  /** A tracked tensor sharing the data of `x` (its block is freed with the last of them). */
  private share(x: Array32, shape: Shape): Tensor {
    this.kernel?.blocks.retain(x.data);
    return this.track(x.data, shape);
  }

  /** `data` itself, or a heap copy of it when it is a kernel block (which is then freed). */
  private onHeap(data: Float32Array): Float32Array {
    if (!this.kernel?.blocks.owns(data)) return data;
    const copy = new Float32Array(data.length);
    copy.set(data);
    this.kernel.blocks.release(data);
    return copy;
  }

  private track(data: Float32Array, shape: Shape): Tensor {
    const t = ndarray(data, [...shape]);
    // ndarray shares one prototype per dtype and rank: patched once, it prints every tensor.
    printAsTensor(Object.getPrototypeOf(t), 'cpu', 'float32', (x) => {
      const view = x as Array32;
      return { shape: view.shape, values: view.data.subarray(0, view.size) };
    });
    this.live.add(t);
    this.liveCount += 1;
    this.liveBytes += 4 * data.length;
    this.scopes.add(t);
    return t as unknown as Tensor;
  }

  /** Unary elementwise maths over contiguous data. */
  private map(t: Tensor, fn: (source: Float32Array, out: Float32Array) => void): Tensor {
    const x = unwrap(t);
    const out = this.allocate(x.data.length);
    fn(x.data, out);
    return this.make(out, x.shape);
  }

  /** Forgets a live tensor and lets go of its data. */
  private free(t: Array32): void {
    if (!this.live.delete(t)) return;
    this.liveCount -= 1;
    this.liveBytes -= 4 * t.data.length;
    this.kernel?.blocks.release(t.data);
  }

  // ----- creation and readback -----

  tensor(values: ArrayLike<number>, shape: Shape = [values.length]): Tensor {
    checkValues(values, shape);
    const data = this.allocate(values.length);
    data.set(values);
    return this.make(data, shape);
  }

  fill(shape: Shape, value: number): Tensor {
    checkShape(shape, 'fill');
    return this.make(this.allocate(sizeOf(shape)).fill(value), shape);
  }

  read(t: Tensor): Promise<Float32Array> {
    return Promise.resolve(this.readSync(t));
  }

  readSync(t: Tensor): Float32Array {
    return unwrap(t).data.slice();
  }

  shape(t: Tensor): Shape {
    return unwrap(t).shape;
  }

  // ----- movement -----

  reshape(t: Tensor, shape: Shape): Tensor {
    const x = unwrap(t);
    checkReshape(x.shape, shape);
    return this.share(x, shape);
  }

  slice(t: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    const x = unwrap(t);
    const resolved = sliceSize(x.shape, begin, size);
    const view = x.lo(...begin).hi(...resolved);
    const out = this.allocate(sizeOf(resolved));
    if (out.length > 0) ops.assign(ndarray(out, resolved), view);
    return this.make(out, resolved);
  }

  concat(ts: readonly Tensor[], axis: number): Tensor {
    const parts = ts.map(unwrap);
    const shape = concatShape(
      parts.map((p) => p.shape),
      axis,
    );
    const resolved = normalizeAxis(axis, shape.length, 'concat');
    if (shape.slice(0, resolved).every((d) => d === 1)) {
      // Along the outermost axis that is not 1, the parts' data lie one after another.
      const data = this.allocate(sizeOf(shape));
      let offset = 0;
      for (const part of parts) {
        data.set(part.data.subarray(0, part.size), offset);
        offset += part.size;
      }
      return this.make(data, shape);
    }
    const data = this.allocate(sizeOf(shape));
    const out = ndarray(data, shape);
    let start = 0;
    for (const part of parts) {
      const length = part.shape[resolved] as number;
      if (length > 0 && part.size > 0) {
        const begin = shape.map((_, i) => (i === resolved ? start : 0));
        ops.assign(out.lo(...begin).hi(...part.shape), part);
      }
      start += length;
    }
    return this.make(data, shape);
  }

  gather(t: Tensor, indices: ArrayLike<number>): Tensor {
    const x = unwrap(t);
    checkGatherIndices(indices, x.shape);
    const rowSize = sizeOf(x.shape.slice(1));
    const out = this.allocate(indices.length * rowSize);
    for (let i = 0; i < indices.length; i++) {
      const start = (indices[i] as number) * rowSize;
      out.set(x.data.subarray(start, start + rowSize), i * rowSize);
    }
    return this.make(out, [indices.length, ...x.shape.slice(1)]);
  }

  // ----- elementwise unary -----

  neg(t: Tensor): Tensor {
    return this.map(t, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = -(x[i] as number);
    });
  }

  abs(t: Tensor): Tensor {
    return this.map(t, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i] as number);
    });
  }

  exp(t: Tensor): Tensor {
    return this.map(t, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i] as number);
    });
  }

  log(t: Tensor): Tensor {
    return this.map(t, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i] as number);
    });
  }

  log1p(t: Tensor): Tensor {
    return this.map(t, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.log1p(x[i] as number);
    });
  }

  sqrt(t: Tensor): Tensor {
    return this.map(t, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.sqrt(x[i] as number);
    });
  }

  square(t: Tensor): Tensor {
    return this.map(t, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) * (x[i] as number);
    });
  }

  sigmoid(t: Tensor): Tensor {
    const x = unwrap(t);
    const resident = x.size >= KERNEL_MINIMUM ? this.kernel?.sigmoid(x.data) : undefined;
    if (resident) return this.make(resident, x.shape);
    return this.map(t, (x, out) => {
      // In float64 e^−v overflows only to +Infinity, and 1/(1 + Infinity) is the correct 0.
      for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-(x[i] as number)));
    });
  }

  /** Numerically stable softplus in one pass, in the kernel from 4,096 elements (overrides the composite for speed). */
  override softplus(t: Tensor): Tensor {
    const x = unwrap(t);
    const resident = x.size >= KERNEL_MINIMUM ? this.kernel?.softplus(x.data) : undefined;
    if (resident) return this.make(resident, x.shape);
    return this.map(t, (x, out) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i] as number;
        out[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      }
    });
  }

  /** The ADAM step in one pass (WebAssembly SIMD where it runs; overrides the composite for speed). */
  override adamStep(
    param: Tensor,
    gradient: Tensor,
    mean: Tensor | undefined,
    meanSquare: Tensor | undefined,
    settings: AdamSettings,
  ): { param: Tensor; mean: Tensor; meanSquare: Tensor } {
    const { rate, meanWeight: b1, meanSquareWeight: b2, epsilon, step } = settings;
    const [p, g] = [unwrap(param), unwrap(gradient)];
    if (
      p.size !== g.size ||
      (mean && unwrap(mean).size !== p.size) ||
      (meanSquare && unwrap(meanSquare).size !== p.size)
    ) {
      return super.adamStep(param, gradient, mean, meanSquare, settings);
    }
    const next = this.kernel?.adamStep(
      p.data,
      g.data,
      mean && unwrap(mean).data,
      meanSquare && unwrap(meanSquare).data,
      settings,
    );
    if (next) {
      return {
        param: this.make(next.param, p.shape),
        mean: this.make(next.mean, p.shape),
        meanSquare: this.make(next.meanSquare, p.shape),
      };
    }
    const count = p.size;
    // Missing moments are zeros: use zero arrays so the loop has no branch.
    const oldMean = mean ? unwrap(mean).data : new Float32Array(count);
    const oldSquare = meanSquare ? unwrap(meanSquare).data : new Float32Array(count);
    const [nextParam, nextMean, nextSquare] = [this.allocate(count), this.allocate(count), this.allocate(count)];
    const stepSize = rate / (1 - b1 ** step);
    const squareCorrection = 1 / (1 - b2 ** step);
    const [values, gradients] = [p.data, g.data];
    for (let i = 0; i < count; i++) {
      const gi = gradients[i] as number;
      const m = b1 * (oldMean[i] as number) + (1 - b1) * gi;
      const v = b2 * (oldSquare[i] as number) + (1 - b2) * gi * gi;
      nextMean[i] = m;
      nextSquare[i] = v;
      nextParam[i] = (values[i] as number) - (stepSize * m) / (Math.sqrt(v * squareCorrection) + epsilon);
    }
    return {
      param: this.make(nextParam, p.shape),
      mean: this.make(nextMean, p.shape),
      meanSquare: this.make(nextSquare, p.shape),
    };
  }

  /**
   * Σᵢ aᵢᵀbᵢ pair by pair (overrides the composite for speed): each 0/1 factor keeps the lists
   * of ones the kernel made when it was last multiplied, where a stacked copy would be listed anew.
   */
  override stackedOuter(pairs: readonly (readonly [Tensor, Tensor])[]): Tensor {
    return this.tidy(() =>
      pairs.map(([a, b]) => this.matmul(a, b, { transposeA: true })).reduce((total, next) => this.add(total, next)),
    );
  }

  /** −1, 0 or 1 in one pass (overrides the composite for speed). */
  override sign(t: Tensor): Tensor {
    return this.map(t, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.sign(x[i] as number);
    });
  }

  // ----- elementwise binary -----

  private binary(a: TensorLike, b: TensorLike, operation: BinaryOperation, kernel: BinaryKernel): Tensor {
    const x = this.asArray(a);
    const y = this.asArray(b);
    const shape = broadcastShapes(x.shape, y.shape, operation);
    const count = sizeOf(shape);
    const layout = count > 0 ? flatLayout(x, y, shape) : undefined;
    const resident =
      layout && count >= KERNEL_MINIMUM ? this.kernel?.elementwise(operation, x.data, y.data, layout) : undefined;
    if (resident) return this.make(resident, shape);
    const data = this.allocate(count);
    if (layout) runFlat(LOOPS[operation], layout, x.data, y.data, data);
    else if (count > 0) kernel(ndarray(data, shape), broadcastView(x, shape), broadcastView(y, shape));
    return this.make(data, shape);
  }

  private asArray(x: TensorLike): Array32 {
    return typeof x === 'number' ? ndarray(new Float32Array([x]), []) : unwrap(x);
  }

  add(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, 'add', ops.add);
  }

  sub(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, 'sub', ops.sub);
  }

  mul(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, 'mul', ops.mul);
  }

  div(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, 'div', ops.div);
  }

  maximum(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, 'maximum', ops.max);
  }

  minimum(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, 'minimum', ops.min);
  }

  greater(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, 'greater', ops.gt);
  }

  less(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, 'less', ops.lt);
  }

  equal(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, 'equal', ops.eq);
  }

  // ----- reductions -----

  sum(t: Tensor, axis?: number, keepDims = false): Tensor {
    const x = unwrap(t);
    if (axis === undefined) {
      let total = 0;
      for (let i = 0; i < x.data.length; i++) total += x.data[i] as number;
      return this.make(Float32Array.of(total), reducedShape(x.shape, undefined, keepDims));
    }
    const resolved = normalizeAxis(axis, x.dimension, 'sum');
    const { outer, length, inner } = aroundAxis(x.shape, resolved);
    const columnSums =
      outer === 1 && x.size >= KERNEL_MINIMUM ? this.kernel?.sumColumns(x.data, length, inner) : undefined;
    if (columnSums) return this.make(columnSums, reducedShape(x.shape, resolved, keepDims));
    if (inner === 1) {
      // Sums along the last axis: one double-precision total per row, in the same order.
      const rowSums = this.allocate(outer);
      for (let o = 0; o < outer; o++) {
        let total = 0;
        for (let l = o * length; l < (o + 1) * length; l++) total += x.data[l] as number;
        rowSums[o] = total;
      }
      return this.make(rowSums, reducedShape(x.shape, resolved, keepDims));
    }
    const totals = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let l = 0; l < length; l++) {
        const source = (o * length + l) * inner;
        const target = o * inner;
        for (let i = 0; i < inner; i++)
          totals[target + i] = (totals[target + i] as number) + (x.data[source + i] as number);
      }
    }
    return this.make(Float32Array.from(totals), reducedShape(x.shape, resolved, keepDims));
  }

  max(t: Tensor, axis?: number, keepDims = false): Tensor {
    return this.extremum(t, axis, keepDims, true);
  }

  min(t: Tensor, axis?: number, keepDims = false): Tensor {
    return this.extremum(t, axis, keepDims, false);
  }

  private extremum(t: Tensor, axis: number | undefined, keepDims: boolean, isMax: boolean): Tensor {
    const where = isMax ? 'max' : 'min';
    const x = unwrap(t);
    const resolved = axis === undefined ? undefined : normalizeAxis(axis, x.dimension, where);
    checkNonEmptyReduction(x.shape, resolved, where);
    const { outer, length, inner } =
      resolved === undefined ? { outer: 1, length: x.size, inner: 1 } : aroundAxis(x.shape, resolved);
    const out = this.allocate(outer * inner).fill(isMax ? -Infinity : Infinity);
    for (let o = 0; o < outer; o++) {
      for (let l = 0; l < length; l++) {
        const source = (o * length + l) * inner;
        const target = o * inner;
        for (let i = 0; i < inner; i++) {
          const v = x.data[source + i] as number;
          const best = out[target + i] as number;
          // NaN propagates, as in numpy.
          if ((isMax ? v > best : v < best) || Number.isNaN(v)) out[target + i] = v;
        }
      }
    }
    return this.make(out, reducedShape(x.shape, resolved, keepDims));
  }

  argMax(t: Tensor, axis: number): Tensor {
    const x = unwrap(t);
    const resolved = normalizeAxis(axis, x.dimension, 'argMax');
    checkNonEmptyReduction(x.shape, resolved, 'argMax');
    const { outer, length, inner } = aroundAxis(x.shape, resolved);
    const out = this.allocate(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = -Infinity;
        let bestIndex = 0;
        for (let l = 0; l < length; l++) {
          const v = x.data[(o * length + l) * inner + i] as number;
          if (v > best) {
            best = v;
            bestIndex = l;
          }
        }
        out[o * inner + i] = bestIndex;
      }
    }
    return this.make(out, reducedShape(x.shape, resolved, false));
  }

  // ----- linear algebra -----

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const [x, y] = [unwrap(a), unwrap(b)];
    const { m, k, n } = matmulDims(x.shape, y.shape, options);
    return this.make(this.multiply(x.data, y.data, m, k, n, options), [m, n]);
  }

  /** `op(a)·op(b)` of row-major arrays: the WebAssembly kernel where the product fits it, else JavaScript. */
  private multiply(a: Float32Array, b: Float32Array, m: number, k: number, n: number, options: MatmulOptions = {}) {
    const [transposeA, transposeB] = [options.transposeA ?? false, options.transposeB ?? false];
    return (
      this.kernel?.matmul(a, b, m, k, n, transposeA, transposeB, this.sparseProducts) ??
      matmulFloat32(a, b, m, k, n, transposeA, transposeB)
    );
  }

  // Convolutions are im2col + one GEMM: patch rows (batch·positions, channels·kh·kw) times the
  // filters. im2col, col2im and the transposed maps run in the kernel, on its memory, where they
  // fit (the GEMM then reads them in place), else in JavaScript.

  conv2d(images: Tensor, filters: Tensor, convolution: Convolution): Tensor {
    const [x, w] = [unwrap(images), unwrap(filters)];
    const d = convolutionDims(x.shape, w.shape, convolution, 'conv2d');
    const positions = d.outHeight * d.outWidth;
    const patch = d.channels * d.kernelHeight * d.kernelWidth;
    const patches = this.patchRows(x.data, d);
    const rows = this.multiply(patches, w.data, d.batch * positions, patch, d.numFilters, { transposeB: true });
    const maps = this.swapInnerAxes(rows, d.batch, positions, d.numFilters);
    this.releaseScratch(patches, rows);
    return this.make(maps, [d.batch, d.numFilters, d.outHeight, d.outWidth]);
  }

  conv2dTranspose(
    maps: Tensor,
    filters: Tensor,
    imageSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor {
    const [y, w] = [unwrap(maps), unwrap(filters)];
    const d = transposedConvolutionDims(y.shape, w.shape, imageSize, convolution, 'conv2dTranspose');
    const positions = d.outHeight * d.outWidth;
    const mapRows = this.swapInnerAxes(y.data, d.batch, d.numFilters, positions);
    const patches = this.multiply(
      mapRows,
      w.data,
      d.batch * positions,
      d.numFilters,
      d.channels * d.kernelHeight * d.kernelWidth,
    );
    const images =
      this.kernel?.addPatchRows(patches, d) ??
      addPatchRows(patches, d, this.allocate(d.batch * d.channels * d.height * d.width));
    this.releaseScratch(mapRows, patches);
    return this.make(images, [d.batch, d.channels, d.height, d.width]);
  }

  conv2dFilterProducts(
    images: Tensor,
    maps: Tensor,
    kernelSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor {
    const [x, y] = [unwrap(images), unwrap(maps)];
    const d = filterProductDims(x.shape, y.shape, kernelSize, convolution, 'conv2dFilterProducts');
    const positions = d.outHeight * d.outWidth;
    const patch = d.channels * d.kernelHeight * d.kernelWidth;
    const mapRows = this.swapInnerAxes(y.data, d.batch, d.numFilters, positions);
    const patches = this.patchRows(x.data, d);
    const products = this.multiply(mapRows, patches, d.numFilters, d.batch * positions, patch, { transposeA: true });
    this.releaseScratch(mapRows, patches);
    return this.make(products, [d.numFilters, d.channels, d.kernelHeight, d.kernelWidth]);
  }

  /** im2col of (batch, channels, height, width) images. @returns (batch·outHeight·outWidth, channels·kh·kw) */
  private patchRows(images: Float32Array, d: ConvolutionDims): Float32Array {
    return this.kernel?.patchRows(images, d) ?? patchRows(images, d);
  }

  /** (outer, rows, columns) → (outer, columns, rows). */
  private swapInnerAxes(source: Float32Array, outer: number, rows: number, columns: number): Float32Array {
    return this.kernel?.swapInnerAxes(source, outer, rows, columns) ?? swapInnerAxes(source, outer, rows, columns);
  }

  /** Frees intermediate arrays of one op (kernel blocks; heap arrays are left to the collector). */
  private releaseScratch(...arrays: Float32Array[]): void {
    for (const array of arrays) this.kernel?.blocks.release(array);
  }

  // ----- random -----

  randomUniform(shape: Shape): Tensor {
    checkShape(shape, 'randomUniform');
    return this.make(this.random.fillUniform(this.allocate(sizeOf(shape))), shape);
  }

  randomNormal(shape: Shape): Tensor {
    checkShape(shape, 'randomNormal');
    return this.make(this.random.fillNormal(this.allocate(sizeOf(shape))), shape);
  }

  bernoulli(probabilities: Tensor): Tensor {
    return this.map(probabilities, (p, out) => {
      // Uniforms drawn in bulk first (the same stream as one draw per element), then compared.
      this.random.fillUniform(out);
      for (let i = 0; i < p.length; i++) out[i] = (out[i] as number) < (p[i] as number) ? 1 : 0;
    });
  }

  /**
   * Bias add, sigmoid and Bernoulli draw in one pass — in the WebAssembly kernel (four lanes
   * at a time) for a matrix and a row of biases, else in JavaScript (overrides the composite
   * for speed; same uniforms).
   */
  override bernoulliLogits(logits: Tensor, bias?: Tensor): Tensor {
    const [x, b] = [unwrap(logits), bias === undefined ? undefined : unwrap(bias)];
    const [rows = 0, columns = 0] = x.shape;
    const draws =
      x.dimension === 2 && (b === undefined || (b.dimension === 1 && b.size === columns))
        ? this.kernel?.sampleBernoulliLogits(x.data, b?.data, rows, columns, this.random)
        : undefined;
    if (draws) return this.make(draws, x.shape);
    const biased = b === undefined ? logits : this.add(logits, bias as Tensor);
    return this.map(biased, (values, out) => {
      this.random.fillUniform(out);
      for (let i = 0; i < values.length; i++)
        out[i] = (out[i] as number) < 1 / (1 + Math.exp(-(values[i] as number))) ? 1 : 0;
    });
  }

  categorical(logits: Tensor): Tensor {
    const x = unwrap(logits);
    if (x.dimension !== 2)
      throw new ShapeError(`categorical: expected (batch, categories), got ${formatShape(x.shape)}`);
    const [rows, categories] = x.shape as [number, number];
    const out = this.allocate(x.size).fill(0);
    const weights = new Float64Array(categories);
    for (let r = 0; r < rows; r++) {
      const offset = r * categories;
      let peak = -Infinity;
      for (let j = 0; j < categories; j++) peak = Math.max(peak, x.data[offset + j] as number);
      let total = 0;
      for (let j = 0; j < categories; j++) {
        total += Math.exp((x.data[offset + j] as number) - peak);
        weights[j] = total;
      }
      // Inverse CDF: the first category whose cumulative weight exceeds u·total.
      const threshold = this.random.nextFloat() * total;
      let chosen = categories - 1;
      for (let j = 0; j < categories; j++) {
        if ((weights[j] as number) > threshold) {
          chosen = j;
          break;
        }
      }
      if (categories > 0) out[offset + chosen] = 1;
    }
    return this.make(out, x.shape);
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
    return this.liveCount;
  }

  numBytes(): number {
    return this.liveBytes;
  }
}

registerBackend('cpu', {
  description: 'ndarray tensors in WebAssembly memory, SIMD kernel on two threads',
  devices: [],
  options: cpuBackendOptions,
  create: async (options) => new CpuBackend(options.seed, options as CpuBackendOptions),
  createSync: (options) => new CpuBackend(options.seed, options as CpuBackendOptions),
});
