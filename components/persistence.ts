/**
 * Saving and loading ICA and PCA models as model directories: `model.json` with
 * `{ format: 'relief-component', kind, ... }` and `params.safetensors`, written atomically
 * by the models' `writeModelDirectory` and validated in full on loading.
 * @packageDocumentation
 */
import * as z from 'zod';
import { be } from '../backends/index.js';
import { DataError, formatShape } from '../errors/index.js';
import {
  decodeSafetensors,
  MODEL_FILE,
  parseModelText,
  readModelDirectory,
  type TensorData,
  writeModelDirectory,
} from '../models/index.js';
import { parseWith } from '../validation/index.js';
import { ICA } from './ica.js';
import { PCAModel } from './pca-model.js';
import { ICA_PRIORS } from './priors.js';

/** The `format` field of a saved component model's `model.json`. */
export const COMPONENT_FORMAT = 'relief-component';

const descriptionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    format: z.literal(COMPONENT_FORMAT),
    kind: z.literal('ica'),
    prior: z.enum(ICA_PRIORS),
    numComponents: z.int().min(1),
    metadata: z.record(z.string(), z.unknown()).default({}),
  }),
  z.strictObject({
    format: z.literal(COMPONENT_FORMAT),
    kind: z.literal('pca'),
    numColumns: z.int().min(1),
    numComponents: z.int().min(1),
    residualVariance: z.number().min(0),
    whiten: z.boolean(),
    metadata: z.record(z.string(), z.unknown()).default({}),
  }),
]);

/** Writes an ICA: W as `unmixing` (n, n). */
export async function saveICA(model: ICA, directory: string, metadata: Record<string, unknown> = {}): Promise<void> {
  const n = model.numComponents;
  await writeModelDirectory(
    directory,
    { format: COMPONENT_FORMAT, kind: 'ica', prior: model.prior, numComponents: n, metadata },
    { unmixing: { shape: [n, n], data: await be.read(model.unmixing) } },
  );
}

/** Writes a PCA model: `mean` (n), `basis` (n, k), `variances` (k). */
export async function savePCA(
  model: PCAModel,
  directory: string,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  const { mean, basis, variances, residualVariance, whiten } = model.statistics;
  const [n, k] = [model.numColumns, model.numComponents];
  await writeModelDirectory(
    directory,
    { format: COMPONENT_FORMAT, kind: 'pca', numColumns: n, numComponents: k, residualVariance, whiten, metadata },
    {
      mean: { shape: [n], data: mean },
      basis: { shape: [n, k], data: basis },
      variances: { shape: [k], data: variances },
    },
  );
}

/**
 * Reads an ICA saved by {@link saveICA}.
 * @throws ConfigError for a `model.json` of another kind; DataError for a missing, misshapen or non-finite tensor
 */
export async function loadICA(directory: string): Promise<{ model: ICA; metadata: Record<string, unknown> }> {
  const { description, tensor } = await readComponent(directory, 'ica');
  if (description.kind !== 'ica') throw new DataError(`loadICA: ${directory} holds a ${description.kind} model`);
  const n = description.numComponents;
  const unmixing = tensor('unmixing', [n, n]);
  return { model: ICA.fromUnmixing(be.tensor(unmixing, [n, n]), description.prior), metadata: description.metadata };
}

/**
 * Reads a PCA model saved by {@link savePCA}.
 * @throws ConfigError for a `model.json` of another kind; DataError for a missing, misshapen or non-finite tensor
 */
export async function loadPCA(directory: string): Promise<{ model: PCAModel; metadata: Record<string, unknown> }> {
  const { description, tensor } = await readComponent(directory, 'pca');
  if (description.kind !== 'pca') throw new DataError(`loadPCA: ${directory} holds a ${description.kind} model`);
  const { numColumns: n, numComponents: k, residualVariance, whiten, metadata } = description;
  const model = new PCAModel({
    mean: tensor('mean', [n]),
    basis: tensor('basis', [n, k]),
    variances: tensor('variances', [k]),
    residualVariance,
    whiten,
  });
  return { model, metadata };
}

/** Reads and validates `model.json` (its `kind` must be `kind`) and returns a checked reader of the tensors. */
async function readComponent(directory: string, kind: 'ica' | 'pca') {
  const { modelPath, paramsPath, modelText, paramsBytes } = await readModelDirectory(directory);
  const description = parseWith(
    descriptionSchema.refine((d) => d.kind === kind, { message: `expected a saved ${kind} model` }),
    parseModelText(modelText, modelPath),
    modelPath,
  );
  const names = kind === 'ica' ? ['unmixing'] : ['basis', 'mean', 'variances'];
  const { tensors } = decodeSafetensors(paramsBytes, `load: ${paramsPath}`, { names, describedBy: MODEL_FILE });
  const tensor = (name: string, shape: readonly number[]): Float32Array => {
    const { shape: found, data } = tensors.get(name) as TensorData;
    if (formatShape(found) !== formatShape(shape)) {
      throw new DataError(
        `load: ${paramsPath}: tensor '${name}' has shape ${formatShape(found)}, expected ${formatShape(shape)}`,
      );
    }
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DataError(`load: ${paramsPath}: tensor '${name}' is ${data[bad]} at index ${bad}`);
    return data;
  };
  return { description, tensor };
}
