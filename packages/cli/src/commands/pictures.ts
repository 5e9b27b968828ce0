import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type GridOptions, imageGrid } from '@relief/plot';
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

/** Writes a grid of images (one per row of `images`) as PNG, or the raw values as JSON for a `.json` path. */
function writeImages(path: string, images: HostMatrix, grid: GridOptions = {}): void {
  if (path.endsWith('.json')) {
    const rows = Array.from({ length: images.rows }, (_, r) =>
      Array.from(images.values.subarray(r * images.columns, (r + 1) * images.columns)),
    );
    writeFileSync(path, `${JSON.stringify(rows)}\n`);
  } else {
    writeFileSync(path, imageGrid(images, grid));
  }
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
  /** Chains to continue (at β = 1) instead of random states, which it takes over: e.g. {@link checkpointChains}. */
  readonly start?: State;
}

/**
 * Writes a grid of fantasy particles of `model`: `n` chains after `steps` Gibbs sweeps, from
 * random states or from `options.start` (its first `n` chains).
 */
export async function writeFantasy(model: BoltzmannMachine, options: FantasyOptions, preprocessing?: Preprocessing) {
  const state = options.start
    ? continueChains(model, options.start, options.steps)
    : SequentialMC.generateFantasyState(model, options.n, options.steps, { betaStd: options.betaStd });
  const picture = model.layer(0).picture(model.fieldOn(0, state.units));
  const all = await host(picture.values);
  const rows = Math.min(options.n, all.rows);
  const shown = { rows, columns: all.columns, values: all.values.subarray(0, rows * all.columns) };
  writeImages(options.out, await asImages(shown, preprocessing), { range: preprocessing ? 'tile' : picture.scale });
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
  const { model, preprocessing } = await openRun(directory);
  return writeFantasy(model, options, preprocessing);
}

/** `n` rows the run never trained on (its training rows where it held none out), as the model sees them. */
async function testImages(config: RunConfig, n: number, preprocessing?: Preprocessing) {
  const split = hasHeldOutRows(config) ? 'test' : 'train';
  const { data } = await loadRunData(config, split, { limit: n, ...(preprocessing && { preprocessing }) });
  return { visible: be.tensor(data.values, [data.rows, data.columns]), data };
}

/**
 * Writes `n` test images of the run's data set next to their mean-field reconstructions by
 * `model` (which sees them after its saved `preprocessing`, when it has one, and whose
 * reconstructions are mapped back to images by its inverse); the error is the model's.
 */
export async function writeReconstructions(
  model: BoltzmannMachine,
  config: RunConfig,
  options: { readonly n: number; readonly out: string },
  preprocessing?: Preprocessing,
) {
  const { visible, data } = await testImages(config, options.n, preprocessing);
  const reconstructions = await host(model.computeReconstructions(visible, { method: 'mean' }).getVisible());
  const images = [await asImages(data, preprocessing), await asImages(reconstructions, preprocessing)];
  writeImages(options.out, interleave(images), { tilesPerRow: 8 });
  const error =
    data.values.reduce((acc, v, i) => acc + (v - (reconstructions.values[i] as number)) ** 2, 0) / data.values.length;
  return { out: options.out, images: data.rows, meanSquaredError: error };
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
  writeImages(options.out, interleave([await host(clean), await host(noisy), await host(state.getVisible())]), {
    tilesPerRow: 9,
  });
  return {
    out: options.out,
    images: options.n,
    flipped: options.flip,
    pixelErrorBefore: before,
    pixelErrorAfter: after,
  };
}
