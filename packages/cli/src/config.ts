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
  splitLabelColumn,
  transformByName,
} from 'relief/batch';
import type { RunConfig } from 'relief/config';
import { DataError } from 'relief/errors';

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
 * The data a config names, transformed, for a split of the source ('train' or 'test'), then
 * mapped by a saved model's fitted `preprocessing` when given.
 */
export async function loadRunData(
  config: RunConfig,
  split: 'train' | 'test' = 'train',
  preprocessing?: Preprocessing,
): Promise<HostMatrix> {
  const { source, limit } = config.data;
  const matrix =
    source === 'mnist' || source === 'fashion-mnist'
      ? await loadDataset(source, { split, scale: true, ...(limit !== undefined && { limit }) })
      : fileMatrix(config);
  const transformed = transformByName(config.data.transform, 'data.transform')(matrix);
  return preprocessing ? preprocessing.transform(transformed) : transformed;
}

/**
 * The config's `data.preprocessing` fitted on the rows of `data` that train (the split
 * `InMemoryBatch` makes with the config's seed), or undefined when the config has none.
 */
export async function fitRunPreprocessing(config: RunConfig, data: HostMatrix): Promise<Preprocessing | undefined> {
  const steps = config.data.preprocessing;
  if (steps === undefined) return undefined;
  const split = new InMemoryBatch(data, {
    batchSize: config.train.batchSize,
    trainFraction: config.data.trainFraction,
    seed: config.seed,
  });
  return Preprocessing.fit(steps, split.hostMatrix('train'));
}

/**
 * The labelled data of a `task: 'classify'` config: the data set's labels, or for csv and npy
 * files the `classify.labelColumn` split off each row. The transform applies to the inputs.
 */
export async function loadRunLabelledData(config: RunConfig, split: 'train' | 'test' = 'train'): Promise<LabelledData> {
  const { source, limit } = config.data;
  let data: LabelledData;
  if (source === 'mnist' || source === 'fashion-mnist') {
    data = await loadLabelledDataset(source, { split, scale: true, ...(limit !== undefined && { limit }) });
  } else if (source === 'idx') {
    throw new DataError(
      "data.source: 'idx' files hold no labels; use mnist, fashion-mnist, csv or npy for task 'classify'",
    );
  } else {
    data = splitLabelColumn(fileMatrix(config), config.classify.labelColumn);
  }
  return { ...data, inputs: transformByName(config.data.transform, 'data.transform')(data.inputs) };
}

/** The matrix in `data.path`, cut to `data.limit` rows. */
function fileMatrix(config: RunConfig): HostMatrix {
  const { source, path, limit } = config.data;
  const file = path as string;
  const matrix = source === 'csv' ? readCsv(file) : source === 'npy' ? readNpy(file) : idxMatrix(file);
  if (limit === undefined || limit >= matrix.rows) return matrix;
  return { ...matrix, rows: limit, values: matrix.values.subarray(0, limit * matrix.columns) };
}

function idxMatrix(path: string): HostMatrix {
  const { dimensions, values } = readIdx(path);
  const columns = dimensions.slice(1).reduce((a, b) => a * b, 1);
  return { rows: dimensions[0] as number, columns, values: Float32Array.from(values, (v) => v / 255) };
}
