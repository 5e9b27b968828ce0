/** What a run's pictures draw: image tiles only for image data, heat maps for tables, and captions that say what is shown. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIdx } from '@relief/data';
import { heatMaps, readPng, sequential } from '@relief/plot';
import { be, use } from 'relief/backends';
import { BernoulliLayer } from 'relief/layers';
import { BoltzmannMachine, initializeModel } from 'relief/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { rowLayout, writeReconstructions } from '../src/commands/pictures.js';
import { writeWeights } from '../src/commands/plot.js';
import { loadRunData, parseRunConfig } from '../src/config.js';

/** A run config for an RBM of `visible`–`hidden` Bernoulli units on `data`. */
function config(data: Record<string, unknown>, visible: number, hidden: number, model: Record<string, unknown> = {}) {
  return parseRunConfig({
    seed: 3,
    data,
    model: {
      layers: [
        { type: 'bernoulli', units: visible },
        { type: 'bernoulli', units: hidden },
      ],
      ...model,
    },
  });
}

/** An RBM with random weights. */
async function randomRbm(visible: number, hidden: number): Promise<BoltzmannMachine> {
  const model = new BoltzmannMachine([new BernoulliLayer(visible), new BernoulliLayer(hidden)]);
  await initializeModel(
    model,
    be.tensor(
      Float32Array.from({ length: 4 * visible }, (_, i) => i % 2),
      [4, visible],
    ),
    'glorotNormal',
  );
  return model;
}

/** Pixels darker than light grey in rows [top, bottom) of a decoded PNG: text drawn there. */
function inkBetween(png: { width: number; data: Uint8Array }, top: number, bottom: number): number {
  let count = 0;
  for (let i = top * png.width * 4; i < bottom * png.width * 4; i += 4) if ((png.data[i] as number) < 128) count++;
  return count;
}

/** How many pixels of a decoded PNG have exactly this colour. */
function pixelsOf(png: { data: Uint8Array }, [r, g, b]: readonly number[]): number {
  let count = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (png.data[i] === r && png.data[i + 1] === g && png.data[i + 2] === b) count++;
  }
  return count;
}

describe("a run's pictures", () => {
  let directory = '';
  /** 40 rows: in an idx file as 8×8 images (a bar across row i mod 8), and the same values as a 64-column csv. */
  const images = Float32Array.from({ length: 40 * 64 }, (_, i) =>
    Math.floor((i % 64) / 8) === Math.floor(i / 64) % 8 ? 1 : 0,
  );
  beforeAll(async () => {
    await use('cpu');
    directory = mkdtempSync(join(tmpdir(), 'relief-pictures-'));
    writeFileSync(
      join(directory, 'images.idx'),
      encodeIdx(
        [40, 8, 8],
        Array.from(images, (v) => 255 * v),
      ),
    );
    writeFileSync(
      join(directory, 'vectors.idx'),
      encodeIdx(
        [40, 64],
        Array.from(images, (v) => 255 * v),
      ),
    );
    const lines = Array.from({ length: 40 }, (_, r) => Array.from(images.subarray(r * 64, (r + 1) * 64)).join(','));
    writeFileSync(join(directory, 'table.csv'), `${lines.join('\n')}\n`);
  });

  it('draws images only for image data sets, idx images and one-channel convolutions; csv, npy and idx vectors are tables', () => {
    const file = (name: string) => join(directory, name);
    expect(rowLayout(config({ source: 'mnist' }, 784, 16))).toEqual({ kind: 'images', width: 28, channels: 1 });
    expect(rowLayout(config({ source: 'fashion-mnist' }, 784, 16))).toEqual({ kind: 'images', width: 28, channels: 1 });
    expect(rowLayout(config({ source: 'idx', path: file('images.idx') }, 64, 16))).toEqual({
      kind: 'images',
      width: 8,
      channels: 1,
    });
    // 64 columns make a square, yet vectors in an idx file, a csv or an npy file are no images.
    expect(rowLayout(config({ source: 'idx', path: file('vectors.idx') }, 64, 16))).toEqual({ kind: 'table' });
    expect(rowLayout(config({ source: 'csv', path: file('table.csv') }, 64, 16))).toEqual({ kind: 'table' });
    expect(rowLayout(config({ source: 'npy', path: file('table.npy') }, 16, 4))).toEqual({ kind: 'table' });
    const convolution = { convolution: { image: [1, 12, 10], filters: 2, kernel: 3 } };
    expect(rowLayout(config({ source: 'csv', path: file('table.csv') }, 120, 2 * 10 * 8, convolution))).toEqual({
      kind: 'images',
      width: 10,
      channels: 1,
    });
  });

  it("draws a table's weights as a heat map of every hidden unit's weights from each data column", async () => {
    const model = await randomRbm(16, 8);
    const out = mkdtempSync(join(directory, 'weights-'));
    const [picture] = await writeWeights(model, out, { kind: 'table' });
    expect(picture).toEqual({ file: 'weights.png', caption: 'weights of all 8 hidden units from each data column' });
    // W is (16, 8): the heat map's rows are its columns, the hidden units.
    const weights = await be.read(model.denseWeights(0, 'test').matrix);
    const transposed = Float32Array.from(
      { length: 128 },
      (_, i) => weights[(i % 16) * 8 + Math.floor(i / 16)] as number,
    );
    const expected = heatMaps(
      [{ title: picture?.caption ?? '', matrix: { rows: 8, columns: 16, values: transposed } }],
      {
        rowTitle: 'hidden unit',
        columnTitle: 'data column',
      },
    );
    expect(new Uint8Array(readFileSync(join(out, 'weights.png')))).toEqual(expected);
  });

  it("captions an image run's weight mosaic with how many of the hidden units' filters it shows", async () => {
    const out = mkdtempSync(join(directory, 'mosaic-'));
    const [picture] = await writeWeights(await randomRbm(64, 200), out, { kind: 'images', width: 8, channels: 1 });
    expect(picture?.caption).toMatch(/^the first 100 of 200 hidden units' filters \(blue < 0 < red, \|w\| ≤ [\d.]+\)$/);
    const png = readPng(new Uint8Array(readFileSync(join(out, 'weights.png'))));
    // 10 × 10 tiles of 8 px (zoom 2, padding 1) under a 14 px title: the title's band holds text.
    const mosaic = 2 * (10 * 9 + 1);
    expect(png.height).toBe(8 + 14 + 4 + mosaic + 8);
    expect(png.width).toBeGreaterThanOrEqual(mosaic + 16);
    expect(inkBetween(png, 8, 8 + 14 + 2)).toBeGreaterThan(200);
    const [few] = await writeWeights(await randomRbm(64, 20), out, { kind: 'images', width: 8, channels: 1 });
    expect(few?.caption).toMatch(/^all 20 hidden units' filters/);
  });

  it('labels held-out images and their reconstructions in titled strips, one above the other', async () => {
    const run = config({ source: 'idx', path: join(directory, 'images.idx'), trainFraction: 0.5 }, 64, 16);
    const out = join(mkdtempSync(join(directory, 'reconstructions-')), 'reconstructions.png');
    const result = await writeReconstructions(await randomRbm(64, 16), run, { n: 16, out });
    expect(result.images).toBe(16);
    const png = readPng(new Uint8Array(readFileSync(out)));
    // Four strips (images 1–8, their reconstructions, images 9–16, theirs), each a title and 8 tiles of 8 px.
    const strip = 14 + 4 + 2 * (8 + 2) + 8;
    expect(png.height).toBe(8 + 4 * strip);
    for (let k = 0; k < 4; k++)
      expect(inkBetween(png, 8 + k * strip, 8 + k * strip + 16), `title ${k}`).toBeGreaterThan(100);
    // Every strip's tiles sit on the mosaics' grey padding.
    expect(pixelsOf(png, [96, 96, 96])).toBeGreaterThan(4 * (8 * 9 + 1) * 2);
  });

  it("draws a table's held-out rows and their reconstructions as two heat maps on one scale", async () => {
    const run = config({ source: 'csv', path: join(directory, 'table.csv'), trainFraction: 0.5 }, 64, 16);
    const out = join(mkdtempSync(join(directory, 'table-')), 'reconstructions.png');
    const model = await randomRbm(64, 16);
    await writeReconstructions(model, run, { n: 8, out });
    const { data } = await loadRunData(run, 'test', { limit: 8 });
    const visible = be.tensor(data.values, [8, 64]);
    const reconstructed = model.computeReconstructions(visible, { method: 'mean' }).getVisible();
    const panels = [
      { title: 'held-out rows', matrix: data },
      {
        title: 'their mean-field reconstructions',
        matrix: { rows: 8, columns: 64, values: await be.read(reconstructed) },
      },
    ];
    const expected = heatMaps(panels, { rowTitle: 'held-out row', columnTitle: 'data column' });
    expect(new Uint8Array(readFileSync(out))).toEqual(expected);
    // The data's 0s and 1s are the two ends of the shared viridis scale.
    const png = readPng(expected);
    expect(pixelsOf(png, sequential(0))).toBeGreaterThan(100);
    expect(pixelsOf(png, sequential(1))).toBeGreaterThan(100);
  });
});
