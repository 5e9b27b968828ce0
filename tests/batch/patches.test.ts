/** Random image patches: each row is a crop of one image, the draws are seeded, bad sizes are refused. */
import { describe, expect, it } from 'vitest';
import { randomPatches } from '../../batch/index.js';
import { ConfigError, ShapeError } from '../../errors/index.js';

/** Three 4×5 images whose pixel (image k, row i, column j) holds 100k + 10i + j. */
const images = {
  rows: 3,
  columns: 20,
  values: Float32Array.from(
    { length: 60 },
    (_, n) => 100 * Math.floor(n / 20) + 10 * Math.floor((n % 20) / 5) + (n % 5),
  ),
};

describe('randomPatches', () => {
  it('cuts crops of the images, every image and position reachable, the same for the same seed', () => {
    const patches = randomPatches(images, { size: [2, 3], count: 400, imageShape: [4, 5], seed: 3 });
    expect([patches.rows, patches.columns]).toEqual([400, 6]);
    const corners = new Set<number>();
    for (let p = 0; p < patches.rows; p++) {
      const row = Array.from(patches.values.subarray(p * 6, p * 6 + 6));
      const corner = row[0] as number;
      expect(row).toEqual([0, 1, 2, 10, 11, 12].map((offset) => corner + offset));
      corners.add(corner);
    }
    expect(corners.size).toBe(3 * 3 * 3);
    expect(randomPatches(images, { size: [2, 3], count: 400, imageShape: [4, 5], seed: 3 }).values).toEqual(
      patches.values,
    );
  });

  it('refuses patches that do not fit, shapes that do not match and sizes that are not positive integers', () => {
    expect(() => randomPatches(images, { size: 2, count: 1 })).toThrow(/20 columns are not 4×4; pass imageShape/);
    expect(() => randomPatches(images, { size: 5, count: 1, imageShape: [4, 5] })).toThrow(ShapeError);
    expect(() => randomPatches(images, { size: 0, count: 1, imageShape: [4, 5] })).toThrow(ConfigError);
    expect(() => randomPatches(images, { size: 2, count: 1.5, imageShape: [4, 5] })).toThrow(
      /count must be a positive integer, got 1.5/,
    );
    expect(() => randomPatches(images, { size: 2, count: 1, shape: [4, 5] } as never)).toThrow(ConfigError);
  });
});
