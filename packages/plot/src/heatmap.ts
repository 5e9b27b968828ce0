/**
 * Heat maps of matrices with axis titles, index ticks and a colour bar: tabular data (rows ×
 * columns), its reconstructions, and weight matrices, where tiles of images would mean nothing.
 */
import type { HostMatrix } from 'relief/batch';
import { ConfigError } from 'relief/errors';
import { checkOptions } from 'relief/validation';
import { type RgbCanvas, rgbCanvas } from './canvas.js';
import { diverging, type Rgb, sequential } from './colours.js';
import { svgToPng } from './raster.js';
import { formatNumber, svgCanvasImage, svgDocument, svgText, textWidth } from './svg.js';

/** One panel: a matrix drawn cell by cell, its first row at the top, under its title. */
export interface HeatMapPanel {
  readonly title: string;
  /** (rows, columns) */
  readonly matrix: HostMatrix;
}

/** Options of {@link heatMapsSvg}. */
export interface HeatMapOptions {
  /** A title above the panels. */
  readonly title?: string;
  /** The axis titles: down the rows (default 'row') and across the columns (default 'column'). */
  readonly rowTitle?: string;
  readonly columnTitle?: string;
  /**
   * `'symmetric'`: blue–white–red on [−m, m], m the largest |value|; `'range'`: viridis from the
   * smallest value to the largest (default: symmetric when any value is negative).
   */
  readonly scale?: 'symmetric' | 'range';
  /** Pixels per cell (default: as large as fits 320 × 480 pixels per panel, 2 to 16). */
  readonly cellWidth?: number;
  readonly cellHeight?: number;
}

const PAD = 8;
const TITLE_SIZE = 14;
const LABEL_SIZE = 12;
const TICK_SIZE = 10;
const BAR_WIDTH = 160;
const BAR_HEIGHT = 10;

/**
 * Panels side by side on one colour scale, with the rows' and columns' indices (from 0) along
 * the axes, their titles, and a colour bar under them, as SVG text. Every panel must have the
 * same number of rows (they are rows of one thing: data next to its reconstructions).
 */
export function heatMapsSvg(panels: readonly HeatMapPanel[], options: HeatMapOptions = {}): string {
  checkOptions(
    options,
    { title: true, rowTitle: true, columnTitle: true, scale: true, cellWidth: true, cellHeight: true },
    'heatMapsSvg',
  );
  const [first] = panels;
  if (!first) throw new ConfigError('heatMapsSvg: expected at least one panel, got none');
  const rows = first.matrix.rows;
  const uneven = panels.find((panel) => panel.matrix.rows !== rows);
  if (uneven) {
    throw new ConfigError(
      `heatMapsSvg: every panel needs ${rows} rows like '${first.title}', '${uneven.title}' has ${uneven.matrix.rows}`,
    );
  }
  const colour = colourScale(panels, options.scale);
  const widest = Math.max(...panels.map((panel) => panel.matrix.columns));
  const cellWidth = options.cellWidth ?? fit(320, widest);
  const cellHeight = options.cellHeight ?? fit(480, rows);
  for (const [name, value] of [
    ['cellWidth', cellWidth],
    ['cellHeight', cellHeight],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ConfigError(`heatMapsSvg: ${name} must be a positive integer, got ${value}`);
    }
  }

  const parts: string[] = [];
  let top = PAD;
  if (options.title) {
    top += TITLE_SIZE;
    parts.push(svgText(PAD, top, options.title, { size: TITLE_SIZE, bold: true }));
    top += 6;
  }
  top += LABEL_SIZE;
  const panelTitlesAt = top;
  top += 6;
  const rowTicks = ticks(rows, cellHeight, TICK_SIZE + 4);
  const tickWidth = textWidth(String(rows - 1), TICK_SIZE) + 6;
  const left = PAD + LABEL_SIZE + 6 + tickWidth;
  const bottom = top + rows * cellHeight;
  parts.push(
    svgText(PAD + LABEL_SIZE, (top + bottom) / 2, options.rowTitle ?? 'row', {
      size: LABEL_SIZE,
      anchor: 'middle',
      rotate: -90,
    }),
  );
  for (const row of rowTicks) {
    parts.push(svgText(left - 4, top + (row + 0.5) * cellHeight + TICK_SIZE / 2 - 1, String(row), tickStyle('end')));
  }
  let x = left;
  let right = left;
  for (const { title, matrix } of panels) {
    const width = matrix.columns * cellWidth;
    parts.push(svgText(x, panelTitlesAt, title, { size: LABEL_SIZE }));
    parts.push(svgCanvasImage(x, top, cellsCanvas(matrix, cellWidth, cellHeight, colour.map)));
    for (const column of ticks(matrix.columns, cellWidth, textWidth(String(matrix.columns - 1), TICK_SIZE) + 6)) {
      parts.push(svgText(x + (column + 0.5) * cellWidth, bottom + TICK_SIZE + 3, String(column), tickStyle('middle')));
    }
    parts.push(
      svgText(x + width / 2, bottom + TICK_SIZE + LABEL_SIZE + 8, options.columnTitle ?? 'column', {
        size: LABEL_SIZE,
        anchor: 'middle',
      }),
    );
    right = Math.max(right, x + Math.max(width, textWidth(title, LABEL_SIZE)));
    x += Math.max(width, textWidth(title, LABEL_SIZE)) + 2 * PAD + LABEL_SIZE;
  }
  const barTop = bottom + TICK_SIZE + LABEL_SIZE + 20;
  parts.push(svgCanvasImage(left, barTop, colourBar(colour)));
  const labelsAt = barTop + BAR_HEIGHT + TICK_SIZE + 3;
  parts.push(svgText(left, labelsAt, formatNumber(colour.low), tickStyle('middle')));
  if (colour.low < 0 && colour.high > 0) parts.push(svgText(left + BAR_WIDTH / 2, labelsAt, '0', tickStyle('middle')));
  parts.push(svgText(left + BAR_WIDTH, labelsAt, formatNumber(colour.high), tickStyle('middle')));
  const width = Math.max(
    right + PAD,
    left + BAR_WIDTH + textWidth(formatNumber(colour.high), TICK_SIZE) / 2 + PAD,
    options.title ? PAD + textWidth(options.title, TITLE_SIZE) + PAD : 0,
  );
  return svgDocument(width, labelsAt + PAD, parts.join(''));
}

/** {@link heatMapsSvg} as a PNG, one SVG pixel per pixel. */
export function heatMaps(panels: readonly HeatMapPanel[], options: HeatMapOptions = {}): Uint8Array {
  return svgToPng(heatMapsSvg(panels, options), { scale: 1 });
}

/** A value's colour, and the range of values the map spans. */
interface ColourScale {
  readonly map: (value: number) => Rgb;
  readonly low: number;
  readonly high: number;
}

/** One colour map and its value range for every panel. */
function colourScale(panels: readonly HeatMapPanel[], scale: HeatMapOptions['scale']): ColourScale {
  let [low, high] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const { matrix } of panels) {
    for (const value of matrix.values) {
      if (Number.isFinite(value)) [low, high] = [Math.min(low, value), Math.max(high, value)];
    }
  }
  if (low > high) [low, high] = [0, 1];
  const chosen = scale ?? (low < 0 ? 'symmetric' : 'range');
  if (chosen !== 'symmetric' && chosen !== 'range') {
    throw new ConfigError(`heatMapsSvg: scale must be 'symmetric' or 'range', got '${String(chosen)}'`);
  }
  if (chosen === 'symmetric') {
    const limit = Math.max(Math.abs(low), Math.abs(high)) || 1;
    return { map: (value) => diverging((value / limit + 1) / 2), low: -limit, high: limit };
  }
  const span = high - low || 1;
  return { map: (value) => sequential((value - low) / span), low, high };
}

/** The largest cell side (2 to 16 pixels) that keeps `count` cells within `pixels`. */
function fit(pixels: number, count: number): number {
  return Math.max(2, Math.min(16, Math.floor(pixels / Math.max(1, count))));
}

/** The indices to label along an axis of `count` cells: every 1, 2, 5, 10, 20, … that leaves `spacing` pixels between labels. */
function ticks(count: number, cell: number, spacing: number): number[] {
  let step = 1;
  for (let decade = 1; step * cell < spacing; decade *= 10) {
    step = [1, 2, 5].map((m) => m * decade).find((s) => s * cell >= spacing) ?? 10 * decade;
  }
  return Array.from({ length: Math.ceil(count / step) }, (_, k) => k * step);
}

function tickStyle(anchor: 'middle' | 'end') {
  return { size: TICK_SIZE, anchor, fill: '#444' } as const;
}

function cellsCanvas(
  matrix: HostMatrix,
  cellWidth: number,
  cellHeight: number,
  colour: (value: number) => Rgb,
): RgbCanvas {
  const canvas = rgbCanvas(matrix.columns * cellWidth, matrix.rows * cellHeight, [255, 255, 255]);
  for (let row = 0; row < matrix.rows; row++) {
    for (let column = 0; column < matrix.columns; column++) {
      const rgb = colour(matrix.values[row * matrix.columns + column] as number);
      for (let y = row * cellHeight; y < (row + 1) * cellHeight; y++) {
        for (let x = column * cellWidth; x < (column + 1) * cellWidth; x++)
          canvas.pixels.set(rgb, (y * canvas.width + x) * 3);
      }
    }
  }
  return canvas;
}

/** The colour map from `low` (left) to `high` (right). */
function colourBar({ map, low, high }: ColourScale): RgbCanvas {
  const canvas = rgbCanvas(BAR_WIDTH, BAR_HEIGHT, [255, 255, 255]);
  for (let x = 0; x < BAR_WIDTH; x++) {
    const rgb = map(low + ((high - low) * x) / (BAR_WIDTH - 1));
    for (let y = 0; y < BAR_HEIGHT; y++) canvas.pixels.set(rgb, (y * BAR_WIDTH + x) * 3);
  }
  return canvas;
}
