import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readIdx } from '@relief/data';
import { type GridOptions, heatMaps, imageGrid, titledRows } from '@relief/plot';
import { be, type Tensor } from 'relief/backends';
import type { HostMatrix, Preprocessing } from 'relief/batch';
import { ConfigError } from 'relief/errors';
import { TRAINING_TENSORS_FILE } from 'relief/fit';
import { type BoltzmannMachine, decodeSafetensors, State } from 'relief/models';
import { SequentialMC } from 'relief/samplers';
import { hasHeldOutRows, loadRunData, type RunConfig } from '../config.js';
import { openRun } from '../run-setup.js';

async function host(t: Tensor): Promise<HostMatrix> {
  const [rows = 0, columns = 0] = be.shape(t);
  return { rows, columns, values: await be.read(t) };
}

/**
 * How a run's rows are drawn: as images `width` pixels wide (tiles in a mosaic), or as a table
 * (a heat map of rows × columns), where tiles would mean nothing.
 */
export type RowLayout =
  | { readonly kind: 'images'; readonly width: number; readonly channels: 1 | 3 }
  | { readonly kind: 'table' };

/**
 * The layout of a run's data: images when they came from an image data set (mnist,
 * fashion-mnist), from an idx file of (images, height, width) or (images, height, width, 3),
 * or when the model's convolution names a one-channel image shape; a table for csv and npy
 * sources, whatever their number of columns.
 */
export function rowLayout(config: RunConfig): RowLayout {
  const { source, path } = config.data;
  if (source === 'mnist' || source === 'fashion-mnist') return { kind: 'images', width: 28, channels: 1 };
  const image = config.model.convolution?.image;
  if (image?.[0] === 1) return { kind: 'images', width: image[2], channels: 1 };
  if (source === 'idx' && path !== undefined) {
    const { dimensions } = readIdx(path);
    if (dimensions.length === 3) return { kind: 'images', width: dimensions[2] as number, channels: 1 };
    if (dimensions.length === 4 && dimensions[3] === 3)
      return { kind: 'images', width: dimensions[2] as number, channels: 3 };
  }
  return { kind: 'table' };
}

/** One part of a picture: rows that belong with the same rows of the other parts (data, its reconstructions, …). */
interface PicturePart {
  /** What the rows are, e.g. 'held-out images' (images add the numbers of the rows shown). */
  readonly title: string;
  /** (rows, columns), the same shape in every part */
  readonly rows: HostMatrix;
}

/** Options of {@link writePicture}. */
interface PictureOptions {
  /** Image tiles per row (default: ⌈√rows⌉ for one part, else 8; several parts' rows are cut into groups of this many, one titled strip each). */
  readonly tilesPerRow?: number;
  /** The heat map's title down the rows, e.g. 'particle'. */
  readonly rowTitle: string;
  /** How image tiles are shaded. */
  readonly range?: GridOptions['range'];
}

/**
 * Writes the parts to `path`: the raw values as JSON for a `.json` path (the parts' rows
 * interleaved: a0, b0, a1, b1, …); else a PNG — images as titled strips of `tilesPerRow`
 * tiles, each part's strip under the one before, so a row's images stand one above the other;
 * a table as heat maps side by side, one per part.
 */
function writePicture(path: string, parts: readonly PicturePart[], layout: RowLayout, options: PictureOptions): void {
  if (path.endsWith('.json')) {
    const all = interleave(parts.map((part) => part.rows));
    const rows = Array.from({ length: all.rows }, (_, r) =>
      Array.from(all.values.subarray(r * all.columns, (r + 1) * all.columns)),
    );
    writeFileSync(path, `${JSON.stringify(rows)}\n`);
  } else if (layout.kind === 'table') {
    const panels = parts.map(({ title, rows }) => ({ title, matrix: rows }));
    writeFileSync(path, heatMaps(panels, { rowTitle: options.rowTitle, columnTitle: 'data column' }));
  } else {
    const grid = {
      imageWidth: layout.width,
      channels: layout.channels,
      ...(options.tilesPerRow !== undefined && { tilesPerRow: options.tilesPerRow }),
      ...(options.range && { range: options.range }),
    };
    const [only] = parts;
    writeFileSync(path, parts.length === 1 && only ? imageGrid(only.rows, grid) : titledStrips(parts, grid));
  }
}

/**
 * The parts' images in strips of `grid.tilesPerRow` (default 8), each titled with its part and
 * the numbers of its rows, the parts' strips of the same rows one under another, as a PNG.
 */
function titledStrips(parts: readonly PicturePart[], grid: GridOptions): Uint8Array {
  const perStrip = grid.tilesPerRow ?? 8;
  const count = parts[0]?.rows.rows ?? 0;
  const strips = [];
  for (let first = 0; first < count; first += perStrip) {
    const last = Math.min(count, first + perStrip);
    for (const { title, rows } of parts) {
      const shown = {
        ...rows,
        rows: last - first,
        values: rows.values.subarray(first * rows.columns, last * rows.columns),
      };
      strips.push({
        title: `${title} ${first + 1}–${last}`,
        png: imageGrid(shown, { ...grid, tilesPerRow: perStrip }),
      });
    }
  }
  return titledRows(strips);
}

/** Interleaves the rows of several same-shaped matrices: a0, b0, c0, a1, b1, c1, … */
function interleave(parts: readonly HostMatrix[]): HostMatrix {
  const [first] = parts;
  if (!first) throw new ConfigError('interleave: nothing to show');
  const values = new Float32Array(first.rows * parts.length * first.columns);
  for (let r = 0; r < first.rows; r++) {
    parts.forEach((part, k) => {
      values.set(
        part.values.subarray(r * first.columns, (r + 1) * first.columns),
        (r * parts.length + k) * first.columns,
      );
    });
  }
  return { rows: first.rows * parts.length, columns: first.columns, values };
}

/** Options of {@link writeFantasy}. */
export interface FantasyOptions {
  /** Particles. */
  readonly n: number;
  /** Gibbs sweeps from random states. */
  readonly steps: number;
  /** Spread of the driven inverse temperature (0: β = 1). */
  readonly betaStd: number;
  /** Output file: PNG, or `.json` for the raw values. */
  readonly out: string;
  /** Chains to continue (at β = 1) instead of random states, which it takes over: e.g. a run's checkpointed chains. */
  readonly start?: State;
}

/**
 * Writes fantasy particles of `model`: `n` chains after `steps` Gibbs sweeps, from random
 * states or from `options.start` (its first `n` chains); a grid of images, or a heat map of
 * particles × columns for a table (`layout`).
 */
export async function writeFantasy(
  model: BoltzmannMachine,
  options: FantasyOptions,
  layout: RowLayout,
  preprocessing?: Preprocessing,
) {
  const state = options.start
    ? continueChains(model, options.start, options.steps)
    : SequentialMC.generateFantasyState(model, options.n, options.steps, { betaStd: options.betaStd });
  const picture = model.layer(0).picture(model.fieldOn(0, state.units));
  const all = await host(picture.values);
  const rows = Math.min(options.n, all.rows);
  const shown = { rows, columns: all.columns, values: all.values.subarray(0, rows * all.columns) };
  const particles = {
    title: `${rows} fantasy particles after ${options.steps} Gibbs sweeps`,
    rows: await asImages(shown, preprocessing),
  };
  writePicture(options.out, [particles], layout, {
    rowTitle: 'particle',
    range: preprocessing ? 'tile' : picture.scale,
  });
  return { out: options.out, particles: rows };
}

/** `start` (taken over) after `steps` Gibbs sweeps at β = 1. */
function continueChains(model: BoltzmannMachine, start: State, steps: number): State {
  const sampler = new SequentialMC(model);
  sampler.setState(start);
  sampler.updateState(steps);
  return sampler.release();
}

/**
 * The persistent chains of a run's last training checkpoint: a State the caller owns, one
 * (chains, numUnits) tensor per layer of `model`; undefined when the run has no checkpoint or
 * its chains are of another model (a run stopped while pretraining an RBM of it).
 */
export async function checkpointChains(directory: string, model: BoltzmannMachine): Promise<State | undefined> {
  const path = join(directory, TRAINING_TENSORS_FILE);
  const bytes = await readFile(path).catch(() => undefined);
  if (!bytes) return undefined;
  const { tensors } = decodeSafetensors(bytes, path);
  const chains = model.layers.flatMap((layer, i) => {
    const found = tensors.get(`chains/${i}`);
    return found?.shape.length === 2 && found.shape[1] === layer.numUnits ? [found] : [];
  });
  if (chains.length !== model.numLayers || tensors.has(`chains/${model.numLayers}`)) return undefined;
  return new State(chains.map(({ data, shape }) => be.tensor(data, [...shape])));
}

/** Rows the model sees mapped back to images by the inverse of its `preprocessing`, when it has one. */
async function asImages(rows: HostMatrix, preprocessing: Preprocessing | undefined): Promise<HostMatrix> {
  return preprocessing ? preprocessing.inverse(rows) : rows;
}

/** `relief sample`: fantasy particles from random states after `steps` Gibbs sweeps. */
export async function sample(directory: string, options: FantasyOptions) {
  const { model, config, preprocessing } = await openRun(directory);
  return writeFantasy(model, options, rowLayout(config), preprocessing);
}

/** `n` rows the run never trained on (its training rows where it held none out), as the model sees them. */
async function testImages(config: RunConfig, n: number, preprocessing?: Preprocessing) {
  const split = hasHeldOutRows(config) ? 'test' : 'train';
  const { data } = await loadRunData(config, split, { limit: n, ...(preprocessing && { preprocessing }) });
  return { visible: be.tensor(data.values, [data.rows, data.columns]), data };
}

/**
 * Writes `n` test rows of the run's data (images or a table, by its source) and their mean-field
 * reconstructions by `model` (which sees them after its saved `preprocessing`, when it has
 * one, and whose reconstructions are mapped back by its inverse): images as titled strips, the
 * held-out images above their reconstructions; a table as two heat maps side by side. The
 * error is the model's.
 */
export async function writeReconstructions(
  model: BoltzmannMachine,
  config: RunConfig,
  options: { readonly n: number; readonly out: string },
  preprocessing?: Preprocessing,
) {
  const { visible, data } = await testImages(config, options.n, preprocessing);
  const reconstructions = await host(model.computeReconstructions(visible, { method: 'mean' }).getVisible());
  const layout = rowLayout(config);
  const what = `${hasHeldOutRows(config) ? 'held-out' : 'training'} ${layout.kind === 'images' ? 'images' : 'rows'}`;
  const parts = [
    { title: what, rows: await asImages(data, preprocessing) },
    { title: 'their mean-field reconstructions', rows: await asImages(reconstructions, preprocessing) },
  ];
  writePicture(options.out, parts, layout, { tilesPerRow: 8, rowTitle: what.replace(/s$/, '') });
  const error =
    data.values.reduce((acc, v, i) => acc + (v - (reconstructions.values[i] as number)) ** 2, 0) / data.values.length;
  return { out: options.out, images: data.rows, reconstructionMSE: error };
}

/** `relief reconstruct`: test images next to their reconstructions. */
export async function reconstruct(directory: string, options: { n: number; out: string }) {
  const { model, config, preprocessing } = await openRun(directory);
  return writeReconstructions(model, config, options, preprocessing);
}

/**
 * `relief denoise`: binarized test images with a fraction `flip` of their pixels flipped,
 * then cleaned by mean-field reconstruction; reports the pixel error before and after.
 */
export async function denoise(directory: string, options: { n: number; flip: number; steps: number; out: string }) {
  if (!(options.flip >= 0 && options.flip <= 1))
    throw new ConfigError(`--flip: expected a fraction in [0, 1], got ${options.flip}`);
  const { model, config, preprocessing } = await openRun(directory);
  const { visible } = await testImages(config, options.n, preprocessing);
  const clean = be.tidy(() => be.greater(visible, 0.5));
  const noisy = be.tidy(() => {
    const flips = be.bernoulli(be.fill(be.shape(clean), options.flip));
    return be.add(be.mul(clean, be.sub(1, flips)), be.mul(be.sub(1, clean), flips));
  });
  let state = model.stateFromVisible(noisy);
  for (let step = 0; step < options.steps; step++) {
    const reconstructed = model.computeReconstructions(state.getVisible(), { method: 'mean' });
    state = reconstructed;
  }
  const denoised = be.tidy(() => be.greater(state.getVisible(), 0.5));
  const errorRate = async (t: Tensor) => be.readScalar(be.tidy(() => be.mean(be.abs(be.sub(t, clean)))));
  const [before, after] = [await errorRate(noisy), await errorRate(denoised)];
  const parts = [
    { title: 'binarized images', rows: await host(clean) },
    { title: `${formatPercent(options.flip)} of values flipped`, rows: await host(noisy) },
    {
      title: `denoised (${options.steps} mean-field step${options.steps === 1 ? '' : 's'})`,
      rows: await host(state.getVisible()),
    },
  ];
  writePicture(options.out, parts, rowLayout(config), { tilesPerRow: 9, rowTitle: 'row' });
  return {
    out: options.out,
    images: options.n,
    flipped: options.flip,
    pixelErrorBefore: before,
    pixelErrorAfter: after,
  };
}

/** A fraction as a percentage, e.g. 0.1 → '10%'. */
function formatPercent(fraction: number): string {
  return `${Number((100 * fraction).toPrecision(3))}%`;
}
