/** A tensor shape: one size per axis, outermost first. `[]` is a scalar. */
export type Shape = readonly number[];

declare const tensorBrand: unique symbol;

/**
 * An opaque float32 tensor owned by one backend. Model code never looks inside: it passes
 * tensors back to the backend that made them (`be.shape(t)`, `be.read(t)`, ...).
 */
export interface Tensor {
  readonly [tensorBrand]: true;
}

/** A tensor operand, or a plain number standing for a scalar. */
export type TensorLike = Tensor | number;

/** The four 32-bit state words of a random generator (xoshiro128**), to continue its stream elsewhere. */
export type RandomWords = readonly [number, number, number, number];

/** What `tidy` may return: tensors anywhere inside arrays or plain objects, or nothing. */
export type TensorContainer =
  // biome-ignore lint/suspicious/noConfusingVoidType: a tidy callback may return nothing
  void | number | string | Tensor | readonly TensorContainer[] | { readonly [key: string]: TensorContainer };

/** Options of a matrix product. */
export interface MatmulOptions {
  /** Use `aᵀ`: `a` is given as (k, m). */
  readonly transposeA?: boolean;
  /** Use `bᵀ`: `b` is given as (n, k). */
  readonly transposeB?: boolean;
}

/**
 * The geometry of a 2-D convolution: cross-correlation as in PyTorch's `conv2d`, with the same
 * stride and zero padding on both image axes. Images are (batch, channels, height, width) and
 * filters (numFilters, channels, kernelHeight, kernelWidth), row-major (NCHW).
 */
export interface Convolution {
  /** Positions skipped between two outputs (≥ 1). */
  readonly stride: number;
  /** Zeros added on every side of each image (≥ 0). */
  readonly padding: number;
}

/** Settings of one ADAM step (see `Backend.adamStep`). */
export interface AdamSettings {
  /** Step size η. */
  readonly rate: number;
  /** β₁, the decay of the mean. */
  readonly meanWeight: number;
  /** β₂, the decay of the mean square. */
  readonly meanSquareWeight: number;
  /** ε added to √ŝ. */
  readonly epsilon: number;
  /** Update count t, from 1 (for the bias correction). */
  readonly step: number;
}

/** Devices of the tfjs backend. */
export type TfjsDevice = 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';

/** The devices of the tfjs backend, in the order help texts list them. */
export const TFJS_DEVICES: readonly TfjsDevice[] = ['webgpu', 'tensorflow', 'wasm', 'cpu'];

/**
 * The primitive tensor operations an implementation must provide. Everything else
 * (stable composites such as softplus or logsumexp) is composed from these once, in
 * {@link Backend}, and a backend may override a composite only for speed.
 *
 * Every tensor is float32 and row-major. Binary operations broadcast like numpy: shapes are
 * aligned on the right and a size-1 axis stretches (so a row `(n)` or `(1, n)` and a column
 * `(m, 1)` broadcast against `(m, n)`); a number is a scalar.
 */
export interface BackendPrimitives {
  /** The name the backend is registered under (`'cpu'`, `'tfjs'`, `'float64'`, …). */
  readonly name: string;
  /** The device in use: `'ndarray'` for cpu, the tfjs device otherwise. */
  readonly device: string;
  /** Whether {@link BackendPrimitives.readSync} works (false on WebGPU). */
  readonly canReadSync: boolean;

  // ----- creation and readback -----
  /** A tensor from row-major values. @param values - length = product of `shape` @param shape - defaults to `[values.length]` */
  tensor(values: ArrayLike<number>, shape?: Shape): Tensor;
  /** A tensor of `shape` filled with `value`. */
  fill(shape: Shape, value: number): Tensor;
  /** The row-major values, copied to the host. Always works. */
  read(t: Tensor): Promise<Float32Array>;
  /** The row-major values, copied synchronously. Throws where `canReadSync` is false. */
  readSync(t: Tensor): Float32Array;
  /** The shape of `t`. */
  shape(t: Tensor): Shape;

  // ----- movement -----
  /** The same values in a new shape of equal size (`-1` is not accepted). */
  reshape(t: Tensor, shape: Shape): Tensor;
  /** The block starting at `begin` with `size` (one entry per axis; `-1` means "to the end"). */
  slice(t: Tensor, begin: readonly number[], size: readonly number[]): Tensor;
  /** Join tensors along `axis`; all other sizes must agree. */
  concat(ts: readonly Tensor[], axis: number): Tensor;
  /** Rows of `t` picked by index. @param t - (n, ...) @param indices - k integers in [0, n) @returns (k, ...) */
  gather(t: Tensor, indices: ArrayLike<number>): Tensor;

  // ----- elementwise unary -----
  /** −x */
  neg(t: Tensor): Tensor;
  /** |x| */
  abs(t: Tensor): Tensor;
  /** eˣ */
  exp(t: Tensor): Tensor;
  /** ln x */
  log(t: Tensor): Tensor;
  /** ln(1 + x), accurate near 0. */
  log1p(t: Tensor): Tensor;
  /** √x */
  sqrt(t: Tensor): Tensor;
  /** x² */
  square(t: Tensor): Tensor;
  /** Logistic 1/(1+e⁻ˣ), computed without overflow for any finite x. */
  sigmoid(t: Tensor): Tensor;

  // ----- elementwise binary (broadcasting) -----
  /** a + b */
  add(a: TensorLike, b: TensorLike): Tensor;
  /** a − b */
  sub(a: TensorLike, b: TensorLike): Tensor;
  /** a · b */
  mul(a: TensorLike, b: TensorLike): Tensor;
  /** a / b */
  div(a: TensorLike, b: TensorLike): Tensor;
  /** max(a, b) */
  maximum(a: TensorLike, b: TensorLike): Tensor;
  /** min(a, b) */
  minimum(a: TensorLike, b: TensorLike): Tensor;
  /** 1 where a > b, else 0. */
  greater(a: TensorLike, b: TensorLike): Tensor;
  /** 1 where a < b, else 0. */
  less(a: TensorLike, b: TensorLike): Tensor;
  /** 1 where a = b, else 0. */
  equal(a: TensorLike, b: TensorLike): Tensor;

  // ----- reductions -----
  /** Sum over `axis` (all axes when omitted). `keepDims` keeps the reduced axis as size 1. */
  sum(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  /** Maximum over `axis` (all axes when omitted). */
  max(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  /** Minimum over `axis` (all axes when omitted). */
  min(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  /** Index of the maximum along `axis`, as float values (first one on ties). */
  argMax(t: Tensor, axis: number): Tensor;

  // ----- linear algebra -----
  /**
   * Matrix product `op(a)·op(b)` where `op` transposes when asked, without materializing
   * the transpose. @param a - (m, k), or (k, m) with `transposeA` @param b - (k, n), or (n, k)
   * with `transposeB` @returns (m, n)
   */
  matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor;
  /**
   * Cross-correlation of images with filters: `out[b,f,y,x] = Σ_{c,i,j} filters[f,c,i,j] ·
   * images[b,c, y·s+i−p, x·s+j−p]`, zero outside the image.
   * @param images - (batch, channels, height, width) @param filters - (numFilters, channels, kh, kw)
   * @returns (batch, numFilters, outHeight, outWidth), `out = ⌊(in + 2p − k)/s⌋ + 1`
   */
  conv2d(images: Tensor, filters: Tensor, convolution: Convolution): Tensor;
  /**
   * The transpose of {@link conv2d} in the images (PyTorch's `conv_transpose2d`): each map value
   * adds itself times its filter onto the patch it was read from; what falls in the padding is dropped.
   * @param maps - (batch, numFilters, outHeight, outWidth) @param filters - (numFilters, channels, kh, kw)
   * @param imageSize - [height, width] of the images @returns (batch, channels, height, width)
   */
  conv2dTranspose(
    maps: Tensor,
    filters: Tensor,
    imageSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor;
  /**
   * The derivative of `Σ maps ∘ conv2d(images, W)` in W: `out[f,c,i,j] = Σ_{b,y,x} maps[b,f,y,x] ·
   * images[b,c, y·s+i−p, x·s+j−p]`. @param images - (batch, channels, height, width)
   * @param maps - (batch, numFilters, outHeight, outWidth) @param kernelSize - [kh, kw]
   * @returns (numFilters, channels, kh, kw)
   */
  conv2dFilterProducts(
    images: Tensor,
    maps: Tensor,
    kernelSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor;

  // ----- random (seeded by setSeed) -----
  /** Restart the generator: every later random op is reproducible for the same seed. */
  setSeed(seed: number): void;
  /** Uniform samples in [0, 1). */
  randomUniform(shape: Shape): Tensor;
  /** Normal samples with mean 0 and standard deviation 1. */
  randomNormal(shape: Shape): Tensor;
  /** 1 with probability p, else 0, elementwise. @param probabilities - any shape, values in [0, 1] */
  bernoulli(probabilities: Tensor): Tensor;
  /**
   * One-hot samples from softmax(logits) along the last axis.
   * @param logits - (batch, categories) @returns (batch, categories), one 1 per row
   */
  categorical(logits: Tensor): Tensor;

  // ----- memory -----
  /** Runs `fn`, then frees every tensor it made except those it returns (synchronous `fn` only). */
  tidy<T extends TensorContainer>(fn: () => T): T;
  /** Exempts `t` from the enclosing `tidy`. */
  keep<T extends Tensor>(t: T): T;
  /** Frees tensors now. */
  dispose(ts: Tensor | readonly Tensor[]): void;
  /** Tensors made and not yet freed (by `dispose` or a `tidy`). */
  numTensors(): number;
  /** Bytes of those tensors' data. */
  numBytes(): number;
}
