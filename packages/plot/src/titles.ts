/** Pictures stacked in rows, each with a title above it (e.g. one row of images per model). */
import { ConfigError } from 'relief/errors';
import { readPng } from './png.js';
import { svgToPng } from './raster.js';

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
    parts.push(
      `<text x="${GAP}" y="${top}" font-family="DejaVu Sans" font-size="${FONT_SIZE}">${escapeXml(title)}</text>`,
    );
    top += GAP / 2;
    const data = Buffer.from(png).toString('base64');
    parts.push(
      `<image x="${GAP}" y="${top}" width="${size.width}" height="${size.height}" image-rendering="optimizeSpeed" ` +
        `href="data:image/png;base64,${data}"/>`,
    );
    top += size.height + GAP;
    width = Math.max(width, size.width + 2 * GAP);
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top}" viewBox="0 0 ${width} ${top}">` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`
  );
}

/** {@link titledRowsSvg} as a PNG at the pictures' own resolution. */
export function titledRows(rows: readonly TitledPicture[]): Uint8Array {
  return svgToPng(titledRowsSvg(rows), { scale: 1 });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
