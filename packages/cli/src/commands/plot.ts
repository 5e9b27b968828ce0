import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { learningCurvesSvg, svgToPng, weightsGrid } from '@relief/plot';
import { be } from 'relief/backends';
import { DataError } from 'relief/errors';
import { type BoltzmannMachine, loadModel } from 'relief/models';
import type { RunConfig } from '../config.js';
import { openRunConfig } from '../run-setup.js';
import { writeFantasy, writeReconstructions } from './pictures.js';

/** The most hidden units drawn in `weights.png`. */
const MAX_FILTERS = 100;

/** Writes `metrics.svg` and `metrics.png`: a learning curve per metric in the run's `history.json`. */
export async function writeLearningCurves(directory: string, name: string): Promise<string[]> {
  const path = join(directory, 'history.json');
  if (!existsSync(path)) throw new DataError(`${path}: no history to plot (was the run saved by relief train?)`);
  const records = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[];
  if (records.length === 0) return [];
  const svg = await learningCurvesSvg({ name, records });
  writeFileSync(join(directory, 'metrics.svg'), svg);
  writeFileSync(join(directory, 'metrics.png'), svgToPng(svg));
  return ['metrics.svg', 'metrics.png'];
}

/**
 * Writes `weights.png`: the weights into the first hidden units as tiles on one symmetric
 * diverging scale, when the visible units make square images.
 */
export async function writeWeights(model: BoltzmannMachine, directory: string): Promise<string[]> {
  const weights = model.connections[0]?.weights.matrix;
  const numVisible = model.layer(0).numUnits;
  if (!weights || !Number.isInteger(Math.sqrt(numVisible))) return [];
  const numHidden = Math.min(MAX_FILTERS, model.layer(1).numUnits);
  const values = await be.read(be.tidy(() => be.slice(weights, [0, 0], [numVisible, numHidden])));
  writeFileSync(join(directory, 'weights.png'), weightsGrid({ rows: numVisible, columns: numHidden, values }));
  return ['weights.png'];
}

/**
 * `relief plot`: the pictures of a saved run, written into its folder — `metrics.png` (and
 * `.svg`), and for a generative model `weights.png`, `fantasy.png` and `reconstructions.png`.
 */
export async function plotRun(directory: string): Promise<{ directory: string; wrote: string }> {
  const config = await openRunConfig(directory);
  const name = config.task === 'classify' ? 'classifier' : 'model';
  const wrote = await writeLearningCurves(directory, name);
  if (config.task !== 'classify') wrote.push(...(await writeModelPictures(directory, config)));
  return { directory, wrote: wrote.join(', ') };
}

/** The model's pictures; the backend is the one `openRunConfig` started for this run. */
async function writeModelPictures(directory: string, config: RunConfig): Promise<string[]> {
  const { model } = await loadModel(directory);
  const wrote = await writeWeights(model, directory);
  await writeFantasy(model, { n: 64, steps: 100, betaStd: 0, out: join(directory, 'fantasy.png') });
  await writeReconstructions(model, config, { n: 32, out: join(directory, 'reconstructions.png') });
  return [...wrote, 'fantasy.png', 'reconstructions.png'];
}
