import * as z from 'zod';
import { be, type Tensor } from '../backends/index.js';
import { type ConvolutionDims, convolutionDims } from '../backends/shapes.js';
import { UnsupportedError } from '../errors/index.js';
import { parseWith } from '../validation/index.js';
import { Coupling, INITIAL_WEIGHT_STD } from './coupling.js';
import type { ParameterConfig } from './parameters.js';

const size = z.int().min(1);

/** The schema of a convolution's geometry (constructor options, `model.json`, run configs), strict. */
export const convolutionGeometrySchema = z.strictObject({
  /** The lower layer's images: [channels, height, width]. */
  image: z.tuple([size, size, size]),
  /** Number of filters (the upper layer's channels). */
  filters: size,
  /** Kernel size: one number for a square kernel, or [height, width]. */
  kernel: z.union([size, z.tuple([size, size])]),
  /** Positions skipped between two outputs on both axes (default 1). */
  stride: size.default(1),
  /** Zeros added on every side of each image (default 0). */
  padding: z.int().min(0).default(0),
});

/** The geometry of convolutional weights, as given (kernel, stride and padding may be short). */
export type ConvolutionGeometry = z.input<typeof convolutionGeometrySchema>;

/** Convolutional weights' description, as saved in `model.json`. */
export interface ConvolutionalWeightsConfig extends ParameterConfig {
  readonly type: 'convolutional';
  readonly image: readonly [number, number, number];
  readonly filters: number;
  readonly kernel: readonly [number, number];
  readonly stride: number;
  readonly padding: number;
}

/**
 * Convolutional coupling (Lee et al. 2009; Learnergy's ConvRBM): `filters` W (numFilters,
 * channels, kh, kw) shared across positions. The lower layer holds images of
 * [channels, height, width] flattened row-major (channel-major, as PyTorch's NCHW), the upper
 * layer the maps [numFilters, outHeight, outWidth]; the field up is `conv2d(v, W)`, the field
 * down its transpose, and the energy `−Σ h ∘ conv2d(v, W)` per sample.
 */
export class ConvolutionalWeights extends Coupling {
  readonly parameterName = 'filters';
  readonly numLower: number;
  readonly numUpper: number;
  /** Every size of the convolution (stride and padding included), for a batch of 1. */
  readonly dims: ConvolutionDims;

  /**
   * @param geometry - image [channels, height, width], filters, kernel, stride (1), padding (0)
   * @param initial - `'random'`: N(0, 0.01²) samples of the backend's seeded generator; `'zeros'`
   * @throws ConfigError for a malformed geometry; ShapeError when the kernel does not fit the image
   */
  constructor(geometry: ConvolutionGeometry, initial: 'random' | 'zeros' = 'random') {
    const { image, filters, kernel, stride, padding } = parseWith(
      convolutionGeometrySchema,
      geometry,
      'ConvolutionalWeights',
    );
    const [kernelHeight, kernelWidth] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
    const filterShape = [filters, image[0], kernelHeight, kernelWidth];
    const dims = convolutionDims([1, ...image], filterShape, { stride, padding }, 'ConvolutionalWeights');
    super({ filters: filterShape });
    this.dims = dims;
    this.numLower = image[0] * image[1] * image[2];
    this.numUpper = filters * dims.outHeight * dims.outWidth;
    this.setParam(
      'filters',
      initial === 'zeros'
        ? be.zeros(filterShape)
        : be.tidy(() => be.mul(be.randomNormal(filterShape), INITIAL_WEIGHT_STD)),
    );
  }

  describe(): string {
    const d = this.dims;
    return (
      `ConvolutionalWeights(${d.channels}×${d.height}×${d.width} → ${d.numFilters}×${d.outHeight}×${d.outWidth}, ` +
      `kernel ${d.kernelHeight}×${d.kernelWidth}, stride ${d.stride}, padding ${d.padding})`
    );
  }

  /** Convolutional weights have no dense matrix. @throws UnsupportedError naming what to read instead */
  get matrix(): Tensor {
    throw new UnsupportedError(
      `${this.describe()} has filters, not a dense matrix: read .filters (numFilters, channels, kh, kw) or .featureWeights()`,
    );
  }

  /** W. @returns (numFilters, channels, kh, kw) */
  get filters(): Tensor {
    return this.param('filters');
  }

  /** The upper layer's maps: [numFilters, outHeight, outWidth]. */
  get mapShape(): readonly [number, number, number] {
    return [this.dims.numFilters, this.dims.outHeight, this.dims.outWidth];
  }

  /** conv2d(x, θ), flattened. @param lower - (batch, channels·height·width) @returns (batch, numFilters·outHeight·outWidth) */
  protected mapUp(theta: Tensor, lower: Tensor): Tensor {
    const batch = be.shape(lower)[0] as number;
    return be.tidy(() => be.reshape(be.conv2d(this.images(lower), theta, this.dims), [batch, this.numUpper]));
  }

  /** conv2dᵀ(y, θ), flattened. @param upper - (batch, numFilters·outHeight·outWidth) @returns (batch, channels·height·width) */
  protected mapDown(theta: Tensor, upper: Tensor): Tensor {
    const batch = be.shape(upper)[0] as number;
    const { height, width } = this.dims;
    return be.tidy(() =>
      be.reshape(be.conv2dTranspose(this.maps(upper), theta, [height, width], this.dims), [batch, this.numLower]),
    );
  }

  /** Σ_b of each filter tap's input times its output. @returns (numFilters, channels, kh, kw) */
  protected products(lower: Tensor, upper: Tensor): Tensor {
    const { kernelHeight, kernelWidth } = this.dims;
    return be.tidy(() =>
      be.conv2dFilterProducts(this.images(lower), this.maps(upper), [kernelHeight, kernelWidth], this.dims),
    );
  }

  /** Each filter as a column. @returns (channels·kh·kw, numFilters) */
  featureWeights(): Tensor {
    const { numFilters } = this.dims;
    const rows = be.reshape(this.filters, [numFilters, this.numLowerPerFilter]);
    const identity = be.tensor(
      Float32Array.from({ length: numFilters * numFilters }, (_, i) => (i % (numFilters + 1) === 0 ? 1 : 0)),
      [numFilters, numFilters],
    );
    return be.matmul(rows, identity, { transposeA: true });
  }

  /** The description for `model.json`. */
  toConfig(): ConvolutionalWeightsConfig {
    const d = this.dims;
    return {
      type: 'convolutional',
      image: [d.channels, d.height, d.width],
      filters: d.numFilters,
      kernel: [d.kernelHeight, d.kernelWidth],
      stride: d.stride,
      padding: d.padding,
      ...this.parameterConfig(),
    };
  }

  /** Inputs of one filter: channels·kh·kw. */
  private get numLowerPerFilter(): number {
    return this.dims.channels * this.dims.kernelHeight * this.dims.kernelWidth;
  }

  /** (batch, numLower) as images (batch, channels, height, width). */
  private images(lower: Tensor): Tensor {
    const { channels, height, width } = this.dims;
    return be.reshape(lower, [be.shape(lower)[0] as number, channels, height, width]);
  }

  /** (batch, numUpper) as maps (batch, numFilters, outHeight, outWidth). */
  private maps(upper: Tensor): Tensor {
    return be.reshape(upper, [be.shape(upper)[0] as number, ...this.mapShape]);
  }
}
