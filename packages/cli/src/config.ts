/**
 * The run config of `relief train`: JSON validated at the boundary, each error naming the
 * field (`train.optimizer.stepsize.initial: expected a positive number, got -1`).
 */

import { type DatasetName, loadDataset, readCsv, readIdx, readNpy } from '@relief/data';
import { backendFactory, checkDevice } from 'relief/backends';
import { type HostMatrix, transformByName } from 'relief/batch';
import { ConfigError } from 'relief/errors';
import { cd, type FitMethod, pcd, TAP } from 'relief/fit';
import { layerFromConfig } from 'relief/layers';
import { BoltzmannMachine, type InitializationMethod } from 'relief/models';
import { type Optimizer, optimizerFromConfig } from 'relief/optimizers';
import { penaltyFromConfig } from 'relief/penalties';

/** A validated run config. */
export interface RunConfig {
  readonly seed: number;
  /** A registered backend name (`cpu`, `tfjs`, `float64`, …). */
  readonly backend: string;
  /** One of the backend's devices, where it has a choice. */
  readonly device?: string;
  readonly data: {
    readonly source: DatasetName | 'csv' | 'npy' | 'idx';
    readonly path?: string;
    readonly transform: string;
    readonly trainFraction: number;
    readonly limit?: number;
  };
  readonly model: {
    readonly layers: readonly unknown[];
    readonly penalties: Readonly<Record<string, unknown>>;
    readonly init: InitializationMethod;
  };
  readonly train: {
    readonly method: 'cd' | 'pcd' | 'tap';
    readonly mcsteps: number;
    readonly epochs: number;
    readonly batchSize: number;
    readonly optimizer: unknown;
    readonly betaStd: number;
    readonly metrics: boolean;
  };
}

type Fields = Record<string, unknown>;

function object(value: unknown, where: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${where}: expected an object, got ${JSON.stringify(value)}`);
  }
  return value as Fields;
}

function integer(value: unknown, where: string, minimum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new ConfigError(`${where}: expected an integer ≥ ${minimum}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function oneOf<const T extends string>(value: unknown, where: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new ConfigError(
      `${where}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/** Validates an untrusted run config (`where` names the file). */
export function parseRunConfig(input: unknown, where = 'config'): RunConfig {
  const root = object(input, where);
  const data = object(root.data ?? {}, `${where}: data`);
  const model = object(root.model, `${where}: model`);
  const train = object(root.train ?? {}, `${where}: train`);
  const source = oneOf(data.source ?? 'mnist', `${where}: data.source`, [
    'mnist',
    'fashion-mnist',
    'csv',
    'npy',
    'idx',
  ]);
  if (['csv', 'npy', 'idx'].includes(source) && typeof data.path !== 'string') {
    throw new ConfigError(
      `${where}: data.path: expected a file path for source '${source}', got ${JSON.stringify(data.path)}`,
    );
  }
  const trainFraction = data.trainFraction ?? 0.95;
  if (typeof trainFraction !== 'number' || !(trainFraction > 0 && trainFraction <= 1)) {
    throw new ConfigError(
      `${where}: data.trainFraction: expected a number in (0, 1], got ${JSON.stringify(trainFraction)}`,
    );
  }
  transformByName(data.transform ?? 'none', `${where}: data.transform`);
  if (!Array.isArray(model.layers) || model.layers.length < 2) {
    throw new ConfigError(
      `${where}: model.layers: expected an array of at least 2 layers, got ${JSON.stringify(model.layers)}`,
    );
  }
  const betaStd = train.betaStd ?? 0;
  if (typeof betaStd !== 'number' || betaStd < 0) {
    throw new ConfigError(`${where}: train.betaStd: expected a non-negative number, got ${JSON.stringify(betaStd)}`);
  }
  const backend = root.backend ?? 'cpu';
  backendFactory(backend, `${where}: backend`);
  const config: RunConfig = {
    seed: integer(root.seed ?? 137, `${where}: seed`, 0),
    backend: backend as string,
    ...(root.device !== undefined && { device: checkDevice(backend as string, root.device, `${where}: device`) }),
    data: {
      source,
      ...(typeof data.path === 'string' && { path: data.path }),
      transform: (data.transform as string | undefined) ?? 'none',
      trainFraction,
      ...(data.limit !== undefined && { limit: integer(data.limit, `${where}: data.limit`, 1) }),
    },
    model: {
      layers: model.layers,
      penalties: object(model.penalties ?? {}, `${where}: model.penalties`),
      init: oneOf(model.init ?? 'hinton', `${where}: model.init`, ['hinton', 'glorotNormal', 'stddev', 'pca']),
    },
    train: {
      method: oneOf(train.method ?? 'pcd', `${where}: train.method`, ['cd', 'pcd', 'tap']),
      mcsteps: integer(train.mcsteps ?? 1, `${where}: train.mcsteps`, 1),
      epochs: integer(train.epochs ?? 5, `${where}: train.epochs`, 0),
      batchSize: integer(train.batchSize ?? 100, `${where}: train.batchSize`, 1),
      optimizer: train.optimizer ?? { type: 'adam', stepsize: 0.001 },
      betaStd,
      metrics: train.metrics === undefined ? true : Boolean(train.metrics),
    },
  };
  // Build once to report model and optimizer errors before any data is read.
  optimizerFromConfig(config.train.optimizer, `${where}: train.optimizer`);
  for (const [i, layer] of config.model.layers.entries()) layerFromConfig(layer, `${where}: model.layers[${i}]`);
  return config;
}

/** The model a config describes, with its penalties attached (weights random until initialized). */
export function buildModel(config: RunConfig, where = 'config'): BoltzmannMachine {
  const model = new BoltzmannMachine(
    config.model.layers.map((layer, i) => layerFromConfig(layer, `${where}: model.layers[${i}]`)),
  );
  const parameters = model.namedParameters();
  for (const [key, penalty] of Object.entries(config.model.penalties)) {
    const target = parameters.find((p) => p.key === key);
    if (!target) {
      throw new ConfigError(
        `${where}: model.penalties: no parameter '${key}' (the model has ${parameters.map((p) => p.key).join(', ')})`,
      );
    }
    target.owner.addPenalty({ [target.name]: penaltyFromConfig(penalty, `${where}: model.penalties.${key}`) });
  }
  return model;
}

/** The optimizer a config describes. */
export function buildOptimizer(config: RunConfig): Optimizer {
  return optimizerFromConfig(config.train.optimizer, 'train.optimizer');
}

/** The fit method a config names (a fresh TAP for 'tap'). */
export function buildMethod(config: RunConfig): FitMethod {
  if (config.train.method === 'tap') return new TAP().method;
  return config.train.method === 'cd' ? cd : pcd;
}

/** The data a config names, transformed, for a split of the source ('train' or 'test'). */
export async function loadRunData(config: RunConfig, split: 'train' | 'test' = 'train'): Promise<HostMatrix> {
  const { source, path, limit } = config.data;
  let matrix: HostMatrix;
  if (source === 'mnist' || source === 'fashion-mnist') {
    matrix = await loadDataset(source, { split, scale: true, ...(limit !== undefined && { limit }) });
  } else {
    const file = path as string;
    matrix = source === 'csv' ? readCsv(file) : source === 'npy' ? readNpy(file) : idxMatrix(file);
    if (limit !== undefined && limit < matrix.rows) {
      matrix = { ...matrix, rows: limit, values: matrix.values.subarray(0, limit * matrix.columns) };
    }
  }
  return transformByName(config.data.transform, 'data.transform')(matrix);
}

function idxMatrix(path: string): HostMatrix {
  const { dimensions, values } = readIdx(path);
  const columns = dimensions.slice(1).reduce((a, b) => a * b, 1);
  return { rows: dimensions[0] as number, columns, values: Float32Array.from(values, (v) => v / 255) };
}
