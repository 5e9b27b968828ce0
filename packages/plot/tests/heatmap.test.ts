import { ConfigError } from 'relief/errors';
import { describe, expect, it } from 'vitest';
import { diverging, heatMaps, heatMapsSvg, readPng, sequential } from '../src/index.js';
import { rgbAt, svgAttributes } from './pixels.js';

// Two rows of three columns, and the same rows "reconstructed".
const data = { rows: 2, columns: 3, values: Float32Array.from([-2, 0, 2, 1, 1, -1]) };
const reconstructed = { rows: 2, columns: 3, values: Float32Array.from([-1, 0, 1, 1, 1, 0]) };

describe('heat maps', () => {
  it('draws panels side by side under their titles with axis titles, index ticks and a colour bar', () => {
    const panels = [
      { title: 'held-out rows', matrix: data },
      { title: 'reconstructions', matrix: reconstructed },
    ];
    const svg = heatMapsSvg(panels, {
      rowTitle: 'row of the data',
      columnTitle: 'data column',
      cellWidth: 10,
      cellHeight: 6,
    });
    for (const text of ['>held-out rows<', '>reconstructions<', '>row of the data<', '>data column<', '>0<', '>2<']) {
      expect(svg).toContain(text);
    }
    // Two panels of 3 × 2 cells and the colour bar, labelled −2 … 0 … 2 (one scale for both).
    const images = [...svg.matchAll(/<image [^>]*>/g)];
    expect(images).toHaveLength(3);
    const first = svgAttributes(svg, /<image [^>]*>/);
    expect([first.width, first.height]).toEqual(['30', '12']);
    expect(svg).toContain('>-2<');

    const png = readPng(heatMaps(panels, { cellWidth: 10, cellHeight: 6 }));
    const [x, y] = [Number(first.x), Number(first.y)];
    // Row 0: −2 blue, 0 white, 2 red, on the symmetric scale of the largest |value|.
    expect(rgbAt(png, x + 5, y + 3)).toEqual([...diverging(0)]);
    expect(rgbAt(png, x + 15, y + 3)).toEqual([...diverging(0.5)]);
    expect(rgbAt(png, x + 25, y + 3)).toEqual([...diverging(1)]);
  });

  it('puts unsigned values on a sequential scale from the smallest to the largest', () => {
    const counts = { rows: 1, columns: 2, values: Float32Array.from([3, 5]) };
    const svg = heatMapsSvg([{ title: 'counts', matrix: counts }], { cellWidth: 4, cellHeight: 4 });
    const { x, y } = svgAttributes(svg, /<image [^>]*>/);
    const png = readPng(heatMaps([{ title: 'counts', matrix: counts }], { cellWidth: 4, cellHeight: 4 }));
    expect(rgbAt(png, Number(x) + 1, Number(y) + 1)).toEqual([...sequential(0)]);
    expect(rgbAt(png, Number(x) + 5, Number(y) + 1)).toEqual([...sequential(1)]);
    expect(svg).toContain('>3<');
    expect(svg).toContain('>5<');
  });

  it('rejects panels of different row counts and bad cell sizes', () => {
    const short = { rows: 1, columns: 3, values: new Float32Array(3) };
    expect(() =>
      heatMapsSvg([
        { title: 'a', matrix: data },
        { title: 'b', matrix: short },
      ]),
    ).toThrow(/every panel needs 2 rows like 'a', 'b' has 1/);
    expect(() => heatMapsSvg([{ title: 'a', matrix: data }], { cellWidth: 0 })).toThrow(ConfigError);
    expect(() => heatMapsSvg([], {})).toThrow(ConfigError);
  });
});
