import { ReliefError } from '../../errors/index.js';
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
import type { Convolution, MatmulOptions, Shape, Tensor, TensorContainer, TensorLike } from '../types.js';

/** A float64 tensor: row-major values and a shape. */
interface Array64 {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

/** A float64 tensor's storage: row-major values and a shape; prints as a tensor. */
class Float64Storage implements Array64 {
  constructor(
    readonly data: Float64Array,
    readonly shape: readonly number[],
  ) {}
}
printAsTensor(Float64Storage.prototype, 'float64', 'float64', (x) => {
  const { data, shape } = x as Float64Storage;
  return { shape, values: data };
});

/**
 * Visits every tap of a convolution inside the image: output element `map` of (batch,
 * numFilters, outHeight, outWidth), the `pixel` of (batch, channels, height, width) it reads and
 * the filter element `tap` of (numFilters, channels, kh, kw) that weighs it.
 */
function eachTap(d: ConvolutionDims, visit: (map: number, pixel: number, tap: number) => void): void {
  for (let b = 0; b < d.batch; b++) {
    for (let f = 0; f < d.numFilters; f++) {
      for (let y = 0; y < d.outHeight; y++) {
        for (let x = 0; x < d.outWidth; x++) {
          const map = ((b * d.numFilters + f) * d.outHeight + y) * d.outWidth + x;
          for (let c = 0; c < d.channels; c++) {
            for (let i = 0; i < d.kernelHeight; i++) {
              const row = y * d.stride + i - d.padding;
              if (row < 0 || row >= d.height) continue;
              for (let j = 0; j < d.kernelWidth; j++) {
                const column = x * d.stride + j - d.padding;
                if (column < 0 || column >= d.width) continue;
                const pixel = ((b * d.channels + c) * d.height + row) * d.width + column;
                visit(map, pixel, ((f * d.channels + c) * d.kernelHeight + i) * d.kernelWidth + j);
              }
            }
          }
        }
      }
    }
  }
}

function unwrap(t: Tensor): Array64 {
  return t as unknown as Array64;
}

/** Offsets into `x` for every row-major index of the broadcast `shape`. */
function broadcastOffsets(x: Array64, shape: Shape): Int32Array {
  const count = sizeOf(shape);
  const offsets = new Int32Array(count);
  const sourceStrides = stridesOf(x.shape);
  const lead = shape.length - x.shape.length;
  const strides = shape.map((_, axis) =>
    axis < lead || x.shape[axis - lead] === 1 ? 0 : (sourceStrides[axis - lead] as number),
  );
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0, offset = 0; flat < count; flat++) {
    offsets[flat] = offset;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis] = (index[axis] as number) + 1;
      offset += strides[axis] as number;
      if ((index[axis] as number) < (shape[axis] as number)) break;
      offset -= (strides[axis] as number) * (shape[axis] as number);
      index[axis] = 0;
    }
  }
  return offsets;
}

/** The sizes around `axis` for reductions: (outer, length, inner). */
function aroundAxis(shape: Shape, axis: number | undefined) {
  if (axis === undefined) return { outer: 1, length: sizeOf(shape), inner: 1 };
  return { outer: sizeOf(shape.slice(0, axis)), length: shape[axis] as number, inner: sizeOf(shape.slice(axis + 1)) };
}

function stableSigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * The reference backend: plain JavaScript loops over `Float64Array`, written for clarity,
 * not speed. Every other backend and the model tests are compared against it. It tracks its
 * tensors like tfjs does (`tidy`, `keep`, `dispose`, `numTensors`) and refuses a tensor used
 * after it was freed, so ownership mistakes fail here too. Random numbers come from the same
 * seeded stream as the cpu and tfjs backends (drawn in float32, then widened), so a seeded
 * run draws the same samples on every backend.
 */
export class Float64Backend extends Backend {
  readonly name = 'float64' as const;
  readonly device = 'float64';
  readonly canReadSync = true;
  private readonly live = new Set<Array64>();
  private readonly scopes = new TensorScopes<Array64>(
    (value): value is Array64 => this.live.has(value as Array64),
    (t) => this.live.delete(t),
  );

  /** @param seed - seed of the random generator (random by default) */
  constructor(seed: number = Math.floor(Math.random() * 2 ** 32)) {
    super(seed);
  }

  override get bytesPerElement(): number {
    return 8;
  }

  override dtype(_t: Tensor): 'float64' {
    return 'float64';
  }

  private make(data: Float64Array, shape: Shape): Tensor {
    const t: Array64 = new Float64Storage(data, [...shape]);
    this.live.add(t);
    this.scopes.add(t);
    return t as unknown as Tensor;
  }

  private get(t: TensorLike): Array64 {
    if (typeof t === 'number') return { data: Float64Array.of(t), shape: [] };
    const x = unwrap(t);
    if (!this.live.has(x)) throw new ReliefError('float64 backend: a tensor was used after it was disposed');
    return x;
  }

  /** The values in float64, for comparisons against this backend as the oracle. */
  readFloat64(t: Tensor): Float64Array {
    return this.get(t).data.slice();
  }

  // ----- creation and readback -----

  tensor(values: ArrayLike<number>, shape: Shape = [values.length]): Tensor {
    checkValues(values, shape);
    return this.make(Float64Array.from(values), shape);
  }

  fill(shape: Shape, value: number): Tensor {
    checkShape(shape, 'fill');
    return this.make(new Float64Array(sizeOf(shape)).fill(value), shape);
  }

  read(t: Tensor): Promise<Float32Array> {
    return Promise.resolve(this.readSync(t));
  }

  readSync(t: Tensor): Float32Array {
    return Float32Array.from(this.get(t).data);
  }

  shape(t: Tensor): Shape {
    return this.get(t).shape;
  }

  // ----- movement -----

  reshape(t: Tensor, shape: Shape): Tensor {
    const x = this.get(t);
    checkReshape(x.shape, shape);
    return this.make(x.data, shape);
  }

  slice(t: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    const x = this.get(t);
    const resolved = sliceSize(x.shape, begin, size);
    const [sourceStrides, blockStrides] = [stridesOf(x.shape), stridesOf(resolved)];
    const out = new Float64Array(sizeOf(resolved));
    for (let flat = 0; flat < out.length; flat++) {
      let source = 0;
      for (let axis = 0; axis < resolved.length; axis++) {
        const index = Math.floor(flat / (blockStrides[axis] as number)) % (resolved[axis] as number);
        source += ((begin[axis] as number) + index) * (sourceStrides[axis] as number);
      }
      out[flat] = x.data[source] as number;
    }
    return this.make(out, resolved);
  }

  concat(ts: readonly Tensor[], axis: number): Tensor {
    const parts = ts.map((t) => this.get(t));
    const shape = concatShape(
      parts.map((p) => p.shape),
      axis,
    );
    const resolved = normalizeAxis(axis, shape.length, 'concat');
    const outer = sizeOf(shape.slice(0, resolved));
    const out = new Float64Array(sizeOf(shape));
    let position = 0;
    for (let o = 0; o < outer; o++) {
      for (const part of parts) {
        const block = sizeOf(part.shape.slice(resolved));
        out.set(part.data.subarray(o * block, (o + 1) * block), position);
        position += block;
      }
    }
    return this.make(out, shape);
  }

  gather(t: Tensor, indices: ArrayLike<number>): Tensor {
    const x = this.get(t);
    checkGatherIndices(indices, x.shape);
    const row = sizeOf(x.shape.slice(1));
    const out = new Float64Array(indices.length * row);
    for (let i = 0; i < indices.length; i++) {
      const start = (indices[i] as number) * row;
      out.set(x.data.subarray(start, start + row), i * row);
    }
    return this.make(out, [indices.length, ...x.shape.slice(1)]);
  }

  // ----- elementwise -----

  private map(t: Tensor, fn: (x: number) => number): Tensor {
    const x = this.get(t);
    return this.make(x.data.map(fn), x.shape);
  }

  neg(t: Tensor): Tensor {
    return this.map(t, (x) => -x);
  }
  abs(t: Tensor): Tensor {
    return this.map(t, Math.abs);
  }
  exp(t: Tensor): Tensor {
    return this.map(t, Math.exp);
  }
  log(t: Tensor): Tensor {
    return this.map(t, Math.log);
  }
  log1p(t: Tensor): Tensor {
    return this.map(t, Math.log1p);
  }
  sqrt(t: Tensor): Tensor {
    return this.map(t, Math.sqrt);
  }
  square(t: Tensor): Tensor {
    return this.map(t, (x) => x * x);
  }
  sigmoid(t: Tensor): Tensor {
    return this.map(t, stableSigmoid);
  }

  private zip(a: TensorLike, b: TensorLike, where: string, fn: (x: number, y: number) => number): Tensor {
    const [x, y] = [this.get(a), this.get(b)];
    const shape = broadcastShapes(x.shape, y.shape, where);
    const [xs, ys] = [broadcastOffsets(x, shape), broadcastOffsets(y, shape)];
    const out = new Float64Array(xs.length);
    for (let i = 0; i < out.length; i++)
      out[i] = fn(x.data[xs[i] as number] as number, y.data[ys[i] as number] as number);
    return this.make(out, shape);
  }

  add(a: TensorLike, b: TensorLike): Tensor {
    return this.zip(a, b, 'add', (x, y) => x + y);
  }
  sub(a: TensorLike, b: TensorLike): Tensor {
    return this.zip(a, b, 'sub', (x, y) => x - y);
  }
  mul(a: TensorLike, b: TensorLike): Tensor {
    return this.zip(a, b, 'mul', (x, y) => x * y);
  }
  div(a: TensorLike, b: TensorLike): Tensor {
    return this.zip(a, b, 'div', (x, y) => x / y);
  }
  maximum(a: TensorLike, b: TensorLike): Tensor {
    return this.zip(a, b, 'maximum', (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? Number.NaN : Math.max(x, y)));
  }
  minimum(a: TensorLike, b: TensorLike): Tensor {
    return this.zip(a, b, 'minimum', (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? Number.NaN : Math.min(x, y)));
  }
  greater(a: TensorLike, b: TensorLike): Tensor {
    return this.zip(a, b, 'greater', (x, y) => (x > y ? 1 : 0));
  }
  less(a: TensorLike, b: TensorLike): Tensor {
    return this.zip(a, b, 'less', (x, y) => (x < y ? 1 : 0));
  }
  equal(a: TensorLike, b: TensorLike): Tensor {
    return this.zip(a, b, 'equal', (x, y) => (x === y ? 1 : 0));
  }

  // ----- reductions -----

  private reduce(
    t: Tensor,
    axis: number | undefined,
    keepDims: boolean,
    where: string,
    initial: number,
    combine: (total: number, x: number) => number,
  ): Tensor {
    const x = this.get(t);
    const resolved = axis === undefined ? undefined : normalizeAxis(axis, x.shape.length, where);
    const { outer, length, inner } = aroundAxis(x.shape, resolved);
    const out = new Float64Array(outer * inner).fill(initial);
    for (let o = 0; o < outer; o++)
      for (let l = 0; l < length; l++)
        for (let i = 0; i < inner; i++)
          out[o * inner + i] = combine(out[o * inner + i] as number, x.data[(o * length + l) * inner + i] as number);
    return this.make(out, reducedShape(x.shape, resolved, keepDims));
  }

  sum(t: Tensor, axis?: number, keepDims = false): Tensor {
    return this.reduce(t, axis, keepDims, 'sum', 0, (total, x) => total + x);
  }

  max(t: Tensor, axis?: number, keepDims = false): Tensor {
    checkNonEmptyReduction(this.get(t).shape, this.axisOf(t, axis, 'max'), 'max');
    return this.reduce(t, axis, keepDims, 'max', -Infinity, (best, x) => (x > best || Number.isNaN(x) ? x : best));
  }

  min(t: Tensor, axis?: number, keepDims = false): Tensor {
    checkNonEmptyReduction(this.get(t).shape, this.axisOf(t, axis, 'min'), 'min');
    return this.reduce(t, axis, keepDims, 'min', Infinity, (best, x) => (x < best || Number.isNaN(x) ? x : best));
  }

  private axisOf(t: Tensor, axis: number | undefined, where: string): number | undefined {
    return axis === undefined ? undefined : normalizeAxis(axis, this.get(t).shape.length, where);
  }

  argMax(t: Tensor, axis: number): Tensor {
    const x = this.get(t);
    const resolved = normalizeAxis(axis, x.shape.length, 'argMax');
    checkNonEmptyReduction(x.shape, resolved, 'argMax');
    const { outer, length, inner } = aroundAxis(x.shape, resolved);
    const out = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        for (let l = 1; l < length; l++) {
          if ((x.data[(o * length + l) * inner + i] as number) > (x.data[(o * length + best) * inner + i] as number))
            best = l;
        }
        out[o * inner + i] = best;
      }
    }
    return this.make(out, reducedShape(x.shape, resolved, false));
  }

  // ----- linear algebra -----

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const [x, y] = [this.get(a), this.get(b)];
    const { m, k, n } = matmulDims(x.shape, y.shape, options);
    // Element (i, p) of op(a) and (p, j) of op(b).
    const left = options.transposeA ? (i: number, p: number) => p * m + i : (i: number, p: number) => i * k + p;
    const right = options.transposeB ? (p: number, j: number) => j * k + p : (p: number, j: number) => p * n + j;
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let total = 0;
        for (let p = 0; p < k; p++) total += (x.data[left(i, p)] as number) * (y.data[right(p, j)] as number);
        out[i * n + j] = total;
      }
    }
    return this.make(out, [m, n]);
  }

  // Convolutions by their definition, one multiply-add per tap (the oracle for im2col and tfjs).

  conv2d(images: Tensor, filters: Tensor, convolution: Convolution): Tensor {
    const [x, w] = [this.get(images), this.get(filters)];
    const d = convolutionDims(x.shape, w.shape, convolution, 'conv2d');
    const out = new Float64Array(d.batch * d.numFilters * d.outHeight * d.outWidth);
    eachTap(d, (map, pixel, tap) => {
      out[map] = (out[map] as number) + (x.data[pixel] as number) * (w.data[tap] as number);
    });
    return this.make(out, [d.batch, d.numFilters, d.outHeight, d.outWidth]);
  }

  conv2dTranspose(
    maps: Tensor,
    filters: Tensor,
    imageSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor {
    const [y, w] = [this.get(maps), this.get(filters)];
    const d = transposedConvolutionDims(y.shape, w.shape, imageSize, convolution, 'conv2dTranspose');
    const out = new Float64Array(d.batch * d.channels * d.height * d.width);
    eachTap(d, (map, pixel, tap) => {
      out[pixel] = (out[pixel] as number) + (y.data[map] as number) * (w.data[tap] as number);
    });
    return this.make(out, [d.batch, d.channels, d.height, d.width]);
  }

  conv2dFilterProducts(
    images: Tensor,
    maps: Tensor,
    kernelSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor {
    const [x, y] = [this.get(images), this.get(maps)];
    const d = filterProductDims(x.shape, y.shape, kernelSize, convolution, 'conv2dFilterProducts');
    const out = new Float64Array(d.numFilters * d.channels * d.kernelHeight * d.kernelWidth);
    eachTap(d, (map, pixel, tap) => {
      out[tap] = (out[tap] as number) + (y.data[map] as number) * (x.data[pixel] as number);
    });
    return this.make(out, [d.numFilters, d.channels, d.kernelHeight, d.kernelWidth]);
  }

  // ----- random -----

  randomUniform(shape: Shape): Tensor {
    checkShape(shape, 'randomUniform');
    return this.make(Float64Array.from(this.random.fillUniform(new Float32Array(sizeOf(shape)))), shape);
  }

  randomNormal(shape: Shape): Tensor {
    checkShape(shape, 'randomNormal');
    return this.make(Float64Array.from(this.random.fillNormal(new Float32Array(sizeOf(shape)))), shape);
  }

  bernoulli(probabilities: Tensor): Tensor {
    const p = this.get(probabilities);
    const uniforms = this.random.fillUniform(new Float32Array(p.data.length));
    return this.make(
      p.data.map((probability, i) => ((uniforms[i] as number) < probability ? 1 : 0)),
      p.shape,
    );
  }

  categorical(logits: Tensor): Tensor {
    const x = this.get(logits);
    if (x.shape.length !== 2) throw new ReliefError(`categorical: expected (batch, categories), got [${x.shape}]`);
    const [rows, categories] = x.shape as [number, number];
    const out = new Float64Array(rows * categories);
    for (let r = 0; r < rows; r++) {
      const row = x.data.subarray(r * categories, (r + 1) * categories);
      const peak = Math.max(...row);
      const cumulative = Float64Array.from(row, (v) => Math.exp(v - peak));
      for (let j = 1; j < categories; j++) cumulative[j] = (cumulative[j] as number) + (cumulative[j - 1] as number);
      // Inverse CDF: the first category whose cumulative weight exceeds u · total.
      const threshold = this.random.nextFloat() * (cumulative[categories - 1] as number);
      const chosen = cumulative.findIndex((c) => c > threshold);
      if (categories > 0) out[r * categories + (chosen < 0 ? categories - 1 : chosen)] = 1;
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
    for (const t of Array.isArray(ts) ? ts : [ts]) this.live.delete(unwrap(t as Tensor));
  }

  numTensors(): number {
    return this.live.size;
  }

  numBytes(): number {
    let bytes = 0;
    for (const t of this.live) bytes += t.data.byteLength;
    return bytes;
  }
}

registerBackend('float64', {
  description: 'the float64 reference: plain JavaScript loops, the oracle other backends are tested against',
  devices: [],
  create: async (options) => new Float64Backend(options.seed),
  createSync: (options) => new Float64Backend(options.seed),
});
