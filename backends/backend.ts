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
  BackendPrimitives,
  Convolution,
  MatmulOptions,
  RandomWords,
  Shape,
  Tensor,
  TensorContainer,
  TensorLike,
} from './types.js';

/**
 * The full tensor interface model code calls: an implementation's primitives plus the
 * composites below, written once here in terms of those primitives. The composites are
 * numerically stable (no overflow or NaN where the result is finite). A subclass may
 * override a composite for speed; the shared backend suite proves it still agrees.
 */
export abstract class Backend implements BackendPrimitives {
  abstract readonly name: string;
  abstract readonly device: string;
  abstract readonly canReadSync: boolean;
  /** The generator behind every random op (all of them draw on the host, so every device gives one stream). */
  protected readonly random: SeededRandom;

  /** @param seed - seed of the random generator */
  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  abstract tensor(values: ArrayLike<number>, shape?: Shape): Tensor;
  abstract fill(shape: Shape, value: number): Tensor;
  abstract read(t: Tensor): Promise<Float32Array>;
  abstract readSync(t: Tensor): Float32Array;
  abstract shape(t: Tensor): Shape;
  abstract reshape(t: Tensor, shape: Shape): Tensor;
  abstract slice(t: Tensor, begin: readonly number[], size: readonly number[]): Tensor;
  abstract concat(ts: readonly Tensor[], axis: number): Tensor;
  abstract gather(t: Tensor, indices: ArrayLike<number>): Tensor;
  abstract neg(t: Tensor): Tensor;
  abstract abs(t: Tensor): Tensor;
  abstract exp(t: Tensor): Tensor;
  abstract log(t: Tensor): Tensor;
  abstract log1p(t: Tensor): Tensor;
  abstract sqrt(t: Tensor): Tensor;
  abstract square(t: Tensor): Tensor;
  abstract sigmoid(t: Tensor): Tensor;
  abstract add(a: TensorLike, b: TensorLike): Tensor;
  abstract sub(a: TensorLike, b: TensorLike): Tensor;
  abstract mul(a: TensorLike, b: TensorLike): Tensor;
  abstract div(a: TensorLike, b: TensorLike): Tensor;
  abstract maximum(a: TensorLike, b: TensorLike): Tensor;
  abstract minimum(a: TensorLike, b: TensorLike): Tensor;
  abstract greater(a: TensorLike, b: TensorLike): Tensor;
  abstract less(a: TensorLike, b: TensorLike): Tensor;
  abstract equal(a: TensorLike, b: TensorLike): Tensor;
  abstract sum(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  abstract max(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  abstract min(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  abstract argMax(t: Tensor, axis: number): Tensor;
  abstract matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor;
  abstract conv2d(images: Tensor, filters: Tensor, convolution: Convolution): Tensor;
  abstract conv2dTranspose(
    maps: Tensor,
    filters: Tensor,
    imageSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor;
  abstract conv2dFilterProducts(
    images: Tensor,
    maps: Tensor,
    kernelSize: readonly [number, number],
    convolution: Convolution,
  ): Tensor;
  abstract randomUniform(shape: Shape): Tensor;
  abstract randomNormal(shape: Shape): Tensor;
  abstract bernoulli(probabilities: Tensor): Tensor;
  abstract categorical(logits: Tensor): Tensor;
  abstract tidy<T extends TensorContainer>(fn: () => T): T;
  abstract keep<T extends Tensor>(t: T): T;
  abstract dispose(ts: Tensor | readonly Tensor[]): void;
  abstract numTensors(): number;
  abstract numBytes(): number;

  // ----- random state -----

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
