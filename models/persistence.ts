/**
 * Saving and loading models: a directory with `model.json` (format, layers, connections,
 * fixed parameters, penalties, metadata) and `params.safetensors` (every parameter, float32,
 * named `layers.<i>.<param>` and `connections.<i>.W` with W of shape [numLower, numUpper]).
 *
 * Saving writes a complete new directory beside the target, then swaps it in (the old one
 * is renamed to `<dir>.previous` and removed once the new one is in place), so an interrupted
 * save never leaves a half-written model: loading falls back to `<dir>.previous` when the
 * swap was cut short. Loading validates every field, name, dtype and shape.
 * @packageDocumentation
 */

import * as z from 'zod';
import { be } from '../backends/index.js';
import {
  Preprocessing,
  type PreprocessingStep,
  type PreprocessingStepInput,
  preprocessingStepSchema,
} from '../batch/index.js';
import { ConfigError, DataError, DivergenceError, formatShape, ShapeError } from '../errors/index.js';
import {
  type CouplingDescription,
  couplingConfigSchema,
  couplingFromConfig,
  type Layer,
  type LayerConfig,
  layerConfigSchema,
  layerFromConfig,
} from '../layers/index.js';
import { checkJsonDepth, checkOptions, parseWith, show } from '../validation/index.js';
import { BoltzmannMachine, type NamedParameter } from './boltzmann-machine.js';
import { withFileLock } from './file-lock.js';
import { decodeSafetensors, encodeSafetensors, type TensorData } from './safetensors.js';

/** The `format` field of `model.json`. */
export const MODEL_FORMAT = 'relief-model';
/** The `formatVersion` this code writes and reads. */
export const MODEL_FORMAT_VERSION = 1;
/** File names inside a model directory. */
export const MODEL_FILE = 'model.json';
export const PARAMS_FILE = 'params.safetensors';

/** The contents of `model.json`. */
export interface ModelDescription {
  readonly format: typeof MODEL_FORMAT;
  readonly formatVersion: number;
  readonly layers: readonly LayerConfig[];
  readonly connections: readonly CouplingDescription[];
  /** Free-form information (training history, data set, ...). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The preprocessing steps fitted on the training data, whose statistics are in {@link PREPROCESSING_FILE}. */
  readonly preprocessing?: readonly PreprocessingStep[];
}

/** The file beside the parameters that holds a saved model's preprocessing statistics. */
export const PREPROCESSING_FILE = 'preprocessing.safetensors';

/** What a saved model holds besides its parameters. */
export interface SaveOptions {
  /** Preprocessing fitted on the training data, saved with the model and returned by {@link loadModel}. */
  readonly preprocessing?: Preprocessing;
}

/** The description `model.json` holds for `model`. */
export function describeModel(
  model: BoltzmannMachine,
  metadata: Record<string, unknown> = {},
  { preprocessing }: SaveOptions = {},
): ModelDescription {
  return {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    layers: model.layers.map((layer) => layer.toConfig()),
    connections: model.connections.map((c) => c.weights.toConfig()),
    metadata,
    ...(preprocessing && { preprocessing: preprocessing.steps }),
  };
}

function modelDescriptionSchema() {
  return z.strictObject({
    format: z.literal(MODEL_FORMAT),
    formatVersion: z.number(),
    layers: z.array(layerConfigSchema()).min(2),
    connections: z.array(couplingConfigSchema),
    metadata: z.record(z.string(), z.unknown()).default({}),
    preprocessing: z.array(preprocessingStepSchema).min(1).optional(),
  });
}

/** A model with zero weights built from an untrusted description; `where` (the file) prefixes errors. */
export function modelFromDescription(description: unknown, where: string): BoltzmannMachine {
  const version = (description as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== MODEL_FORMAT_VERSION) {
    throw new ConfigError(
      `${where}: formatVersion: this Relief reads version ${MODEL_FORMAT_VERSION}, got ${show(version)}`,
    );
  }
  const fields = parseWith(modelDescriptionSchema(), description, `${where}:`);
  const layers = fields.layers.map((config, i) => layerFromConfig(config, `${where}: layers[${i}]`));
  if (fields.connections.length !== layers.length - 1) {
    throw new ConfigError(
      `${where}: connections: expected ${layers.length - 1} entries (one per pair of layers), got ${fields.connections.length}`,
    );
  }
  const weights = fields.connections.map((entry, i) =>
    couplingFromConfig(
      entry,
      (layers[i] as Layer).numUnits,
      (layers[i + 1] as Layer).numUnits,
      `${where}: connections[${i}]`,
    ),
  );
  const model = new BoltzmannMachine(layers, { weights });
  return model;
}

/** Reads parameters to the host by key, refusing non-finite values. @throws DivergenceError */
export async function readParameters(parameters: readonly NamedParameter[]): Promise<Record<string, TensorData>> {
  const out: Record<string, TensorData> = {};
  for (const { key, owner, name } of parameters) {
    const tensor = owner.param(name);
    const data = await be.read(tensor);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new DivergenceError(`save: parameter ${key} is ${data[bad]} at index ${bad}; the previous save is kept`);
    }
    out[key] = { shape: [...be.shape(tensor)], data };
  }
  return out;
}

async function writeSynced(path: string, contents: Uint8Array | string): Promise<void> {
  const fs = await import('node:fs');
  const handle = await fs.promises.open(path, 'w');
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes staging directories (`<target>.saving-<pid>-<time>`) left by writers that were killed. */
async function removeAbandonedStaging(target: string): Promise<void> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const prefix = `${path.basename(target)}.saving-`;
  const siblings = await fs.promises.readdir(path.dirname(target)).catch(() => [] as string[]);
  for (const name of siblings.filter((n) => n.startsWith(prefix))) {
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (pid !== process.pid)
      await fs.promises.rm(path.join(path.dirname(target), name), { recursive: true, force: true });
  }
}

/**
 * Saves `model` into `directory` atomically (see the module notes): other processes saving
 * to the same directory wait for a lock (`<directory>.lock`), and a save killed at any point
 * leaves the previous model or the new one loadable. Refuses parameters with NaN or
 * ±Infinity, leaving any previous save in place.
 * @throws DivergenceError for non-finite parameters
 */
export async function saveModel(
  model: BoltzmannMachine,
  directory: string,
  metadata: Record<string, unknown> = {},
  options: SaveOptions = {},
): Promise<void> {
  checkOptions(options, { preprocessing: true }, 'saveModel');
  await writeModelDirectory(
    directory,
    describeModel(model, metadata, options),
    await readParameters(model.namedParameters()),
    preprocessingFiles(model, options.preprocessing, 'saveModel'),
  );
}

/**
 * The file that saves `preprocessing` beside `model` (none without it), for `writeModelDirectory`.
 * @throws ShapeError when the preprocessing's rows do not fit the model's visible layer
 */
export function preprocessingFiles(
  model: BoltzmannMachine,
  preprocessing: Preprocessing | undefined,
  where: string,
): Record<string, Uint8Array> {
  if (preprocessing === undefined) return {};
  if (preprocessing.outputColumns !== model.layer(0).numUnits) {
    throw new ShapeError(
      `${where}: the preprocessing returns ${preprocessing.outputColumns} columns, but the model has ${model.layer(0).numUnits} visible units`,
    );
  }
  return { [PREPROCESSING_FILE]: encodeSafetensors(preprocessing.statistics()) };
}

/**
 * Writes a saved-model directory (`model.json` with `description`, `params.safetensors` with
 * `tensors`) atomically and under the directory's lock, as {@link saveModel} does for every
 * kind of saved model (Boltzmann machines, DBNs, classifiers).
 * @param extraFiles - more files swapped in with the model, by name (e.g. a training checkpoint's state)
 */
export async function writeModelDirectory(
  directory: string,
  description: object,
  tensors: Record<string, TensorData>,
  extraFiles: Readonly<Record<string, Uint8Array | string>> = {},
): Promise<void> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const target = path.resolve(directory);
  const params = encodeSafetensors(tensors, { format: MODEL_FORMAT });
  const text = `${JSON.stringify(description, null, 2)}\n`;
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  await withFileLock(target, async () => {
    await removeAbandonedStaging(target);
    const staging = `${target}.saving-${process.pid}-${Date.now()}`;
    const previous = `${target}.previous`;
    await fs.promises.mkdir(staging);
    try {
      for (const [name, contents] of Object.entries(extraFiles)) await writeSynced(path.join(staging, name), contents);
      await writeSynced(path.join(staging, PARAMS_FILE), params);
      await writeSynced(path.join(staging, MODEL_FILE), text);
      if (fs.existsSync(target)) {
        await fs.promises.rm(previous, { recursive: true, force: true });
        await fs.promises.rename(target, previous);
      }
      await fs.promises.rename(staging, target);
    } catch (error) {
      await fs.promises.rm(staging, { recursive: true, force: true });
      throw error;
    }
    await fs.promises.rm(previous, { recursive: true, force: true });
  });
}

/** Writes a file whole or not at all: a synced temporary file beside it, then a rename. */
export async function writeFileAtomic(file: string, contents: Uint8Array | string): Promise<void> {
  const fs = await import('node:fs');
  const temporary = `${file}.writing-${process.pid}-${Date.now()}`;
  try {
    await writeSynced(temporary, contents);
    await fs.promises.rename(temporary, file);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Reads both files of a saved model from one and the same directory: a save running in
 * another process swaps whole directories, so the directory's inode is compared before and
 * after, and the read is repeated if it changed in between.
 * @param extraFiles - more files to read from the same directory, each absent from `extras` when missing
 */
export async function readModelDirectory(
  directory: string,
  extraFiles: readonly string[] = [],
): Promise<{
  modelPath: string;
  paramsPath: string;
  modelText: string;
  paramsBytes: Uint8Array;
  extras: Record<string, Uint8Array>;
}> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const target = path.resolve(directory);
  for (let attempt = 1; ; attempt++) {
    const source = !fs.existsSync(target) && fs.existsSync(`${target}.previous`) ? `${target}.previous` : target;
    const modelPath = path.join(source, MODEL_FILE);
    const paramsPath = path.join(source, PARAMS_FILE);
    // A directory's inode and change time identify it (an inode alone can be reused after a delete).
    const identity = async () => {
      const stat = await fs.promises.stat(source).catch(() => undefined);
      return stat && `${stat.ino}:${stat.ctimeMs}`;
    };
    const before = await identity();
    try {
      for (const file of [modelPath, paramsPath]) {
        if (!fs.existsSync(file)) throw new DataError(`load: ${file} does not exist`);
      }
      const modelText = await fs.promises.readFile(modelPath, 'utf8');
      const paramsBytes = new Uint8Array(await fs.promises.readFile(paramsPath));
      const extras: Record<string, Uint8Array> = {};
      for (const name of extraFiles) {
        const file = path.join(source, name);
        if (fs.existsSync(file)) extras[name] = new Uint8Array(await fs.promises.readFile(file));
      }
      if (before !== undefined && (await identity()) === before)
        return { modelPath, paramsPath, modelText, paramsBytes, extras };
    } catch (error) {
      if ((await identity()) === before || attempt >= MAX_LOAD_ATTEMPTS) throw error;
    }
    if (attempt >= MAX_LOAD_ATTEMPTS) {
      throw new DataError(`load: ${target} was replaced by other saves ${attempt} times while it was being read`);
    }
  }
}

/** Reads of a model directory repeated while other processes keep replacing it. */
const MAX_LOAD_ATTEMPTS = 20;

/**
 * A model from the contents of its two files, validated in full: `model.json` first, then
 * the parameter sizes it implies against the size of `params.safetensors` (before anything
 * is allocated), then the tensors' names, dtypes, shapes and values.
 * @param paths - name the files in errors
 * @throws DataError for corrupt files; ConfigError for an invalid `model.json`
 */
export function modelFromFiles(
  modelText: string,
  paramsBytes: Uint8Array,
  paths: SavedPaths = { modelPath: MODEL_FILE, paramsPath: PARAMS_FILE },
  preprocessingBytes?: Uint8Array,
): LoadedModel {
  const { modelPath, paramsPath } = paths;
  const description = parseModelText(modelText, modelPath);
  checkDescribedSize(description, paramsBytes.length, paths);
  const model = modelFromDescription(description, modelPath);
  try {
    setParameters(model.namedParameters(), paramsBytes, paramsPath);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const metadata = (description as { metadata?: Record<string, unknown> }).metadata ?? {};
  const steps = (description as { preprocessing?: PreprocessingStepInput[] }).preprocessing;
  if (steps === undefined) return { model, metadata };
  try {
    return { model, metadata, preprocessing: preprocessingFromFile(steps, preprocessingBytes, model, paths) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** A loaded model, its metadata and, when it was saved with one, its fitted preprocessing. */
export interface LoadedModel {
  readonly model: BoltzmannMachine;
  readonly metadata: Record<string, unknown>;
  readonly preprocessing?: Preprocessing;
}

/** The preprocessing `model.json` names, from the statistics file beside it. @throws DataError */
function preprocessingFromFile(
  steps: readonly PreprocessingStepInput[],
  bytes: Uint8Array | undefined,
  model: BoltzmannMachine,
  { paramsPath }: SavedPaths,
): Preprocessing {
  const file = paramsPath.replace(/[^/\\]*$/, PREPROCESSING_FILE);
  if (bytes === undefined)
    throw new DataError(`load: ${MODEL_FILE} names preprocessing steps, but ${file} does not exist`);
  const { tensors } = decodeSafetensors(bytes, `load: ${file}`);
  const preprocessing = Preprocessing.restore(steps, tensors, `load: ${file}`);
  if (preprocessing.outputColumns !== model.layer(0).numUnits) {
    throw new DataError(
      `load: ${file}: the preprocessing returns ${preprocessing.outputColumns} columns, but the model has ${model.layer(0).numUnits} visible units`,
    );
  }
  return preprocessing;
}

/**
 * Sets every parameter from a params file's bytes: the tensor names first (all of them, no
 * others), then each one's shape and values, before any parameter changes.
 * @throws DataError naming the file and tensor
 */
export function setParameters(
  parameters: readonly NamedParameter[],
  paramsBytes: Uint8Array,
  paramsPath: string,
): void {
  const { tensors } = decodeSafetensors(paramsBytes, `load: ${paramsPath}`, {
    names: parameters.map((p) => p.key),
    describedBy: MODEL_FILE,
  });
  for (const { key, owner, name } of parameters) {
    const tensor = tensors.get(key) as TensorData;
    const shape = owner.paramShape(name);
    if (formatShape(tensor.shape) !== formatShape(shape)) {
      throw new DataError(
        `load: ${paramsPath}: tensor '${key}' has shape ${formatShape(tensor.shape)}, expected ${formatShape(shape)}`,
      );
    }
    const bad = tensor.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DataError(`load: ${paramsPath}: tensor '${key}' is ${tensor.data[bad]} at index ${bad}`);
  }
  for (const { key, owner, name } of parameters) {
    owner.setParam(name, be.tensor((tensors.get(key) as TensorData).data, owner.paramShape(name)));
  }
}

/** Where a saved model's two files are, for messages. */
export interface SavedPaths {
  readonly modelPath: string;
  readonly paramsPath: string;
}

/**
 * The counts under `field` of an untrusted array of layer descriptions, or undefined when it
 * is not an array of non-negative finite numbers (the schema then says what is wrong).
 */
export function describedCounts(layers: unknown, field: string): number[] | undefined {
  if (!Array.isArray(layers)) return undefined;
  const counts = layers.map((layer) => (layer as Record<string, unknown> | null)?.[field]);
  return counts.every((u): u is number => typeof u === 'number' && Number.isFinite(u) && u >= 0) ? counts : undefined;
}

/**
 * Refuses a description whose parameters need more float32 values than the params file has
 * bytes for, before anything is allocated. @param what - the described sizes, for the message
 * @throws DataError
 */
export function checkParamsBytes(neededValues: number, what: string, paramsLength: number, paths: SavedPaths): void {
  const needed = 4 * neededValues;
  if (needed > paramsLength) {
    throw new DataError(
      `load: ${paths.modelPath} describes ${what}, whose parameters need at least ${needed} bytes; ${paths.paramsPath} has ${paramsLength}`,
    );
  }
}

/**
 * The fewest float32 values an unvalidated model description `{ layers, connections }` holds:
 * one per unit, and per connection one per weight or, for convolutional ones, per filter tap;
 * undefined when its layers' units are not all numbers. @returns the count and the units
 */
export function describedParameterCount(description: unknown): { count: number; units: number[] } | undefined {
  const fields = description as { layers?: unknown; connections?: unknown } | null;
  const units = describedCounts(fields?.layers, 'units');
  if (!units) return undefined;
  const connections: unknown[] = Array.isArray(fields?.connections) ? fields.connections : [];
  const weights = units
    .slice(1)
    .map((upper, i) => describedFilterCount(connections[i]) ?? upper * (units[i] as number));
  return { count: [...weights, ...units].reduce((a, b) => a + b, 0), units };
}

/** Filter taps of a described convolutional connection (0 where its sizes are not numbers), else undefined. */
function describedFilterCount(entry: unknown): number | undefined {
  const e = entry as { type?: unknown; filters?: unknown; image?: unknown; kernel?: unknown } | null;
  if (e?.type !== 'convolutional') return undefined;
  const kernel = typeof e.kernel === 'number' ? [e.kernel, e.kernel] : e.kernel;
  const sizes = [e.filters, Array.isArray(e.image) ? e.image[0] : undefined, ...(Array.isArray(kernel) ? kernel : [])];
  const valid = sizes.length === 4 && sizes.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0);
  return valid ? (sizes as number[]).reduce((a, b) => a * b, 1) : 0;
}

/** Refuses a `model.json` whose layers need more parameters than the params file holds. */
function checkDescribedSize(description: unknown, paramsLength: number, paths: SavedPaths): void {
  const described = describedParameterCount(description);
  if (described) {
    checkParamsBytes(described.count, `layers of ${described.units.join(', ')} units`, paramsLength, paths);
  }
}

/**
 * Parses `model.json` text (of any kind of saved model) and refuses nesting deeper than the
 * schemas allow. @throws DataError for invalid JSON
 */
export function parseModelText(modelText: string, modelPath: string): unknown {
  let description: unknown;
  try {
    description = JSON.parse(modelText);
  } catch (cause) {
    throw new DataError(`load: ${modelPath} is not valid JSON (${(cause as Error).message})`, { cause });
  }
  checkJsonDepth(description, modelPath);
  return description;
}

/**
 * Loads a model saved by {@link saveModel} onto the backend in use (any backend can load
 * what any other saved). Falls back to `<dir>.previous` if a save was interrupted mid-swap.
 * @throws DataError for missing or corrupt files, names, dtypes, shapes or non-finite values;
 *   ConfigError for an invalid `model.json`
 */
export async function loadModel(directory: string): Promise<LoadedModel> {
  const { modelPath, paramsPath, modelText, paramsBytes, extras } = await readModelDirectory(directory, [
    PREPROCESSING_FILE,
  ]);
  return modelFromFiles(modelText, paramsBytes, { modelPath, paramsPath }, extras[PREPROCESSING_FILE]);
}
