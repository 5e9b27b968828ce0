/**
 * The tfjs backend itself, on `@tensorflow/tfjs-core`: loaded by `./index.ts` the first time a
 * tfjs device is started.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, formatShape, ShapeError } from '../../errors/index.js';
import { Backend } from '../backend.js';
import type { MemoryLimits } from '../memory.js';
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
  transposedConvolutionDims,
} from '../shapes.js';
import type { AdamSettings, Convolution, MatmulOptions, Shape, Tensor, TensorContainer, TensorLike } from '../types.js';
import { startTfjsDevice } from './devices.js';
import type { TfjsDevice, TfjsDeviceOptions } from './options.js';
import { adamStepPrograms, bernoulliLogitsProgram, uploadFloat32 } from './webgpu-programs.js';

/** WebGPU's default `maxBufferSize` (256 MiB), used when the adapter does not say. */
const WEBGPU_DEFAULT_MAX_BUFFER = 268_435_456;
/** The tfjs wasm module's memory: 32-bit addresses, 4 GiB at most. */
const WASM_MEMORY_BYTES = 4_294_967_296;

function wrap(t: tf.Tensor): Tensor {
  return t as unknown as Tensor;
}

function unwrap(t: Tensor): tf.Tensor {
  return t as unknown as tf.Tensor;
}

/** (numFilters, channels, kh, kw) → (kh, kw, channels, numFilters), tfjs's filter layout. */
function filtersLast(t: tf.Tensor): tf.Tensor4D {
  return tf.transpose(t, [2, 3, 1, 0]) as tf.Tensor4D;
}

/** (batch, height, width, channels) → (batch, channels, height, width). */
function channelsFirst(t: tf.Tensor): tf.Tensor4D {
  return tf.transpose(t, [0, 3, 1, 2]) as tf.Tensor4D;
}

/** (batch, channels, height, width) → (batch, height, width, channels). */
function channelsLast(t: tf.Tensor): tf.Tensor4D {
  return tf.transpose(t, [0, 2, 3, 1]) as tf.Tensor4D;
}

/**
 * The padding as tfjs's explicit per-side form (NHWC): tfjs sizes the output of a numeric
 * padding from the kernel's height alone, which is wrong for kernels that are not square.
 */
function explicitPadding({
  padding,
}: Convolution): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [padding, padding],
    [padding, padding],
    [0, 0],
  ];
}

/**
 * `conv2dFilterProducts` as one convolution, for devices without tfjs's filter-gradient kernel:
 * the images' channels become the batch and their batch the channels, and the maps, dilated
 * by the stride, are the filters. @param images - (batch, channels, height, width)
 * @param maps - (batch, numFilters, outHeight, outWidth) @returns (kh, kw, channels, numFilters)
 */
function filterProductsByDilation(images: tf.Tensor, maps: tf.Tensor, d: ConvolutionDims): tf.Tensor4D {
  const products = tf.conv2d(
    tf.transpose(images, [1, 2, 3, 0]) as tf.Tensor4D,
    tf.transpose(maps, [2, 3, 0, 1]) as tf.Tensor4D,
    1,
    explicitPadding(d),
    'NHWC',
    d.stride,
  );
  return tf.transpose(
    tf.slice(products, [0, 0, 0, 0], [d.channels, d.kernelHeight, d.kernelWidth, d.numFilters]),
    [1, 2, 0, 3],
  ) as tf.Tensor4D;
}

function operand(x: TensorLike): tf.Tensor | number {
  return typeof x === 'number' ? x : unwrap(x);
}

function shapeOfOperand(x: TensorLike): Shape {
  return typeof x === 'number' ? [] : unwrap(x).shape;
}

/**
 * The tfjs backend: tensors are `tf.Tensor`s on one tfjs device (webgpu, tensorflow, wasm
 * or cpu). tfjs has one global engine, so one tfjs device is active per process. Random
 * numbers come from the same seeded generator as the cpu backend (made on the host, then
 * uploaded), so both backends draw the same uniforms for the same seed.
 */
export class TfjsBackend extends Backend {
  readonly name = 'tfjs' as const;
  readonly device: TfjsDevice;
  readonly canReadSync: boolean;

  private constructor(device: TfjsDevice, seed: number) {
    super(seed);
    this.device = device;
    this.canReadSync = device !== 'webgpu';
  }

  /**
   * Starts `device` and returns a backend on it.
   * @throws BackendUnavailableError naming what is available and how to install the device
   */
  static async create(
    device: TfjsDevice = 'cpu',
    options: TfjsDeviceOptions & { readonly seed?: number } = {},
  ): Promise<TfjsBackend> {
    await startTfjsDevice(device, options);
    return new TfjsBackend(device, options.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  // ----- creation and readback -----

  tensor(values: ArrayLike<number>, shape: Shape = [values.length]): Tensor {
    checkValues(values, shape);
    return this.upload(Float32Array.from(values), shape);
  }

  fill(shape: Shape, value: number): Tensor {
    checkShape(shape, 'fill');
    return wrap(tf.fill([...shape], value, 'float32'));
  }

  async read(t: Tensor): Promise<Float32Array> {
    const values = await unwrap(t).data();
    return Float32Array.from(values as Float32Array);
  }

  readSync(t: Tensor): Float32Array {
    if (!this.canReadSync) {
      throw new ConfigError(`readSync is not available on tfjs device '${this.device}': use \`await be.read(t)\``);
    }
    return Float32Array.from(unwrap(t).dataSync() as Float32Array);
  }

  shape(t: Tensor): Shape {
    return unwrap(t).shape;
  }

  // ----- movement -----

  reshape(t: Tensor, shape: Shape): Tensor {
    checkReshape(unwrap(t).shape, shape);
    return wrap(tf.reshape(unwrap(t), [...shape]));
  }

  slice(t: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    const x = unwrap(t);
    const resolved = sliceSize(x.shape, begin, size);
    return wrap(tf.slice(x, [...begin], resolved));
  }

  concat(ts: readonly Tensor[], axis: number): Tensor {
    const parts = ts.map(unwrap);
    const shape = concatShape(
      parts.map((p) => p.shape),
      axis,
    );
    return wrap(tf.concat(parts, normalizeAxis(axis, shape.length, 'concat')));
  }

  gather(t: Tensor, indices: ArrayLike<number>): Tensor {
    const x = unwrap(t);
    checkGatherIndices(indices, x.shape);
    // tfjs-wasm mis-shapes gathers that yield nothing.
    if (indices.length === 0 || x.size === 0) return wrap(tf.zeros([indices.length, ...x.shape.slice(1)]));
    return wrap(tf.tidy(() => tf.gather(x, tf.tensor1d(Int32Array.from(indices), 'int32'), 0)));
  }

  // ----- elementwise unary -----

  neg(t: Tensor): Tensor {
    return wrap(tf.neg(unwrap(t)));
  }

  abs(t: Tensor): Tensor {
    return wrap(tf.abs(unwrap(t)));
  }

  exp(t: Tensor): Tensor {
    return wrap(tf.exp(unwrap(t)));
  }

  log(t: Tensor): Tensor {
    return wrap(tf.log(unwrap(t)));
  }

  log1p(t: Tensor): Tensor {
    return wrap(tf.log1p(unwrap(t)));
  }

  sqrt(t: Tensor): Tensor {
    return wrap(tf.sqrt(unwrap(t)));
  }

  square(t: Tensor): Tensor {
    return wrap(tf.square(unwrap(t)));
  }

  sigmoid(t: Tensor): Tensor {
    return wrap(tf.sigmoid(unwrap(t)));
  }

  // ----- elementwise binary -----

  private binary(
    a: TensorLike,
    b: TensorLike,
    op: (x: tf.Tensor | number, y: tf.Tensor | number) => tf.Tensor,
    where: string,
  ): Tensor {
    broadcastShapes(shapeOfOperand(a), shapeOfOperand(b), where);
    // On WebGPU a number would go up as a scalar through a fresh staging buffer.
    const side = (x: TensorLike) =>
      typeof x === 'number' && this.device === 'webgpu' ? uploadFloat32(Float32Array.of(x), []) : operand(x);
    return wrap(tf.tidy(() => tf.cast(op(side(a), side(b)), 'float32')));
  }

  add(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, tf.add, 'add');
  }

  sub(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, tf.sub, 'sub');
  }

  mul(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, tf.mul, 'mul');
  }

  div(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, tf.div, 'div');
  }

  maximum(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, tf.maximum, 'maximum');
  }

  minimum(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, tf.minimum, 'minimum');
  }

  greater(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, tf.greater, 'greater');
  }

  less(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, tf.less, 'less');
  }

  equal(a: TensorLike, b: TensorLike): Tensor {
    return this.binary(a, b, tf.equal, 'equal');
  }

  // ----- reductions -----

  sum(t: Tensor, axis?: number, keepDims = false): Tensor {
    const x = unwrap(t);
    const resolved = axis === undefined ? undefined : normalizeAxis(axis, x.rank, 'sum');
    // tfjs-wasm returns uninitialized memory for sums over nothing.
    if (x.size === 0) return wrap(tf.zeros(reducedShape(x.shape, resolved, keepDims)));
    return wrap(tf.sum(x, resolved, keepDims));
  }

  max(t: Tensor, axis?: number, keepDims = false): Tensor {
    const x = unwrap(t);
    const resolved = axis === undefined ? undefined : normalizeAxis(axis, x.rank, 'max');
    checkNonEmptyReduction(x.shape, resolved, 'max');
    return wrap(tf.max(x, resolved, keepDims));
  }

  min(t: Tensor, axis?: number, keepDims = false): Tensor {
    const x = unwrap(t);
    const resolved = axis === undefined ? undefined : normalizeAxis(axis, x.rank, 'min');
    checkNonEmptyReduction(x.shape, resolved, 'min');
    return wrap(tf.min(x, resolved, keepDims));
  }

  argMax(t: Tensor, axis: number): Tensor {
    const x = unwrap(t);
    const resolved = normalizeAxis(axis, x.rank, 'argMax');
    checkNonEmptyReduction(x.shape, resolved, 'argMax');
    // tfjs-webgpu gives a full argMax of a vector shape [1]; reshape to the reduced shape.
    const shape = reducedShape(x.shape, resolved, false);
    return wrap(tf.tidy(() => tf.reshape(tf.cast(tf.argMax(x, resolved), 'float32'), shape)));
  }

  // ----- linear algebra -----

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const [x, y] = [unwrap(a), unwrap(b)];
    matmulDims(x.shape, y.shape, options);
    return wrap(tf.matMul(x, y, options.transposeA ?? false, options.transposeB ?? false));
  }

  // tfjs convolves channels-last (NHWC) images with (kh, kw, channels, numFilters) filters.

  conv2d(images: Tensor, filters: Tensor, convolution: Convolution): Tensor {
    const [x, w] = [unwrap(images), unwrap(filters)];
    convolutionDims(x.shape, w.shape, convolution, 'conv2d');
    return wrap(
      tf.tidy(() =>
        channelsFirst(
          tf.conv2d(
            channelsLast(x),
            filtersLast(w),
            convolution.stride,
            explicitPadding(convolution),
            'NHWC',
            1,
            'floor',
          ),
        ),
      ),
    );
  }

  conv2dTranspose(
    maps: Tensor,
    filters: Tensor,
    imageSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor {
    const [y, w] = [unwrap(maps), unwrap(filters)];
    const d = transposedConvolutionDims(y.shape, w.shape, imageSize, convolution, 'conv2dTranspose');
    return wrap(
      tf.tidy(() =>
        channelsFirst(
          tf.conv2dTranspose(
            channelsLast(y),
            filtersLast(w),
            [d.batch, d.height, d.width, d.channels],
            convolution.stride,
            explicitPadding(convolution),
            'floor',
          ),
        ),
      ),
    );
  }

  conv2dFilterProducts(
    images: Tensor,
    maps: Tensor,
    kernelSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor {
    const [x, y] = [unwrap(images), unwrap(maps)];
    const d = filterProductDims(x.shape, y.shape, kernelSize, convolution, 'conv2dFilterProducts');
    return wrap(
      tf.tidy(() => {
        const filterShape = [d.kernelHeight, d.kernelWidth, d.channels, d.numFilters];
        // tfjs-wasm has no kernel for the filter gradient: there it is a dilated convolution.
        const products = tf.getKernel(tf.Conv2DBackpropFilter, tf.getBackend())
          ? (tf.engine().runKernel(
              tf.Conv2DBackpropFilter,
              { x: channelsLast(x), dy: channelsLast(y) } as unknown as tf.NamedTensorMap,
              {
                strides: convolution.stride,
                pad: explicitPadding(convolution),
                dataFormat: 'NHWC',
                dimRoundingMode: 'floor',
                filterShape,
              } as unknown as tf.NamedAttrMap,
            ) as tf.Tensor4D)
          : filterProductsByDilation(x, y, d);
        return tf.transpose(products, [3, 2, 0, 1]);
      }),
    );
  }

  /** A tensor of `values` (taken over): on WebGPU written straight into a GPU buffer. */
  private upload(values: Float32Array, shape: Shape): Tensor {
    return wrap(this.device === 'webgpu' ? uploadFloat32(values, shape) : tf.tensor(values, [...shape], 'float32'));
  }

  // ----- random -----

  randomUniform(shape: Shape): Tensor {
    checkShape(shape, 'randomUniform');
    return this.upload(this.random.fillUniform(new Float32Array(sizeOf(shape))), shape);
  }

  randomNormal(shape: Shape): Tensor {
    checkShape(shape, 'randomNormal');
    return this.upload(this.random.fillNormal(new Float32Array(sizeOf(shape))), shape);
  }

  bernoulli(probabilities: Tensor): Tensor {
    const p = unwrap(probabilities);
    return this.tidy(() => this.less(this.randomUniform(p.shape), probabilities));
  }

  /**
   * On WebGPU one fused dispatch (`webgpu-programs.ts`) for logits (any shape) with a bias of
   * their last dimension or none; the same uniforms and comparison as the composite elsewhere.
   */
  override bernoulliLogits(logits: Tensor, bias?: Tensor): Tensor {
    const [x, b] = [unwrap(logits), bias === undefined ? undefined : unwrap(bias)];
    if (this.device !== 'webgpu' || (b !== undefined && (b.rank !== 1 || b.size !== x.shape.at(-1)))) {
      return super.bernoulliLogits(logits, bias);
    }
    return wrap(tf.tidy(() => bernoulliLogitsProgram(x, unwrap(this.randomUniform(x.shape)), b)));
  }

  /** Inverse-CDF sampling with one uniform per row, the same draw as the cpu backend. */
  categorical(logits: Tensor): Tensor {
    const x = unwrap(logits);
    if (x.rank !== 2) throw new ShapeError(`categorical: expected (batch, categories), got ${formatShape(x.shape)}`);
    const [rows, categories] = x.shape as [number, number];
    return wrap(
      tf.tidy(() => {
        const uniforms = unwrap(this.randomUniform([rows, 1]));
        if (categories === 0) return tf.zeros([rows, 0]);
        const weights = tf.exp(tf.sub(x, tf.max(x, 1, true)));
        const cumulative = tf.cumsum(weights, 1);
        const total = tf.slice(cumulative, [0, categories - 1], [rows, 1]);
        const below = tf.cast(tf.lessEqual(cumulative, tf.mul(uniforms, total)), 'int32');
        const chosen = tf.minimum(tf.sum(below, 1), tf.scalar(categories - 1, 'int32'));
        return tf.cast(tf.oneHot(chosen, categories), 'float32');
      }),
    );
  }

  // ----- optimizer steps -----

  /** On WebGPU three fused dispatches (`webgpu-programs.ts`), the composite's arithmetic; elsewhere the composite. */
  override adamStep(
    param: Tensor,
    gradient: Tensor,
    mean: Tensor | undefined,
    meanSquare: Tensor | undefined,
    settings: AdamSettings,
  ): { param: Tensor; mean: Tensor; meanSquare: Tensor } {
    const [p, g] = [unwrap(param), unwrap(gradient)];
    const [m, s] = [mean && unwrap(mean), meanSquare && unwrap(meanSquare)];
    const sameShape = (t: tf.Tensor | undefined) => t === undefined || tf.util.arraysEqual(t.shape, p.shape);
    if (this.device !== 'webgpu' || ![g, m, s].every(sameShape)) {
      return super.adamStep(param, gradient, mean, meanSquare, settings);
    }
    const next = adamStepPrograms(p, g, m, s, settings);
    return { param: wrap(next.param), mean: wrap(next.mean), meanSquare: wrap(next.meanSquare) };
  }

  // ----- memory -----

  tidy<T extends TensorContainer>(fn: () => T): T {
    return tf.tidy(fn as () => tf.TensorContainer) as T;
  }

  keep<T extends Tensor>(t: T): T {
    tf.keep(unwrap(t));
    return t;
  }

  dispose(ts: Tensor | readonly Tensor[]): void {
    tf.dispose((Array.isArray(ts) ? ts : [ts]).map((t) => unwrap(t as Tensor)));
  }

  numTensors(): number {
    return tf.memory().numTensors;
  }

  numBytes(): number {
    return tf.memory().numBytes;
  }

  /**
   * WebGPU: the adapter's largest buffer, per tensor; wasm: the module's 4 GB (32-bit)
   * memory, for everything; cpu: as JavaScript arrays.
   */
  override memoryLimits(): MemoryLimits {
    const host = super.memoryLimits();
    if (this.device === 'webgpu') {
      const limits = (tf.backend() as { device?: { limits?: { maxBufferSize?: number } } }).device?.limits;
      return { ...host, maxTensorBytes: limits?.maxBufferSize ?? WEBGPU_DEFAULT_MAX_BUFFER };
    }
    if (this.device === 'wasm') return { maxTensorBytes: WASM_MEMORY_BYTES, totalBytes: WASM_MEMORY_BYTES };
    return host;
  }
}
