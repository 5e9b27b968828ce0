import {
  checkMemory,
  hostMemoryBytes,
  MAX_TYPED_ARRAY_LENGTH,
  type MemoryLimits,
  type PlannedTensor,
} from './memory.js';
import { SeededRandom } from './random.js';
import { normalizeAxis, reducedShape } from './shapes.js';
import type {
  AdamSettings,
  Convolution,
  DeviceStats,
  MatmulOptions,
  RandomWords,
  Shape,
  Tensor,
  TensorContainer,
  TensorLike,
} from './types.js';

/**
 * The one backend contract: the tensor interface model code calls.
 * - **Primitives**, the `abstract` members: what a new backend must write, and all it must write.
 * - **Composites**, every other member: written once here over the primitives, numerically
 *   stable (no overflow or NaN where the result is finite).
 * - **Fast kernels**: a backend may override a composite for speed (the cpu backend fuses
 *   `adamStep`, `bernoulliLogits`, `softplus`, `sign` and `stackedOuter`). The shared backend
 *   suite runs each override against the composite it replaces on the same backend.
 *
 * Every tensor is float32 (the float64 reference aside) and row-major. Binary operations
 * broadcast like numpy: shapes are aligned on the right and a size-1 axis stretches (so a row
 * `(n)` or `(1, n)` and a column `(m, 1)` broadcast against `(m, n)`); a number is a scalar.
 */
export abstract class Backend {
  /** The name the backend is registered under (`'cpu'`, `'tfjs'`, `'float64'`, …). */
  abstract readonly name: string;
  /** The device in use: `'ndarray'` for cpu, the tfjs device otherwise. */
  abstract readonly device: string;
  /** Whether {@link Backend.readSync} works (false on WebGPU). */
  abstract readonly canReadSync: boolean;
  /** The host generator behind the random primitives of backends that draw on the host (cpu, float64, tfjs). */
  protected readonly random: SeededRandom;

  /** @param seed - seed of the random generator */
  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  // ----- creation and readback -----
  /** A tensor from row-major values. @param values - length = product of `shape` @param shape - defaults to `[values.length]` */
  abstract tensor(values: ArrayLike<number>, shape?: Shape): Tensor;
  /** A tensor of `shape` filled with `value`. */
  abstract fill(shape: Shape, value: number): Tensor;
  /** The row-major values, copied to the host. Always works. */
  abstract read(t: Tensor): Promise<Float32Array>;
  /** The row-major values, copied synchronously. Throws where `canReadSync` is false. */
  abstract readSync(t: Tensor): Float32Array;
  /** The shape of `t`. */
  abstract shape(t: Tensor): Shape;

  // ----- movement -----
  /** The same values in a new shape of equal size (`-1` is not accepted). */
  abstract reshape(t: Tensor, shape: Shape): Tensor;
  /** The block starting at `begin` with `size` (one entry per axis; `-1` means "to the end"). */
  abstract slice(t: Tensor, begin: readonly number[], size: readonly number[]): Tensor;
  /** Join tensors along `axis`; all other sizes must agree. */
  abstract concat(ts: readonly Tensor[], axis: number): Tensor;
  /** Rows of `t` picked by index. @param t - (n, ...) @param indices - k integers in [0, n) @returns (k, ...) */
  abstract gather(t: Tensor, indices: ArrayLike<number>): Tensor;

  // ----- elementwise unary -----
  /** −x */
  abstract neg(t: Tensor): Tensor;
  /** |x| */
  abstract abs(t: Tensor): Tensor;
  /** eˣ */
  abstract exp(t: Tensor): Tensor;
  /** ln x */
  abstract log(t: Tensor): Tensor;
  /** ln(1 + x), accurate near 0. */
  abstract log1p(t: Tensor): Tensor;
  /** √x */
  abstract sqrt(t: Tensor): Tensor;
  /** x² */
  abstract square(t: Tensor): Tensor;
  /** Logistic 1/(1+e⁻ˣ), computed without overflow for any finite x. */
  abstract sigmoid(t: Tensor): Tensor;

  // ----- elementwise binary (broadcasting) -----
  /** a + b */
  abstract add(a: TensorLike, b: TensorLike): Tensor;
  /** a − b */
  abstract sub(a: TensorLike, b: TensorLike): Tensor;
  /** a · b */
  abstract mul(a: TensorLike, b: TensorLike): Tensor;
  /** a / b */
  abstract div(a: TensorLike, b: TensorLike): Tensor;
  /** max(a, b) */
  abstract maximum(a: TensorLike, b: TensorLike): Tensor;
  /** min(a, b) */
  abstract minimum(a: TensorLike, b: TensorLike): Tensor;
  /** 1 where a > b, else 0. */
  abstract greater(a: TensorLike, b: TensorLike): Tensor;
  /** 1 where a < b, else 0. */
  abstract less(a: TensorLike, b: TensorLike): Tensor;
  /** 1 where a = b, else 0. */
  abstract equal(a: TensorLike, b: TensorLike): Tensor;

  // ----- reductions -----
  /** Sum over `axis` (all axes when omitted). `keepDims` keeps the reduced axis as size 1. */
  abstract sum(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  /** Maximum over `axis` (all axes when omitted). */
  abstract max(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  /** Minimum over `axis` (all axes when omitted). */
  abstract min(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  /** Index of the maximum along `axis`, as float values (first one on ties). */
  abstract argMax(t: Tensor, axis: number): Tensor;

  // ----- linear algebra -----
  /**
   * Matrix product `op(a)·op(b)` where `op` transposes when asked, without materializing
   * the transpose. @param a - (m, k), or (k, m) with `transposeA` @param b - (k, n), or (n, k)
   * with `transposeB` @returns (m, n)
   */
  abstract matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor;
  /**
   * Cross-correlation of images with filters: `out[b,f,y,x] = Σ_{c,i,j} filters[f,c,i,j] ·
   * images[b,c, y·s+i−p, x·s+j−p]`, zero outside the image.
   * @param images - (batch, channels, height, width) @param filters - (numFilters, channels, kh, kw)
   * @returns (batch, numFilters, outHeight, outWidth), `out = ⌊(in + 2p − k)/s⌋ + 1`
   */
  abstract conv2d(images: Tensor, filters: Tensor, convolution: Convolution): Tensor;
  /**
   * The transpose of {@link conv2d} in the images (PyTorch's `conv_transpose2d`): each map value
   * adds itself times its filter onto the patch it was read from; what falls in the padding is dropped.
   * @param maps - (batch, numFilters, outHeight, outWidth) @param filters - (numFilters, channels, kh, kw)
   * @param imageSize - [height, width] of the images @returns (batch, channels, height, width)
   */
  abstract conv2dTranspose(
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
  abstract conv2dFilterProducts(
    images: Tensor,
    maps: Tensor,
    kernelSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor;

  // ----- random (seeded by setSeed) -----
  /** Uniform samples in [0, 1). */
  abstract randomUniform(shape: Shape): Tensor;
  /** Normal samples with mean 0 and standard deviation 1. */
  abstract randomNormal(shape: Shape): Tensor;
  /** 1 with probability p, else 0, elementwise. @param probabilities - any shape, values in [0, 1] */
  abstract bernoulli(probabilities: Tensor): Tensor;
  /**
   * One-hot samples from softmax(logits) along the last axis.
   * @param logits - (batch, categories) @returns (batch, categories), one 1 per row
   */
  abstract categorical(logits: Tensor): Tensor;

  // ----- memory -----
  /** Runs `fn`, then frees every tensor it made except those it returns (synchronous `fn` only). */
  abstract tidy<T extends TensorContainer>(fn: () => T): T;
  /** Exempts `t` from the enclosing `tidy`. */
  abstract keep<T extends Tensor>(t: T): T;
  /** Frees tensors now. */
  abstract dispose(ts: Tensor | readonly Tensor[]): void;
  /** Tensors made and not yet freed (by `dispose` or a `tidy`). */
  abstract numTensors(): number;
  /** Bytes of those tensors' data. */
  abstract numBytes(): number;

  // ----- random state (a backend that draws on its device overrides all three) -----

  /** Restart the generator: every later random op is reproducible for the same seed. */
  setSeed(seed: number): void {
    this.random.reseed(seed);
  }

  /** The random generator's state: the four words that {@link setRandomState} continues from (e.g. in a checkpoint). */
  randomState(): RandomWords {
    return this.random.exportState();
  }

  /** Continues the random stream from a state given by {@link randomState}. */
  setRandomState(words: RandomWords): void {
    this.random.importState(words);
  }

  /** The device's counters since the backend started, or undefined for a backend that computes on the host. */
  stats(): DeviceStats | undefined {
    return undefined;
  }

  // ----- creation -----

  /** A tensor of zeros. */
  zeros(shape: Shape): Tensor {
    return this.fill(shape, 0);
  }

  /** A tensor of ones. */
  ones(shape: Shape): Tensor {
    return this.fill(shape, 1);
  }

  /** Bytes of one element (4: float32; the float64 reference backend overrides it). */
  get bytesPerElement(): number {
    return 4;
  }

  /**
   * How much this backend can hold: by default a JavaScript typed array's length limit per
   * tensor and the machine's memory in all. Backends on a device override it.
   */
  memoryLimits(): MemoryLimits {
    return { maxTensorBytes: MAX_TYPED_ARRAY_LENGTH * this.bytesPerElement, totalBytes: hostMemoryBytes() };
  }

  /**
   * Refuses tensors about to be made that would not fit (see {@link checkMemory}); call it
   * before allocating. @param fix - what the user can do instead
   * @throws MemoryBudgetError
   */
  checkMemory(planned: readonly PlannedTensor[], where: string, fix: string): void {
    const limits = {
      ...this.memoryLimits(),
      backend: `${this.name} (${this.device})`,
      bytesPerElement: this.bytesPerElement,
    };
    checkMemory(planned, limits, where, fix);
  }

  /** The element type of `t`: float32 on every backend but the float64 reference. */
  dtype(_t: Tensor): 'float32' | 'float64' {
    return 'float32';
  }

  /**
   * A tensor with the values of `t` that the caller owns and may dispose independently of
   * `t` (tensors are immutable, so no backend needs to copy the data).
   */
  clone(t: Tensor): Tensor {
    return this.reshape(t, this.shape(t));
  }

  /** Number of elements of `t`. */
  size(t: Tensor): number {
    return this.shape(t).reduce((a, b) => a * b, 1);
  }

  /** The single value of a one-element tensor (e.g. a full reduction), read asynchronously. */
  async readScalar(t: Tensor): Promise<number> {
    const values = await this.read(t);
    return values[0] as number;
  }

  // ----- reductions -----

  /** Mean over `axis` (all axes when omitted). An empty axis gives NaN, as in numpy. */
  mean(t: Tensor, axis?: number, keepDims = false): Tensor {
    const shape = this.shape(t);
    const count = axis === undefined ? this.size(t) : (shape[normalizeAxis(axis, shape.length, 'mean')] as number);
    return this.tidy(() => this.div(this.sum(t, axis, keepDims), count));
  }

  /** Population variance over `axis` (all axes when omitted), computed around the mean. */
  variance(t: Tensor, axis?: number, keepDims = false): Tensor {
    return this.tidy(() => {
      const centred = this.sub(t, this.mean(t, axis, true));
      return this.mean(this.square(centred), axis, keepDims);
    });
  }

  // ----- stable nonlinearities -----

  /** softplus(x) = ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|): no overflow for large |x|. */
  softplus(t: Tensor): Tensor {
    return this.tidy(() => this.add(this.maximum(t, 0), this.log1p(this.exp(this.neg(this.abs(t))))));
  }

  /** ln σ(x) = −softplus(−x), finite for any finite x. */
  logSigmoid(t: Tensor): Tensor {
    return this.tidy(() => this.neg(this.softplus(this.neg(t))));
  }

  /** ln(eᵃ + eᵇ) = max(a, b) + ln(1 + e^−|a−b|), broadcasting. */
  logaddexp(a: TensorLike, b: TensorLike): Tensor {
    return this.tidy(() => {
      const gap = this.neg(this.abs(this.sub(a, b)));
      return this.add(this.maximum(a, b), this.log1p(this.exp(gap)));
    });
  }

  /** ln Σ exp(x) over `axis` (all axes when omitted), shifted by the maximum so it never overflows. */
  logsumexp(t: Tensor, axis?: number, keepDims = false): Tensor {
    return this.tidy(() => {
      const peak = this.max(t, axis, true);
      const shifted = this.log(this.sum(this.exp(this.sub(t, peak)), axis, true));
      const result = this.add(peak, shifted);
      if (keepDims) return result;
      const shape = this.shape(t);
      const resolved = axis === undefined ? undefined : normalizeAxis(axis, shape.length, 'logsumexp');
      return this.reshape(result, reducedShape(shape, resolved, false));
    });
  }

  /** Softmax along `axis` (default: last), shifted by the maximum. */
  softmax(t: Tensor, axis = -1): Tensor {
    return this.tidy(() => {
      const e = this.exp(this.sub(t, this.max(t, axis, true)));
      return this.div(e, this.sum(e, axis, true));
    });
  }

  /** Log-softmax along `axis` (default: last): x − logsumexp(x). */
  logSoftmax(t: Tensor, axis = -1): Tensor {
    return this.tidy(() => this.sub(t, this.logsumexp(t, axis, true)));
  }

  /** −1, 0 or 1 by the sign of each value. */
  sign(t: Tensor): Tensor {
    return this.tidy(() => this.sub(this.greater(t, 0), this.less(t, 0)));
  }

  /**
   * 1 with probability σ(x + bias), else 0, elementwise: `bernoulli(sigmoid(add(x, bias)))`,
   * drawing the same uniforms in the same order. @param logits - any shape
   * @param bias - broadcast against `logits`, e.g. (numUnits) for (batch, numUnits)
   */
  bernoulliLogits(logits: Tensor, bias?: Tensor): Tensor {
    return this.tidy(() => this.bernoulli(this.sigmoid(bias === undefined ? logits : this.add(logits, bias))));
  }

  /** Values limited to [low, high]. */
  clip(t: Tensor, low: number, high: number): Tensor {
    return this.tidy(() => this.minimum(this.maximum(t, low), high));
  }

  // ----- optimizer steps -----

  /**
   * One ADAM step (Kingma & Ba) with bias correction at update count `step` (from 1):
   * m ← β₁m + (1 − β₁)g; s ← β₂s + (1 − β₂)g²; θ ← θ − η m̂ / (√ŝ + ε), m̂ = m/(1 − β₁ᵗ),
   * ŝ = s/(1 − β₂ᵗ). Missing moments count as zeros. All tensors share one shape.
   */
  adamStep(
    param: Tensor,
    gradient: Tensor,
    mean: Tensor | undefined,
    meanSquare: Tensor | undefined,
    settings: AdamSettings,
  ): { param: Tensor; mean: Tensor; meanSquare: Tensor } {
    const { rate, meanWeight: b1, meanSquareWeight: b2, epsilon, step } = settings;
    return this.tidy(() => {
      const average = (old: Tensor | undefined, fresh: Tensor, weight: number) => {
        const scaled = this.mul(fresh, 1 - weight);
        return old === undefined ? scaled : this.add(this.mul(old, weight), scaled);
      };
      const nextMean = average(mean, gradient, b1);
      const nextSquare = average(meanSquare, this.square(gradient), b2);
      const correctedMean = this.div(nextMean, 1 - b1 ** step);
      const correctedSquare = this.div(nextSquare, 1 - b2 ** step);
      const update = this.div(correctedMean, this.add(this.sqrt(correctedSquare), epsilon));
      return { param: this.sub(param, this.mul(update, rate)), mean: nextMean, meanSquare: nextSquare };
    });
  }

  // ----- outer products -----

  /**
   * Σᵢ aᵢᵀbᵢ, the product [a₁; a₂; …]ᵀ[b₁; b₂; …] of the stacked batches — one product here; a
   * backend may sum the pairs' products instead (the cpu backend, whose 0/1 factors are
   * listed once each and not again stacked).
   * @param pairs - (batchᵢ, n) and (batchᵢ, m) each @returns (n, m)
   */
  stackedOuter(pairs: readonly (readonly [Tensor, Tensor])[]): Tensor {
    return this.tidy(() => {
      const [lefts, rights] = [pairs.map(([a]) => a), pairs.map(([, b]) => b)];
      return this.matmul(this.concat(lefts, 0), this.concat(rights, 0), { transposeA: true });
    });
  }
}
