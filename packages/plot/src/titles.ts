/** Pictures stacked in rows, each with a title above it (e.g. one row of images per model). */
import { ConfigError } from 'relief/errors';
import { readPng } from './png.js';
import { svgToPng } from './raster.js';
import { svgDocument, svgPngImage, svgText, textWidth } from './svg.js';

/** One titled row: a PNG (e.g. from `imageGrid` or `weightsGrid`) and its title. */
export interface TitledPicture {
  readonly title: string;
  readonly png: Uint8Array;
}

const FONT_SIZE = 14;
const GAP = 8;

/** The rows stacked top to bottom, each under its title, as SVG text (pictures embedded as PNG). */
export function titledRowsSvg(rows: readonly TitledPicture[]): string {
  if (rows.length === 0) throw new ConfigError('titledRowsSvg: expected at least one row, got none');
  let top = GAP;
  const parts: string[] = [];
  let width = 0;
  for (const { title, png } of rows) {
    const size = readPng(png);
    top += FONT_SIZE;
    parts.push(svgText(GAP, top, title, { size: FONT_SIZE }));
    top += GAP / 2;
    parts.push(svgPngImage(GAP, top, size, png));
    top += size.height + GAP;
    width = Math.max(width, size.width + 2 * GAP, textWidth(title, FONT_SIZE) + 2 * GAP);
  }
  return svgDocument(width, top, parts.join(''));
}

/** {@link titledRowsSvg} as a PNG at the pictures' own resolution. */
export function titledRows(rows: readonly TitledPicture[]): Uint8Array {
  return svgToPng(titledRowsSvg(rows), { scale: 1 });
}
