/**
 * Grids of image tiles drawn on RGB canvases: data, reconstructions and fantasy particles (grey
 * or RGB), and weights. No PNG here, so browsers can draw them too (`@relief/plot/browser`).
 */
import type { HostMatrix } from 'relief/batch';
import { ConfigError } from 'relief/errors';
import { checkOptions } from 'relief/validation';
import { type RgbCanvas, rgbCanvas } from './canvas.js';
import { diverging, grey, type Rgb } from './colours.js';

/** How tiles are laid out. */
export interface LayoutOptions {
  /** Width of one image in pixels (default: √pixels when the pixels of one image make a square). */
  readonly imageWidth?: number;
  /** Tiles per row of the grid (default: ⌈√tiles⌉). */
  readonly tilesPerRow?: number;
  /** Pixels between tiles (default 1). */
  readonly padding?: number;
  /** Magnification of each pixel (default 2). */
  readonly zoom?: number;
}

/** Options of {@link imageGrid}. */
export interface GridOptions extends LayoutOptions {
  /** `'unit'`: values in [0, 1] map to black–white; `'tile'`: each tile stretched to its own min–max. */
  readonly range?: 'unit' | 'tile';
  /** 1: grey images; 3: RGB images, each row (height, width, 3) interleaved (default 1). */
  readonly channels?: 1 | 3;
}

/** Options of {@link weightsGrid}. */
export interface WeightsOptions extends LayoutOptions {
  /**
   * `'symmetric'` (default): one scale [−limit, limit] for every tile, blue–white–red;
   * `'tile'`: each tile in grey stretched to its own min–max.
   */
  readonly scale?: 'symmetric' | 'tile';
  /** The symmetric scale's limit (default: the largest |w| of these weights); share one across models with {@link symmetricLimit}. */
  readonly limit?: number;
}

const LAYOUT_KEYS = { imageWidth: true, tilesPerRow: true, padding: true, zoom: true } as const;
const BACKGROUND: Rgb = [96, 96, 96];

/**
 * Arranges the rows of `images` (one image per row, row-major pixels) in a grid on a canvas.
 * @param images - (numImages, width × height × channels)
 */
export function imageGridCanvas(images: HostMatrix, options: GridOptions = {}): RgbCanvas {
  checkOptions(options, { ...LAYOUT_KEYS, range: true, channels: true }, 'imageGrid');
  const channels = options.channels ?? 1;
  if (channels !== 1 && channels !== 3) throw new ConfigError(`imageGrid: channels must be 1 or 3, got ${channels}`);
  if (images.columns % channels !== 0) {
    throw new ConfigError(
      `imageGrid: ${images.columns} values per image are not a whole number of ${channels}-channel pixels`,
    );
  }
  const pixels = images.columns / channels;
  return drawTiles(images.rows, pixels, options, 'imageGrid', (tile) => {
    const values = images.values.subarray(tile * images.columns, (tile + 1) * images.columns);
    const [low, high] = options.range === 'tile' ? extent(values) : [0, 1];
    const span = high - low || 1;
    if (channels === 1) return (pixel) => grey(((values[pixel] as number) - low) / span);
    const level = (value: number) => grey((value - low) / span)[0];
    return (pixel) => [
      level(values[3 * pixel] as number),
      level(values[3 * pixel + 1] as number),
      level(values[3 * pixel + 2] as number),
    ];
  });
}

/**
 * The weights into each hidden unit as an image tile on a canvas: by default on one symmetric
 * scale with a diverging colour map (negative blue, zero white, positive red), so tiles compare
 * directly. @param weights - (numVisible, numHidden) row-major
 */
export function weightsGridCanvas(weights: HostMatrix, options: WeightsOptions = {}): RgbCanvas {
  checkOptions(options, { ...LAYOUT_KEYS, scale: true, limit: true }, 'weightsGrid');
  const { rows: numVisible, columns: numHidden, values } = weights;
  const scale = options.scale ?? 'symmetric';
  if (scale !== 'symmetric' && scale !== 'tile') {
    throw new ConfigError(`weightsGrid: scale must be 'symmetric' or 'tile', got '${String(scale)}'`);
  }
  const limit = options.limit ?? symmetricLimit(weights);
  if (!(limit > 0) || !Number.isFinite(limit))
    throw new ConfigError(`weightsGrid: limit must be a positive number, got ${limit}`);
  return drawTiles(numHidden, numVisible, options, 'weightsGrid', (unit) => {
    const column = Float64Array.from(
      { length: numVisible },
      (_, visible) => values[visible * numHidden + unit] as number,
    );
    if (scale === 'symmetric') return (visible) => diverging(((column[visible] as number) / limit + 1) / 2);
    const [low, high] = extent(column);
    return (visible) => grey(((column[visible] as number) - low) / (high - low || 1));
  });
}

/** The largest |w| over several weight matrices: one colour scale for the mosaics of several models. */
export function symmetricLimit(...weights: HostMatrix[]): number {
  let limit = 0;
  for (const { values } of weights) for (const value of values) limit = Math.max(limit, Math.abs(value));
  return limit || 1;
}

/**
 * Draws `count` tiles of `pixels` pixels each; `colourer(tile)` gives the colour of each pixel
 * of one tile (pixel index row-major within the tile).
 */
function drawTiles(
  count: number,
  pixels: number,
  options: LayoutOptions,
  where: string,
  colourer: (tile: number) => (pixel: number) => Rgb,
): RgbCanvas {
  const width = options.imageWidth ?? Math.round(Math.sqrt(pixels));
  if (!Number.isInteger(width) || width < 1 || pixels % width !== 0) {
    throw new ConfigError(`${where}: imageWidth ${width} does not divide the ${pixels} pixels of each image`);
  }
  const height = pixels / width;
  const perRow = options.tilesPerRow ?? Math.max(1, Math.ceil(Math.sqrt(count)));
  const padding = options.padding ?? 1;
  const zoom = options.zoom ?? 2;
  const canvas = rgbCanvas(
    (perRow * (width + padding) + padding) * zoom,
    (Math.ceil(count / perRow) * (height + padding) + padding) * zoom,
    BACKGROUND,
  );
  for (let tile = 0; tile < count; tile++) {
    const colourOf = colourer(tile);
    const left = padding + (tile % perRow) * (width + padding);
    const top = padding + Math.floor(tile / perRow) * (height + padding);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const colour = colourOf(y * width + x);
        for (let dy = 0; dy < zoom; dy++) {
          const row = ((top + y) * zoom + dy) * canvas.width;
          for (let dx = 0; dx < zoom; dx++) canvas.pixels.set(colour, (row + (left + x) * zoom + dx) * 3);
        }
      }
    }
  }
  return canvas;
}

function extent(values: ArrayLike<number>): [number, number] {
  let [low, high] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let i = 0; i < values.length; i++)
    [low, high] = [Math.min(low, values[i] as number), Math.max(high, values[i] as number)];
  return [low, high];
}
