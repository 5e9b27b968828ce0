import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { learningCurvesSvg, svgToPng, weightsGrid } from '@relief/plot';
import { be } from 'relief/backends';
import type { HostMatrix, Preprocessing } from 'relief/batch';
import { DataError } from 'relief/errors';
import { type BoltzmannMachine, loadModel } from 'relief/models';
import type { RunConfig } from '../config.js';
import { openRunConfig } from '../run-setup.js';
import { checkpointChains, writeFantasy, writeReconstructions } from './pictures.js';

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
export async function writeWeights(
  model: BoltzmannMachine,
  directory: string,
  preprocessing?: Preprocessing,
): Promise<string[]> {
  const coupling = model.connections[0]?.weights;
  if (!coupling) return [];
  // One column per hidden unit (dense) or filter (convolutional: its patch is the image).
  const first = be.tidy(() => {
    const weights = coupling.featureWeights();
    const [rows = 0, features = 0] = be.shape(weights);
    return be.slice(weights, [0, 0], [rows, Math.min(MAX_FILTERS, features)]);
  });
  const [numVisible = 0, numHidden = 0] = be.shape(first);
  const columns = await be.read(first);
  be.dispose(first);
  const filters = new Float32Array(columns.length);
  columns.forEach((v, i) => {
    filters[(i % numHidden) * numVisible + Math.floor(i / numHidden)] = v;
  });
  const imagePreprocessing = numVisible === model.layer(0).numUnits ? preprocessing : undefined;
  const images = await imageFilters({ rows: numHidden, columns: numVisible, values: filters }, imagePreprocessing);
  if (!Number.isInteger(Math.sqrt(images.columns))) return [];
  const values = new Float32Array(images.values.length);
  images.values.forEach((v, i) => {
    values[(i % images.columns) * numHidden + Math.floor(i / images.columns)] = v;
  });
  writeFileSync(join(directory, 'weights.png'), weightsGrid({ rows: images.columns, columns: numHidden, values }));
  return ['weights.png'];
}

/**
 * Filters (one per row) as images: through the linear part of the inverse preprocessing,
 * inverse(w) − inverse(0), when the model has preprocessing.
 */
async function imageFilters(filters: HostMatrix, preprocessing: Preprocessing | undefined): Promise<HostMatrix> {
  if (!preprocessing) return filters;
  const mapped = await preprocessing.inverse(filters);
  const origin = await preprocessing.inverse({
    rows: 1,
    columns: filters.columns,
    values: new Float32Array(filters.columns),
  });
  return { ...mapped, values: mapped.values.map((v, i) => v - (origin.values[i % mapped.columns] as number)) };
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
  const { model, preprocessing } = await loadModel(directory);
  const wrote = await writeWeights(model, directory, preprocessing);
  // The run's persistent chains, where its checkpoint holds them: chains from noise can all fall into one mode of a deep model.
  const start = await checkpointChains(directory, model);
  const fantasy = { n: 64, steps: 100, betaStd: 0, out: join(directory, 'fantasy.png'), ...(start && { start }) };
  await writeFantasy(model, fantasy, preprocessing);
  await writeReconstructions(model, config, { n: 32, out: join(directory, 'reconstructions.png') }, preprocessing);
  return [...wrote, 'fantasy.png', 'reconstructions.png'];
}
