import { ConfigError } from 'relief/errors';
import { describe, expect, it } from 'vitest';
import {
  diverging,
  imageGrid,
  learningCurvesSvg,
  lineChartSvg,
  readPng,
  svgToPng,
  symmetricLimit,
  titledRows,
  weightsGrid,
} from '../src/index.js';
import { inkedPixels, rgbAt } from './pixels.js';

describe('image grids', () => {
  it('lays images out in a grid with padding and zoom, black to white', () => {
    const images = { rows: 3, columns: 4, values: Float32Array.from([0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0]) };
    const png = readPng(imageGrid(images, { tilesPerRow: 2, padding: 1, zoom: 1 }));
    expect([png.width, png.height]).toEqual([2 * 3 + 1, 2 * 3 + 1]);
    const grey = (x: number, y: number) => rgbAt(png, x, y)[0];
    expect([grey(1, 1), grey(2, 1), grey(1, 2), grey(2, 2)]).toEqual([0, 255, 255, 0]);
    expect(grey(4, 1)).toBe(255);
    expect(grey(1, 4)).toBe(0);
    expect(rgbAt(png, 0, 0)).toEqual([96, 96, 96]);
  });

  it('draws RGB images from interleaved channels', () => {
    // One 2×1 image: a red pixel, then a half-grey one.
    const images = { rows: 1, columns: 6, values: Float32Array.from([1, 0, 0, 0.5, 0.5, 0.5]) };
    const png = readPng(imageGrid(images, { channels: 3, imageWidth: 2, padding: 0, zoom: 1 }));
    expect([png.width, png.height]).toEqual([2, 1]);
    expect(rgbAt(png, 0, 0)).toEqual([255, 0, 0]);
    expect(rgbAt(png, 1, 0)).toEqual([128, 128, 128]);
    expect(() => imageGrid({ rows: 1, columns: 5, values: new Float32Array(5) }, { channels: 3 })).toThrow(ConfigError);
  });

  it('rejects an image width that does not divide the pixels', () => {
    expect(() => imageGrid({ rows: 1, columns: 5, values: new Float32Array(5) }, { imageWidth: 2 })).toThrow(
      /does not divide/,
    );
  });
});

describe('weight mosaics', () => {
  // Two hidden units over a 2×2 visible layer: W is (4, 2).
  const weights = { rows: 4, columns: 2, values: Float32Array.from([-1, 10, 0, 20, 0, 30, 1, 40]) };

  it("stretches each hidden unit's tile to its own range in grey on request", () => {
    const png = readPng(weightsGrid(weights, { scale: 'tile', tilesPerRow: 2, padding: 0, zoom: 1 }));
    expect(Array.from({ length: 4 }, (_, x) => rgbAt(png, x, 0)[0])).toEqual([0, 128, 0, 85]);
  });

  it('puts every tile on one symmetric diverging scale: negative blue, zero white, positive red', () => {
    const png = readPng(weightsGrid(weights, { tilesPerRow: 2, padding: 0, zoom: 1 }));
    const [negative, zero, strongest] = [rgbAt(png, 0, 0), rgbAt(png, 1, 0), rgbAt(png, 3, 1)];
    expect(negative[2]).toBeGreaterThan(negative[0] as number);
    expect(zero).toEqual([...diverging(0.5)]);
    expect(Math.min(...zero)).toBeGreaterThan(230);
    expect(strongest).toEqual([...diverging(1)]);
    expect(strongest[0]).toBeGreaterThan(strongest[2] as number);
  });

  it('shares one limit across models so equal weights get equal colours', () => {
    const small = { rows: 4, columns: 1, values: Float32Array.from([0.5, 0.5, 0.5, 0.5]) };
    const limit = symmetricLimit(weights, small);
    expect(limit).toBe(40);
    const own = readPng(weightsGrid(small, { padding: 0, zoom: 1 }));
    const shared = readPng(weightsGrid(small, { padding: 0, zoom: 1, limit }));
    expect(rgbAt(own, 0, 0)).toEqual([...diverging(1)]);
    expect(rgbAt(shared, 0, 0)).toEqual([...diverging((0.5 / 40 + 1) / 2)]);
    expect(() => weightsGrid(small, { limit: 0 })).toThrow(ConfigError);
  });
});

describe('charts', () => {
  it('draws a line chart with axes, ticks, a legend and a title as SVG', async () => {
    const svg = await lineChartSvg(
      [
        { name: 'train', y: [3, 2, 1.5] },
        { name: 'validation', x: [1, 2, 3], y: [3.5, Number.NaN, 2] },
      ],
      { title: 'loss', yLabel: 'nats' },
    );
    for (const text of ['train', 'validation', 'loss', 'nats', 'epoch', '>2.0<', '>3.0<']) expect(svg).toContain(text);
    await expect(lineChartSvg([{ name: 'a', x: [1], y: [1, 2] }])).rejects.toThrow(/1 x values but 2 y values/);
  });

  it('draws one learning-curve panel per metric, one colour per run', async () => {
    const records = [1, 2, 3].map((epoch) => ({
      epoch,
      seconds: 1,
      ReconstructionError: 1 / epoch,
      FrechetScore: 90 + epoch,
    }));
    const svg = await learningCurvesSvg([
      { name: 'rbm', records },
      { name: 'centered', records: records.map((r) => ({ ...r, ReconstructionError: r.ReconstructionError / 2 })) },
    ]);
    for (const text of ['ReconstructionError', 'FrechetScore', 'rbm', 'centered']) expect(svg).toContain(text);
    expect(svg).not.toContain('>seconds<');
    await expect(learningCurvesSvg({ name: 'rbm', records }, { metrics: ['Loss'] })).rejects.toThrow(
      /seconds, ReconstructionError, FrechetScore.*unknown Loss/,
    );
    // A run without metrics still has a curve: its epoch times.
    const timed = await learningCurvesSvg({ name: 'rbm', records: [{ epoch: 1, seconds: 2 }] });
    expect(timed).toContain('seconds');
  });

  it('rasterizes SVG to PNG with a font, at the requested scale', () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><text x="4" y="22" font-size="20">Relief</text></svg>';
    const png = readPng(svgToPng(svg, { scale: 2 }));
    expect([png.width, png.height]).toEqual([240, 60]);
    // Glyphs were drawn: without a usable font resvg leaves the picture white.
    expect(inkedPixels(png)).toBeGreaterThan(200);
  });

  it('stacks pictures under their titles, keeping every pixel of each picture', () => {
    const grid = imageGrid({ rows: 1, columns: 4, values: Float32Array.from([0, 1, 1, 0]) }, { zoom: 8, padding: 0 });
    const png = readPng(
      titledRows([
        { title: 'first', png: grid },
        { title: 'second <model>', png: grid },
      ]),
    );
    expect(png.height).toBeGreaterThan(2 * 16);
    const picture = readPng(grid);
    // The first picture sits at (8, 8 + 14 + 4): its top-left cell black, top-right white.
    expect(rgbAt(png, 8 + 4, 26 + 4)).toEqual([0, 0, 0]);
    expect(rgbAt(png, 8 + picture.width - 4, 26 + 4)).toEqual([255, 255, 255]);
    expect(inkedPixels(png)).toBeGreaterThan(2 * 8 * 8 * 2);
  });
});
