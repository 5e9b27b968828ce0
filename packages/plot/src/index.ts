/**
 * @relief/plot: pictures of what a model learned — grids of images (data, reconstructions,
 * fantasy particles) and of weights (one tile per hidden unit) — encoded as PNG.
 * @packageDocumentation
 */
import { writeFileSync } from 'node:fs';
import pngjs from 'pngjs';
import type { HostMatrix } from 'relief/batch';
import { ConfigError } from 'relief/errors';
import { checkOptions } from 'relief/validation';

/** Options of {@link imageGrid}. */
export interface GridOptions {
  /** Width of one image in pixels (default: √columns when columns is a square). */
  readonly imageWidth?: number;
  /** Tiles per row of the grid (default: ⌈√rows⌉). */
  readonly tilesPerRow?: number;
  /** Pixels between tiles (default 1). */
  readonly padding?: number;
  /** Magnification of each pixel (default 2). */
  readonly zoom?: number;
  /** `'unit'`: values in [0, 1] map to black–white; `'tile'`: each tile stretched to its own min–max (for weights). */
  readonly range?: 'unit' | 'tile';
}

/**
 * Arranges the rows of `images` (one image per row, row-major pixels) in a grid and
 * encodes it as a grey-scale PNG.
 * @param images - (numImages, imageWidth × imageHeight)
 */
export function imageGrid(images: HostMatrix, options: GridOptions = {}): Uint8Array {
  checkOptions(options, { imageWidth: true, tilesPerRow: true, padding: true, zoom: true, range: true }, 'imageGrid');
  const side = Math.round(Math.sqrt(images.columns));
  const width = options.imageWidth ?? side;
  if (!Number.isInteger(width) || width < 1 || images.columns % width !== 0) {
    throw new ConfigError(`imageGrid: imageWidth ${width} does not divide the ${images.columns} pixels of each image`);
  }
  const height = images.columns / width;
  const perRow = options.tilesPerRow ?? Math.max(1, Math.ceil(Math.sqrt(images.rows)));
  const gridRows = Math.ceil(images.rows / perRow);
  const padding = options.padding ?? 1;
  const zoom = options.zoom ?? 2;
  const png = new pngjs.PNG({
    width: (perRow * (width + padding) + padding) * zoom,
    height: (gridRows * (height + padding) + padding) * zoom,
    colorType: 0,
  });
  png.data.fill(96);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  for (let image = 0; image < images.rows; image++) {
    const pixels = images.values.subarray(image * images.columns, (image + 1) * images.columns);
    let [low, high] = [0, 1];
    if (options.range === 'tile') {
      low = pixels.reduce((a, v) => Math.min(a, v), Number.POSITIVE_INFINITY);
      high = pixels.reduce((a, v) => Math.max(a, v), Number.NEGATIVE_INFINITY);
    }
    const span = high - low || 1;
    const left = padding + (image % perRow) * (width + padding);
    const top = padding + Math.floor(image / perRow) * (height + padding);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const grey = Math.round(255 * Math.min(1, Math.max(0, ((pixels[y * width + x] as number) - low) / span)));
        for (let dy = 0; dy < zoom; dy++) {
          for (let dx = 0; dx < zoom; dx++) {
            const offset = (((top + y) * zoom + dy) * png.width + (left + x) * zoom + dx) * 4;
            png.data[offset] = png.data[offset + 1] = png.data[offset + 2] = grey;
          }
        }
      }
    }
  }
  return new Uint8Array(pngjs.PNG.sync.write(png, { colorType: 0 }));
}

/**
 * The weights into each hidden unit as an image tile, each stretched to its own range.
 * @param weights - (numVisible, numHidden) row-major, numVisible a square number of pixels
 */
export function weightsGrid(weights: HostMatrix, options: GridOptions = {}): Uint8Array {
  const { rows: numVisible, columns: numHidden, values } = weights;
  const tiles = new Float32Array(numHidden * numVisible);
  for (let i = 0; i < numVisible; i++) {
    for (let j = 0; j < numHidden; j++) tiles[j * numVisible + i] = values[i * numHidden + j] as number;
  }
  return imageGrid({ rows: numHidden, columns: numVisible, values: tiles }, { range: 'tile', ...options });
}

/** Decodes a PNG (e.g. to check what was written). @returns width, height and RGBA pixels */
export function readPng(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = pngjs.PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}

/** Writes PNG bytes to a file. */
export function savePng(path: string, bytes: Uint8Array): void {
  writeFileSync(path, bytes);
}

/** 3×5 bitmaps of the digits 0–9, one string of 15 cells per digit, row-major. */
const DIGITS = [
  '111101101101111',
  '010110010010111',
  '111001111100111',
  '111001111001111',
  '101101111001001',
  '111100111001111',
  '111100111101111',
  '111001001001001',
  '111101111101111',
  '111101111001111',
];

/** Options of {@link confusionMatrixPng}. */
export interface ConfusionOptions {
  /** Side of one cell in pixels (default 24). */
  readonly cell?: number;
}

/**
 * A confusion matrix as a PNG heat map: row = true class (top to bottom), column = predicted
 * class (left to right), each cell shaded by the fraction of its row, correct predictions in
 * blue and errors in red, with the class numbers along both axes.
 * @param counts - (numClasses, numClasses), as `supervised.confusionMatrix` returns
 */
export function confusionMatrixPng(counts: readonly (readonly number[])[], options: ConfusionOptions = {}): Uint8Array {
  checkOptions(options, { cell: true }, 'confusionMatrixPng');
  const classes = counts.length;
  if (classes === 0 || counts.some((row) => row.length !== classes)) {
    throw new ConfigError(
      `confusionMatrixPng: expected a square matrix, got ${classes} rows of lengths ${counts.map((r) => r.length).join(', ')}`,
    );
  }
  const cell = options.cell ?? 24;
  const margin = 16;
  const size = margin + classes * cell + 1;
  const png = new pngjs.PNG({ width: size, height: size });
  png.data.fill(255);
  const paint = (x: number, y: number, [r, g, b]: readonly number[]) => {
    const offset = (y * size + x) * 4;
    [png.data[offset], png.data[offset + 1], png.data[offset + 2]] = [r as number, g as number, b as number];
  };
  counts.forEach((row, truth) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, guess) => {
      const shade = Math.round(255 * (1 - count / total));
      const colour = truth === guess ? [shade, shade, 255] : [255, shade, shade];
      for (let y = 1; y < cell; y++) {
        for (let x = 1; x < cell; x++) paint(margin + guess * cell + x, margin + truth * cell + y, colour);
      }
    });
    drawNumber(truth, 2, margin + truth * cell + (cell - 5) / 2, paint);
    drawNumber(truth, margin + truth * cell + (cell - 3 * String(truth).length) / 2, 4, paint);
  });
  return new Uint8Array(pngjs.PNG.sync.write(png));
}

/** Draws a number in the 3×5 digit font with its top-left corner at (left, top). */
function drawNumber(
  value: number,
  left: number,
  top: number,
  paint: (x: number, y: number, rgb: readonly number[]) => void,
) {
  [...String(value)].forEach((digit, k) => {
    const bitmap = DIGITS[Number(digit)] as string;
    for (let i = 0; i < 15; i++) {
      if (bitmap[i] === '1') paint(Math.round(left) + 4 * k + (i % 3), Math.round(top) + Math.floor(i / 3), [0, 0, 0]);
    }
  });
}
