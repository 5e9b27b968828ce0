/** Grids of image tiles and weight mosaics as PNG (drawn by `tiles.ts`). */
import type { HostMatrix } from 'relief/batch';
import { encodePng } from './png.js';
import { type GridOptions, imageGridCanvas, type WeightsOptions, weightsGridCanvas } from './tiles.js';

/**
 * Arranges the rows of `images` (one image per row, row-major pixels) in a grid and
 * encodes it as a PNG.
 * @param images - (numImages, width × height × channels)
 */
export function imageGrid(images: HostMatrix, options: GridOptions = {}): Uint8Array {
  return encodePng(imageGridCanvas(images, options));
}

/**
 * The weights into each hidden unit as an image tile, as a PNG: by default on one symmetric
 * scale with a diverging colour map (negative blue, zero white, positive red), so tiles compare
 * directly. @param weights - (numVisible, numHidden) row-major
 */
export function weightsGrid(weights: HostMatrix, options: WeightsOptions = {}): Uint8Array {
  return encodePng(weightsGridCanvas(weights, options));
}
