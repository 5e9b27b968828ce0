import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { heatMaps, learningCurvesSvg, svgToPng, symmetricLimit, titledRows, weightsGrid } from '@relief/plot';
import { be } from 'relief/backends';
import type { HostMatrix, Preprocessing } from 'relief/batch';
import { DataError } from 'relief/errors';
import { type BoltzmannMachine, loadModel } from 'relief/models';
import { hasHeldOutRows, type RunConfig } from '../config.js';
import { openRunConfig } from '../run-setup.js';
import { checkpointChains, type RowLayout, rowLayout, writeFantasy, writeReconstructions } from './pictures.js';

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

/** A picture written into a run's folder and what it shows. */
export interface WrittenPicture {
  /** E.g. `weights.png`. */
  readonly file: string;
  /** E.g. "the first 100 of 200 hidden units' filters …", as the picture's title says. */
  readonly caption: string;
}

/**
 * Writes `weights.png`: the weights into the first 100 hidden units (or
 * convolution filters), captioned with how many of how many it shows. Images (`layout`) get a
 * mosaic of one tile per unit on one symmetric diverging scale; a table gets a heat map of
 * hidden units × data columns.
 */
export async function writeWeights(
  model: BoltzmannMachine,
  directory: string,
  layout: RowLayout,
  preprocessing?: Preprocessing,
): Promise<WrittenPicture[]> {
  const coupling = model.connections[0]?.weights;
  if (!coupling) return [];
  // One column per hidden unit (dense) or filter (convolutional: its patch is the image).
  let total = 0;
  const first = be.tidy(() => {
    const weights = coupling.featureWeights();
    const [rows = 0, features = 0] = be.shape(weights);
    total = features;
    return be.slice(weights, [0, 0], [rows, Math.min(MAX_FILTERS, features)]);
  });
  const [numVisible = 0, numHidden = 0] = be.shape(first);
  const columns = await be.read(first);
  be.dispose(first);
  const filters = new Float32Array(columns.length);
  columns.forEach((v, i) => {
    filters[(i % numHidden) * numVisible + Math.floor(i / numHidden)] = v;
  });
  const dense = numVisible === model.layer(0).numUnits;
  const images = await imageFilters(
    { rows: numHidden, columns: numVisible, values: filters },
    dense ? preprocessing : undefined,
  );
  const units = dense ? 'hidden units' : 'convolution filters';
  const shown = numHidden < total ? `the first ${numHidden} of ${total} ${units}` : `all ${total} ${units}`;
  const path = join(directory, 'weights.png');
  const width = filterWidth(layout, images.columns, dense ? undefined : model);
  if (width === undefined) {
    const caption = `weights of ${shown} from each data column`;
    writeFileSync(
      path,
      heatMaps([{ title: caption, matrix: images }], { rowTitle: 'hidden unit', columnTitle: 'data column' }),
    );
    return [{ file: 'weights.png', caption }];
  }
  const values = new Float32Array(images.values.length);
  images.values.forEach((v, i) => {
    values[(i % images.columns) * numHidden + Math.floor(i / images.columns)] = v;
  });
  const mosaic = { rows: images.columns, columns: numHidden, values };
  const limit = symmetricLimit(mosaic);
  const caption = `${dense ? `${shown}' filters` : shown} (blue < 0 < red, |w| ≤ ${Number(limit.toPrecision(2))})`;
  writeFileSync(path, titledRows([{ title: caption, png: weightsGrid(mosaic, { limit, imageWidth: width }) }]));
  return [{ file: 'weights.png', caption }];
}

/**
 * The width of a filter's image: the data's image width for dense weights on images, a
 * one-channel convolution's kernel width; undefined where filters are no images (a table).
 */
function filterWidth(layout: RowLayout, pixels: number, convolutional?: BoltzmannMachine): number | undefined {
  if (layout.kind !== 'images' || layout.channels !== 1) return undefined;
  const kernel = convolutional?.connections[0]?.weights.toConfig();
  const width = kernel && 'kernel' in kernel ? (kernel.kernel as readonly number[])[1] : layout.width;
  return width !== undefined && pixels % width === 0 ? width : undefined;
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
 * `.svg`), and for a generative model `weights.png`, `fantasy.png` and `reconstructions.png`:
 * image tiles where the run's data are images, heat maps of rows × columns where they are a
 * table. @returns the files written, and what a picture shows by its
 * file name where its title says more (e.g. `weights.png`: how many filters of how many)
 */
export async function plotRun(
  directory: string,
): Promise<{ directory: string; wrote: string; [file: string]: string }> {
  const config = await openRunConfig(directory);
  const name = config.task === 'classify' ? 'classifier' : 'model';
  const curves = await writeLearningCurves(directory, name);
  const pictures = config.task === 'classify' ? [] : await writeModelPictures(directory, config);
  const wrote = [...curves, ...pictures.map((picture) => picture.file)].join(', ');
  const captions = Object.fromEntries(pictures.map(({ file, caption }) => [file, caption]));
  return { directory, wrote, ...captions };
}

/** The model's pictures; the backend is the one `openRunConfig` started for this run. */
async function writeModelPictures(directory: string, config: RunConfig): Promise<WrittenPicture[]> {
  const { model, preprocessing } = await loadModel(directory);
  const layout = rowLayout(config);
  const weights = await writeWeights(model, directory, layout, preprocessing);
  // The run's persistent chains, where its checkpoint holds them: chains from noise can all fall into one mode of a deep model.
  const start = await checkpointChains(directory, model);
  const fantasy = { n: 64, steps: 100, betaStd: 0, out: join(directory, 'fantasy.png'), ...(start && { start }) };
  const { particles } = await writeFantasy(model, fantasy, layout, preprocessing);
  const reconstructed = { n: 32, out: join(directory, 'reconstructions.png') };
  const { images } = await writeReconstructions(model, config, reconstructed, preprocessing);
  const chains = start ? "continuing the last checkpoint's persistent chains" : 'from random states';
  const rows = `${hasHeldOutRows(config) ? 'held-out' : 'training'} ${layout.kind === 'table' ? 'rows' : 'images'}`;
  const table = `heat maps of rows × data columns (${config.data.source} data are a table)`;
  return [
    ...weights,
    {
      file: 'fantasy.png',
      caption: `${particles} fantasy particles after 100 Gibbs sweeps ${chains}${layout.kind === 'table' ? `: ${table}` : ''}`,
    },
    {
      file: 'reconstructions.png',
      caption:
        `${images} ${rows} and their mean-field reconstructions: ` +
        (layout.kind === 'table' ? `${table}, side by side` : 'in strips of 8, each above its reconstructions'),
    },
  ];
}
