import { describe, expect, it } from 'vitest';
import { imageGrid, readPng, weightsGrid } from '../src/index.js';

describe('plot', () => {
  it('lays images out in a grid with padding and zoom, black to white', () => {
    const images = { rows: 3, columns: 4, values: Float32Array.from([0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0]) };
    const png = readPng(imageGrid(images, { tilesPerRow: 2, padding: 1, zoom: 1 }));
    expect([png.width, png.height]).toEqual([2 * 3 + 1, 2 * 3 + 1]);
    const pixel = (x: number, y: number) => png.data[(y * png.width + x) * 4];
    expect([pixel(1, 1), pixel(2, 1), pixel(1, 2), pixel(2, 2)]).toEqual([0, 255, 255, 0]);
    expect(pixel(4, 1)).toBe(255);
    expect(pixel(1, 4)).toBe(0);
    expect(pixel(0, 0)).toBe(96);
  });

  it("draws each hidden unit's weights as a tile stretched to its own range", () => {
    // Two hidden units over a 2×2 visible layer: W is (4, 2).
    const weights = { rows: 4, columns: 2, values: Float32Array.from([-1, 10, 0, 20, 0, 30, 1, 40]) };
    const png = readPng(weightsGrid(weights, { tilesPerRow: 2, padding: 0, zoom: 1 }));
    const row = Array.from({ length: 4 }, (_, x) => png.data[x * 4]);
    expect(row).toEqual([0, 128, 0, 85]);
    expect(() => imageGrid({ rows: 1, columns: 5, values: new Float32Array(5) }, { imageWidth: 2 })).toThrow(
      /does not divide/,
    );
  });
});
