/**
 * A confusion matrix as a picture: true class down, predicted class across, the count in every
 * cell, correct predictions and errors each on their own colour scale so that rare errors show.
 */
import { ConfigError } from 'relief/errors';
import { checkOptions } from 'relief/validation';
import { blues, type Rgb, reds } from './colours.js';
import { svgToPng } from './raster.js';
import { svgDocument, svgText, textWidth } from './svg.js';

/** Options of {@link confusionMatrixSvg}. */
export interface ConfusionOptions {
  /** Side of one cell in pixels (default 40). */
  readonly cell?: number;
  /** The classes' names along the axes (default 0, 1, …). */
  readonly classNames?: readonly string[];
  /** A title above the matrix. */
  readonly title?: string;
}

const PAD = 8;
const TITLE_SIZE = 14;
const LABEL_SIZE = 12;
const TICK_SIZE = 11;

/**
 * A confusion matrix as SVG text: row = true class (top to bottom), column = predicted class
 * (left to right), with the count in every cell. Correct predictions (the diagonal) are blue
 * by the share of their true class they are; errors are red on their own logarithmic scale,
 * up to the largest error count, so one misclassified example in ten thousand still shows.
 * Each cell is a `<rect class="cell" data-true="i" data-predicted="j">`.
 * @param counts - (numClasses, numClasses), as `supervised.confusionMatrix` returns
 */
export function confusionMatrixSvg(counts: readonly (readonly number[])[], options: ConfusionOptions = {}): string {
  checkOptions(options, { cell: true, classNames: true, title: true }, 'confusionMatrixSvg');
  const classes = counts.length;
  if (classes === 0 || counts.some((row) => row.length !== classes)) {
    throw new ConfigError(
      `confusionMatrixSvg: expected a square matrix, got ${classes} rows of lengths ${counts.map((r) => r.length).join(', ')}`,
    );
  }
  const cell = options.cell ?? 40;
  if (!Number.isInteger(cell) || cell < 8) {
    throw new ConfigError(`confusionMatrixSvg: cell must be an integer of at least 8 pixels, got ${cell}`);
  }
  const names = options.classNames ?? counts.map((_, k) => String(k));
  if (names.length !== classes) {
    throw new ConfigError(`confusionMatrixSvg: expected ${classes} class names, got ${names.length}`);
  }
  const colourOf = cellColours(counts);
  const countSize = Math.min(TICK_SIZE, Math.floor(cell / 3));

  const parts: string[] = [];
  let top = PAD;
  if (options.title) {
    top += TITLE_SIZE;
    parts.push(svgText(PAD, top, options.title, { size: TITLE_SIZE, bold: true }));
    top += 8;
  }
  const nameWidth = Math.max(...names.map((name) => textWidth(name, TICK_SIZE)));
  const left = PAD + LABEL_SIZE + 8 + nameWidth + 6;
  const side = classes * cell;
  parts.push(
    svgText(PAD + LABEL_SIZE, top + side / 2, 'true class', { size: LABEL_SIZE, anchor: 'middle', rotate: -90 }),
  );
  counts.forEach((row, truth) => {
    const y = top + truth * cell;
    parts.push(
      svgText(left - 6, y + cell / 2 + TICK_SIZE / 2 - 1, names[truth] as string, { size: TICK_SIZE, anchor: 'end' }),
    );
    row.forEach((count, guess) => {
      const x = left + guess * cell;
      const fill = colourOf(truth, guess);
      parts.push(
        `<rect class="cell" data-true="${truth}" data-predicted="${guess}" x="${x}" y="${y}" width="${cell}" ` +
          `height="${cell}" fill="rgb(${fill.join(',')})" stroke="#ddd" stroke-width="1"/>`,
      );
      parts.push(
        svgText(x + cell / 2, y + cell / 2 + countSize / 2 - 1, String(count), {
          size: countSize,
          anchor: 'middle',
          fill: count === 0 ? '#bbb' : dark(fill) ? 'white' : 'black',
        }),
      );
    });
  });
  const bottom = top + side;
  names.forEach((name, guess) => {
    parts.push(
      svgText(left + (guess + 0.5) * cell, bottom + TICK_SIZE + 4, name, { size: TICK_SIZE, anchor: 'middle' }),
    );
  });
  parts.push(
    svgText(left + side / 2, bottom + TICK_SIZE + LABEL_SIZE + 10, 'predicted class', {
      size: LABEL_SIZE,
      anchor: 'middle',
    }),
  );
  const total = counts.flat().reduce((a, b) => a + b, 0);
  const correct = counts.reduce((sum, row, k) => sum + (row[k] as number), 0);
  const largestError = Math.max(0, ...counts.flatMap((row, truth) => row.filter((_, guess) => guess !== truth)));
  const legend = [
    `accuracy ${total > 0 ? ((100 * correct) / total).toFixed(2) : '–'}% of ${total}`,
    'blue: correct, by share of the true class',
    `red: errors, log scale up to ${largestError}`,
  ];
  let y = bottom + TICK_SIZE + LABEL_SIZE + 14;
  for (const line of legend) {
    y += TICK_SIZE + 4;
    parts.push(svgText(PAD, y, line, { size: TICK_SIZE, fill: '#333' }));
  }
  const width = Math.max(
    left + side + PAD,
    PAD + Math.max(...legend.map((line) => textWidth(line, TICK_SIZE))) + PAD,
    options.title ? PAD + textWidth(options.title, TITLE_SIZE) + PAD : 0,
  );
  return svgDocument(width, y + PAD, parts.join(''));
}

/**
 * {@link confusionMatrixSvg} as a PNG, one SVG pixel per pixel.
 * @param counts - (numClasses, numClasses), as `supervised.confusionMatrix` returns
 */
export function confusionMatrixPng(counts: readonly (readonly number[])[], options: ConfusionOptions = {}): Uint8Array {
  return svgToPng(confusionMatrixSvg(counts, options), { scale: 1 });
}

/**
 * The colour of cell (truth, guess): the diagonal in blue by the share of its row, errors in
 * red by log(1 + count) against the largest error's, empty cells white.
 */
function cellColours(counts: readonly (readonly number[])[]): (truth: number, guess: number) => Rgb {
  const largestError = Math.max(0, ...counts.flatMap((row, truth) => row.filter((_, guess) => guess !== truth)));
  const rowTotals = counts.map((row) => row.reduce((a, b) => a + b, 0));
  return (truth, guess) => {
    const count = counts[truth]?.[guess] as number;
    if (count === 0) return [255, 255, 255];
    if (truth === guess) return blues(0.15 + 0.85 * (count / ((rowTotals[truth] as number) || 1)));
    return reds(0.3 + 0.7 * (Math.log1p(count) / Math.log1p(largestError)));
  };
}

/** Whether white text reads better than black on `rgb` (its relative luminance below ½). */
function dark([r, g, b]: Rgb): boolean {
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.5;
}
