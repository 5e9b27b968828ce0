import { ConfigError } from 'relief/errors';
import { describe, expect, it } from 'vitest';
import { confusionMatrixPng, confusionMatrixSvg, readPng } from '../src/index.js';
import { rgbAt, svgAttributes } from './pixels.js';

// Three classes, nearly all right: one error in a hundred must still show.
const counts = [
  [980, 1, 0],
  [0, 990, 12],
  [0, 0, 1000],
];

/** The top-left corner of cell (truth, guess) and its fill, from the SVG. */
function cell(svg: string, truth: number, guess: number) {
  const rect = svgAttributes(
    svg,
    new RegExp(`<rect class="cell" data-true="${truth}" data-predicted="${guess}"[^>]*>`),
  );
  const fill = (rect.fill?.match(/\d+/g) ?? []).map(Number);
  return { x: Number(rect.x), y: Number(rect.y), fill };
}

describe('confusion matrices', () => {
  it('titles both axes, names the classes and writes the count in every cell', () => {
    const svg = confusionMatrixSvg(counts, { classNames: ['cat', 'dog', 'mouse'] });
    for (const text of ['>true class<', '>predicted class<', '>cat<', '>dog<', '>mouse<']) expect(svg).toContain(text);
    for (const count of counts.flat()) expect(svg).toContain(`>${count}<`);
    // Nine cells, nine counts (zeros included).
    expect(svg.match(/<rect class="cell"/g)).toHaveLength(9);
    expect(svg.match(/>0</g)).toHaveLength(4);
    expect(svg).toContain('accuracy 99.56% of 2983');
  });

  it('colours errors on their own scale: a single error is plainly red, the diagonal blue, empty cells white', () => {
    const svg = confusionMatrixSvg(counts);
    const [correct, oneError, twelveErrors, empty] = [
      cell(svg, 0, 0),
      cell(svg, 0, 1),
      cell(svg, 1, 2),
      cell(svg, 1, 0),
    ];
    expect(correct.fill[2]).toBeGreaterThan((correct.fill[0] as number) + 60);
    for (const error of [oneError, twelveErrors]) {
      expect(error.fill[0]).toBeGreaterThan(2 * (error.fill[2] as number));
      expect(error.fill[0]).toBeGreaterThan((error.fill[1] as number) + 60);
      expect(Math.min(...error.fill)).toBeLessThan(200);
    }
    // More errors, deeper red.
    expect(twelveErrors.fill[1]).toBeLessThan(oneError.fill[1] as number);
    expect(empty.fill).toEqual([255, 255, 255]);

    // The PNG shows what the SVG says, one SVG pixel per pixel.
    const png = readPng(confusionMatrixPng(counts));
    expect(svg).toContain(`width="${png.width}" height="${png.height}"`);
    expect(rgbAt(png, oneError.x + 3, oneError.y + 3)).toEqual(oneError.fill);
    expect(rgbAt(png, correct.x + 3, correct.y + 3)).toEqual(correct.fill);
  });

  it('rejects a matrix that is not square and names that do not match it', () => {
    expect(() => confusionMatrixPng([[1, 2]])).toThrow(/square matrix/);
    expect(() => confusionMatrixSvg(counts, { classNames: ['a'] })).toThrow(ConfigError);
    expect(() => confusionMatrixSvg(counts, { cel: 3 } as never)).toThrow(/cell/);
  });
});
