/** A confusion matrix as a PNG heat map with class numbers in a tiny bitmap font. */
import pngjs from 'pngjs';
import { ConfigError } from 'relief/errors';
import { checkOptions } from 'relief/validation';

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
