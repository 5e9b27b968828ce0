/**
 * The run config's data for `relief train`: the schema, validation and model builders live in
 * the library (`relief/config`); reading the data source needs `@relief/data`, so it lives here.
 */
import { loadDataset, loadLabelledDataset, readCsv, readIdx, readNpy } from '@relief/data';
import {
  type HostMatrix,
  InMemoryBatch,
  type LabelledData,
  Preprocessing,
  type Split,
  splitLabelColumn,
  transformByName,
} from 'relief/batch';
import type { RunConfig } from 'relief/config';
import { ConfigError, DataError } from 'relief/errors';
import { checkChoice } from 'relief/validation';

export {
  buildClassifierOptimizer,
  buildFinalOptimizer,
  buildMethod,
  buildModel,
  buildMonitor,
  buildOptimizer,
  parseRunConfig,
  type RunConfig,
  usesLabelRBM,
} from 'relief/config';

/**
 * The batches a run trains from: `data` (rows, columns) split into training and validation rows
 * by the config's `trainFraction` and seed, with `labelled`'s labels for a classify run. Every
 * command that needs the run's split makes it here, so they all pick the same rows.
 */
export function runBatches(config: RunConfig, data: HostMatrix, labelled?: LabelledData): InMemoryBatch {
  return new InMemoryBatch(data, {
    batchSize: config.train.batchSize,
    trainFraction: config.data.trainFraction,
    seed: config.seed,
    ...(labelled && { labels: labelled.labels, numClasses: labelled.numClasses }),
  });
}

/**
 * The config's `data.preprocessing` fitted on the rows of `data` that train (the split
 * {@link runBatches} makes), or undefined when the config has none.
 */
export async function fitRunPreprocessing(config: RunConfig, data: HostMatrix): Promise<Preprocessing | undefined> {
  const steps = config.data.preprocessing;
  if (steps === undefined) return undefined;
  return Preprocessing.fit(steps, runBatches(config, data).hostMatrix('train'));
}

/** Which rows of a run's data: those it trained on, or those it never trained on. */
export type RunSplit = 'train' | 'test';

/** Rows of a run's data picked for evaluation, with a line that says which rows they are. */
export interface RunRows<T> {
  readonly data: T;
  /** E.g. `test: 400 held-out rows of data/points.csv (trainFraction 0.8, seed 137)`. */
  readonly description: string;
}

/** Options of {@link loadRunData} and of loading a run's labelled rows. */
export interface RunRowsOptions {
  /** Keep at most this many rows of the split (after splitting, so the split never changes). */
  readonly limit?: number;
  /** A saved model's fitted preprocessing, applied to the inputs. */
  readonly preprocessing?: Preprocessing;
}

/**
 * The rows a training run splits into its training and validation rows (by `InMemoryBatch`
 * with the config's `trainFraction` and seed): a data set's training set, or the whole file,
 * each cut to `data.limit` rows and transformed. Returns (rows, columns).
 */
export async function loadTrainingData(config: RunConfig): Promise<HostMatrix> {
  return transformed(config, await sourceMatrix(config, 'train'));
}

/** The labelled rows a classify run splits into training and validation rows; see {@link loadTrainingData}. */
export async function loadLabelledTrainingData(config: RunConfig): Promise<LabelledData> {
  const data = await sourceLabelled(config, 'train');
  return { ...data, inputs: transformed(config, data.inputs) };
}

/**
 * Whether a run's data has rows it never trained on: a data set's test set, or a file's
 * held-out rows (`data.trainFraction` below 1).
 */
export function hasHeldOutRows(config: RunConfig): boolean {
  return isDataSet(config) || config.data.trainFraction < 1;
}

/**
 * The rows of a split of a run's data (see {@link RunSplit}), each cut to `options.limit` and
 * transformed as training saw them, then by the model's saved preprocessing.
 */
export async function loadRunData(
  config: RunConfig,
  split: RunSplit,
  options: RunRowsOptions = {},
): Promise<RunRows<HostMatrix>> {
  const { data, description } = await splitRows(config, split, options.limit, async (part) =>
    transformed(config, await sourceMatrix(config, part)),
  );
  return { data: options.preprocessing ? await options.preprocessing.transform(data) : data, description };
}

/**
 * The labelled rows of a split of a `task: 'classify'` run's data: the data set's labels, or for
 * csv and npy files the `classify.labelColumn` split off each row; the rows as
 * {@link loadRunData} picks them.
 */
export async function loadRunLabelledData(
  config: RunConfig,
  split: RunSplit,
  options: Pick<RunRowsOptions, 'limit'> = {},
): Promise<RunRows<LabelledData>> {
  return splitRows(config, split, options.limit, async (part) => {
    const labelled = await sourceLabelled(config, part);
    return { ...labelled, inputs: transformed(config, labelled.inputs) };
  });
}

/**
 * Picks a split's rows: a data set's test set as it is, otherwise the run's own seeded split of
 * its training rows (training rows for 'train', held-out rows for 'test'), then cut to `limit`.
 */
async function splitRows<T extends HostMatrix | LabelledData>(
  config: RunConfig,
  split: RunSplit,
  limit: number | undefined,
  load: (part: RunSplit) => Promise<T>,
): Promise<RunRows<T>> {
  const { source, path, trainFraction } = config.data;
  if (split === 'test' && isDataSet(config)) {
    const rows = cutRows(await load('test'), limit);
    return { data: rows, description: `test: ${rowCount(rows)} rows of the ${source} test set` };
  }
  const origin = isDataSet(config) ? `the ${source} training set` : String(path);
  if (split === 'test' && !hasHeldOutRows(config)) {
    throw new ConfigError(
      `--split test: data.trainFraction is 1, so ${origin} has no held-out rows; use --split train, or train with data.trainFraction below 1`,
    );
  }
  const rows = cutRows(seededSplit(config, await load('train'), split === 'train' ? 'train' : 'validate'), limit);
  const which = split === 'train' ? 'training rows' : 'held-out rows';
  return {
    data: rows,
    description: `${split}: ${rowCount(rows)} ${which} of ${origin} (trainFraction ${trainFraction}, seed ${config.seed})`,
  };
}

/** The formats of a data file given to `relief evaluate --data`. */
export const DATA_FILE_FORMATS = ['csv', 'npy', 'idx'] as const;
/** One of {@link DATA_FILE_FORMATS}. */
export type DataFileFormat = (typeof DATA_FILE_FORMATS)[number];

/**
 * The format of a data file: `format` when given, else by its name (`.csv`, `.npy`, `.idx` or
 * MNIST's `-idx3-ubyte`). @throws ConfigError when neither says, naming `--data-format`
 */
export function dataFileFormat(path: string, format?: string): DataFileFormat {
  if (format !== undefined) return checkChoice(format, DATA_FILE_FORMATS, '--data-format');
  const byName = /\.(csv|npy|idx)$/i.exec(path)?.[1]?.toLowerCase() ?? (/-idx\d-ubyte$/.test(path) ? 'idx' : undefined);
  if (byName === undefined) {
    throw new ConfigError(
      `--data ${path}: expected a name ending in .csv, .npy or .idx, got none of them; name the format with --data-format csv, npy or idx`,
    );
  }
  return byName as DataFileFormat;
}

/** Options of {@link loadFileRows}. */
export interface FileRowsOptions extends RunRowsOptions {
  /** The file's format (default: by its name, {@link dataFileFormat}). */
  readonly format?: string;
  /** A run config's `data.transform`, applied as training applied it, when the model came with one. */
  readonly transform?: RunConfig['data']['transform'];
}

/**
 * Every row of a csv, npy or idx file (the first `limit`), transformed by `transform`, then by
 * the model's saved preprocessing: the rows `relief evaluate --data` scores. Returns (rows, columns).
 */
export async function loadFileRows(path: string, options: FileRowsOptions = {}): Promise<RunRows<HostMatrix>> {
  const all = readMatrix(dataFileFormat(path, options.format), path);
  const rows = cutRows(all, options.limit);
  const data = options.transform === undefined ? rows : transformByName(options.transform, 'data.transform')(rows);
  const which = rows.rows === all.rows ? `all ${all.rows} rows` : `the first ${rows.rows} of ${all.rows} rows`;
  return {
    data: options.preprocessing ? await options.preprocessing.transform(data) : data,
    description: `${which} of ${path}`,
  };
}

/** The rows of `data` in one part of the split a training run makes ({@link runBatches}). */
function seededSplit<T extends HostMatrix | LabelledData>(config: RunConfig, data: T, part: Split): T {
  if (!('inputs' in data)) return runBatches(config, data as HostMatrix).hostMatrix(part) as T;
  const batches = runBatches(config, data.inputs, data);
  return { ...data, inputs: batches.hostMatrix(part), labels: batches.hostLabels(part) };
}

function isDataSet(config: RunConfig): boolean {
  return config.data.source === 'mnist' || config.data.source === 'fashion-mnist';
}

function transformed(config: RunConfig, matrix: HostMatrix): HostMatrix {
  return transformByName(config.data.transform, 'data.transform')(matrix);
}

/** A data set's split or the file, cut to `data.limit` rows: the rows a training run starts from. */
async function sourceMatrix(config: RunConfig, part: RunSplit): Promise<HostMatrix> {
  const { source, limit } = config.data;
  return source === 'mnist' || source === 'fashion-mnist'
    ? loadDataset(source, { split: part, scale: true, ...(limit !== undefined && { limit }) })
    : fileMatrix(config);
}

async function sourceLabelled(config: RunConfig, part: RunSplit): Promise<LabelledData> {
  const { source, limit } = config.data;
  if (source === 'mnist' || source === 'fashion-mnist') {
    return loadLabelledDataset(source, { split: part, scale: true, ...(limit !== undefined && { limit }) });
  }
  if (source === 'idx') {
    throw new DataError(
      "data.source: 'idx' files hold no labels; use mnist, fashion-mnist, csv or npy for task 'classify'",
    );
  }
  return splitLabelColumn(fileMatrix(config), config.classify.labelColumn);
}

function rowCount(data: HostMatrix | LabelledData): number {
  return 'inputs' in data ? data.inputs.rows : data.rows;
}

/** The first `limit` rows of a matrix or labelled data (all of them without a limit). */
function cutRows<T extends HostMatrix | LabelledData>(data: T, limit: number | undefined): T {
  if (limit === undefined || limit >= rowCount(data)) return data;
  if ('inputs' in data) {
    return { ...data, inputs: firstRows(data.inputs, limit), labels: data.labels.subarray(0, limit) };
  }
  return firstRows(data as HostMatrix, limit) as T;
}

function firstRows(matrix: HostMatrix, rows: number): HostMatrix {
  return { ...matrix, rows, values: matrix.values.subarray(0, rows * matrix.columns) };
}

/** The matrix in `data.path`, cut to `data.limit` rows. */
function fileMatrix(config: RunConfig): HostMatrix {
  const { source, path, limit } = config.data;
  return cutRows(readMatrix(source as DataFileFormat, path as string), limit);
}

/** The matrix in a csv, npy or idx file (idx bytes scaled to [0, 1]). */
function readMatrix(format: DataFileFormat, path: string): HostMatrix {
  return format === 'csv' ? readCsv(path) : format === 'npy' ? readNpy(path) : idxMatrix(path);
}

function idxMatrix(path: string): HostMatrix {
  const { dimensions, values } = readIdx(path);
  const columns = dimensions.slice(1).reduce((a, b) => a * b, 1);
  return { rows: dimensions[0] as number, columns, values: Float32Array.from(values, (v) => v / 255) };
}
