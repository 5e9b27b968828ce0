/**
 * Small image patches cut at random places from a set of images, the data of the natural-image
 * experiments of PyDeep and of Hinton's and Krizhevsky's Gaussian–Bernoulli RBMs (whitened,
 * they learn localized, oriented filters).
 * @packageDocumentation
 */
import { SeededRandom } from '../backends/index.js';
import { ConfigError, ShapeError } from '../errors/index.js';
import { checkOptions } from '../validation/index.js';
import type { HostMatrix } from './transforms.js';

/** Options of {@link randomPatches}. */
export interface PatchOptions {
  /** Side of the square patches, or [height, width]. */
  readonly size: number | readonly [number, number];
  /** How many patches to cut. */
  readonly count: number;
  /** [height, width] of each image; square by default (√columns). */
  readonly imageShape?: readonly [number, number];
  /** Seed of the draws of image and position (default 0). */
  readonly seed?: number;
}

/**
 * `count` patches, each from a uniformly drawn image at a uniformly drawn position, rows
 * flattened row-major like the images.
 * @param images - (numImages, height·width) @returns (count, patchHeight·patchWidth)
 * @throws ConfigError for a size or count that is not a positive integer; ShapeError for a
 *   patch larger than the images or an image shape that does not match the columns
 */
export function randomPatches(images: HostMatrix, options: PatchOptions): HostMatrix {
  checkOptions(options, { size: true, count: true, imageShape: true, seed: true }, 'randomPatches');
  const side = Math.round(Math.sqrt(images.columns));
  const [height, width] = options.imageShape ?? [side, side];
  if (height * width !== images.columns) {
    throw new ShapeError(
      `randomPatches: images of ${images.columns} columns are not ${height}×${width}; pass imageShape [height, width]`,
    );
  }
  const [patchHeight, patchWidth] = typeof options.size === 'number' ? [options.size, options.size] : options.size;
  for (const [what, value] of [
    ['size', patchHeight],
    ['size', patchWidth],
    ['count', options.count],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ConfigError(`randomPatches: ${what} must be a positive integer, got ${value}`);
    }
  }
  if (patchHeight > height || patchWidth > width) {
    throw new ShapeError(`randomPatches: ${patchHeight}×${patchWidth} patches do not fit in ${height}×${width} images`);
  }
  if (images.rows < 1) throw new ShapeError('randomPatches: no images to cut patches from');
  const random = new SeededRandom(options.seed ?? 0);
  const draw = (n: number) => Math.min(n - 1, Math.floor(random.nextFloat() * n));
  const columns = patchHeight * patchWidth;
  const values = new Float32Array(options.count * columns);
  for (let p = 0; p < options.count; p++) {
    const image = draw(images.rows);
    const [top, left] = [draw(height - patchHeight + 1), draw(width - patchWidth + 1)];
    for (let i = 0; i < patchHeight; i++) {
      const start = image * images.columns + (top + i) * width + left;
      values.set(images.values.subarray(start, start + patchWidth), p * columns + i * patchWidth);
    }
  }
  return { rows: options.count, columns, values };
}
