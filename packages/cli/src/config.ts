/**
 * The run config's data for `relief train`: the schema, validation and model builders live in
 * the library (`relief/config`); reading the data source needs `@relief/data`, so it lives here.
 */
import { loadDataset, readCsv, readIdx, readNpy } from '@relief/data';
import { type HostMatrix, transformByName } from 'relief/batch';
import type { RunConfig } from 'relief/config';

export { buildMethod, buildModel, buildOptimizer, parseRunConfig, type RunConfig } from 'relief/config';

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
