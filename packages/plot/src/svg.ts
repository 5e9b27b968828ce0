/** Small SVG building blocks for the composed pictures (titled rows, heat maps, confusion matrices). */

import type { RgbCanvas } from './canvas.js';
import { encodePng } from './png.js';

/** The font every composed picture names (CI installs fonts-dejavu-core). */
export const FONT_FAMILY = 'DejaVu Sans';

/** Options of {@link svgText}. */
export interface TextOptions {
  /** Font size in pixels (default 12). */
  readonly size?: number;
  /** Horizontal anchor (default 'start'). */
  readonly anchor?: 'start' | 'middle' | 'end';
  /** Degrees, about (x, y) (default 0). */
  readonly rotate?: number;
  /** A CSS colour (default black). */
  readonly fill?: string;
  readonly bold?: boolean;
}

/** A `<text>` element with its baseline at (x, y), the text escaped. */
export function svgText(x: number, y: number, text: string, options: TextOptions = {}): string {
  const attributes = [
    `x="${round(x)}"`,
    `y="${round(y)}"`,
    `font-family="${FONT_FAMILY}"`,
    `font-size="${options.size ?? 12}"`,
    ...(options.anchor && options.anchor !== 'start' ? [`text-anchor="${options.anchor}"`] : []),
    ...(options.rotate ? [`transform="rotate(${options.rotate} ${round(x)} ${round(y)})"`] : []),
    ...(options.fill ? [`fill="${options.fill}"`] : []),
    ...(options.bold ? ['font-weight="bold"'] : []),
  ];
  return `<text ${attributes.join(' ')}>${escapeXml(text)}</text>`;
}

/** An `<image>` of PNG bytes at (x, y), drawn pixel for pixel (no smoothing). */
export function svgPngImage(x: number, y: number, size: { width: number; height: number }, png: Uint8Array): string {
  const data = Buffer.from(png).toString('base64');
  return (
    `<image x="${round(x)}" y="${round(y)}" width="${size.width}" height="${size.height}" ` +
    `image-rendering="optimizeSpeed" href="data:image/png;base64,${data}"/>`
  );
}

/** An `<image>` of a canvas at (x, y), drawn pixel for pixel. */
export function svgCanvasImage(x: number, y: number, canvas: RgbCanvas): string {
  return svgPngImage(x, y, canvas, encodePng(canvas));
}

/** A whole SVG document of `width` × `height` pixels on white around `body`. */
export function svgDocument(width: number, height: number, body: string): string {
  const [w, h] = [Math.ceil(width), Math.ceil(height)];
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">` +
    `<rect width="100%" height="100%" fill="white"/>${body}</svg>`
  );
}

/** Text with `&`, `<`, `>` and `"` escaped for XML. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A number as a short label: integers as they are, others to 3 significant digits. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(3)).toString();
}

/** About how wide DejaVu Sans sets `text` at `size` pixels (for laying out around it). */
export function textWidth(text: string, size: number): number {
  return Math.ceil(text.length * size * 0.58);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
