/**
 * Saving and loading DBNs and fine-tuned classifiers, in the same directory layout as
 * Boltzmann machines (`model.json` + `params.safetensors`, written atomically under a lock):
 * `format` is `relief-dbn` or `relief-classifier`. Label RBMs are Boltzmann machines and use
 * `saveModel`/`loadModel`.
 * @packageDocumentation
 */
import * as z from 'zod';
import { ConfigError } from '../errors/index.js';
import { applyParameterConfig, weightsConfigSchema } from '../layers/index.js';
import {
  type BoltzmannMachine,
  checkParamsBytes,
  describedCounts,
  describedParameterCount,
  describeModel,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  modelFromDescription,
  type NamedParameter,
  parseModelText,
  readModelDirectory,
  readParameters,
  type SavedPaths,
  setParameters,
  writeModelDirectory,
} from '../models/index.js';
import { parseWith, show } from '../validation/index.js';
import { DeepBeliefNetwork } from './dbn.js';
import { ACTIVATIONS, DenseLayer } from './dense.js';
import { FeedForwardNetwork } from './network.js';

/** The `format` of a saved DBN. */
export const DBN_FORMAT = 'relief-dbn';
/** The `format` of a saved classifier. */
export const CLASSIFIER_FORMAT = 'relief-classifier';

/** Metadata saved beside the parameters (training history, run config, …). @inline */
type Metadata = Record<string, unknown>;

const parameterFields = weightsConfigSchema.omit({ shape: true }).shape;

function classifierSchema() {
  return z.strictObject({
    format: z.literal(CLASSIFIER_FORMAT),
    formatVersion: z.literal(MODEL_FORMAT_VERSION),
    activation: z.enum(ACTIVATIONS),
    layers: z.array(z.strictObject({ inputs: z.int().min(1), outputs: z.int().min(1), ...parameterFields })).min(1),
    metadata: z.record(z.string(), z.unknown()).default({}),
  });
}

function dbnSchema() {
  return z.strictObject({
    format: z.literal(DBN_FORMAT),
    formatVersion: z.literal(MODEL_FORMAT_VERSION),
    rbms: z.array(z.strictObject({ layers: z.array(z.unknown()), connections: z.array(z.unknown()) })).min(1),
    residual: z.strictObject({ original: z.number().min(0), residual: z.number().min(0) }).optional(),
    metadata: z.record(z.string(), z.unknown()).default({}),
  });
}

/** Saves a fine-tuned classifier (see the module notes). @throws DivergenceError for non-finite parameters */
export async function saveClassifier(network: FeedForwardNetwork, directory: string, metadata: Metadata = {}) {
  const description = {
    format: CLASSIFIER_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    activation: network.activation,
    layers: network.layers.map((layer) => ({
      inputs: layer.numInputs,
      outputs: layer.numOutputs,
      fixedParams: layer.fixedParams,
      penalties: Object.fromEntries(
        [...layer.penalties].map(([name, p]) => [name, { type: p.type, coefficient: p.coefficient }]),
      ),
    })),
    metadata,
  };
  await writeModelDirectory(directory, description, await readParameters(network.namedParameters()));
}

/** Saves a DBN (see the module notes). @throws DivergenceError for non-finite parameters */
export async function saveDeepBeliefNetwork(dbn: DeepBeliefNetwork, directory: string, metadata: Metadata = {}) {
  const description = {
    format: DBN_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    rbms: dbn.rbms.map((rbm) => {
      const { layers, connections } = describeModel(rbm);
      return { layers, connections };
    }),
    ...(dbn.residual && { residual: dbn.residual }),
    metadata,
  };
  await writeModelDirectory(directory, description, await readParameters(dbn.namedParameters()));
}

/**
 * Loads a classifier saved by {@link saveClassifier}, validated in full as `loadModel` does.
 * @throws DataError for missing or corrupt files; ConfigError for an invalid `model.json`
 */
export async function loadClassifier(directory: string): Promise<{ network: FeedForwardNetwork; metadata: Metadata }> {
  const { description, paths, paramsBytes } = await readDescription(directory, CLASSIFIER_FORMAT);
  const layers = (description as { layers?: unknown }).layers;
  const inputs = describedCounts(layers, 'inputs');
  const outputs = describedCounts(layers, 'outputs');
  if (inputs && outputs) {
    const needed = inputs.reduce((sum, n, i) => sum + n * (outputs[i] as number) + (outputs[i] as number), 0);
    checkParamsBytes(
      needed,
      `dense layers of ${inputs.map((n, i) => `${n}→${outputs[i]}`).join(', ')}`,
      paramsBytes.length,
      paths,
    );
  }
  const fields = parseWith(classifierSchema(), description, `${paths.modelPath}:`);
  const dense = fields.layers.map((entry, i) => {
    const layer = new DenseLayer(entry.inputs, entry.outputs);
    applyParameterConfig(layer, entry, `${paths.modelPath}: layers[${i}]`);
    return layer;
  });
  let network: FeedForwardNetwork;
  try {
    network = new FeedForwardNetwork(dense, { activation: fields.activation });
  } catch (error) {
    for (const layer of dense) layer.dispose();
    throw new ConfigError(`${paths.modelPath}: ${(error as Error).message}`, { cause: error });
  }
  loadInto(network.namedParameters(), () => network.dispose(), paramsBytes, paths);
  return { network, metadata: fields.metadata };
}

/**
 * Loads a DBN saved by {@link saveDeepBeliefNetwork}, validated in full as `loadModel` does.
 * @throws DataError for missing or corrupt files; ConfigError for an invalid `model.json`
 */
export async function loadDeepBeliefNetwork(
  directory: string,
): Promise<{ dbn: DeepBeliefNetwork; metadata: Metadata }> {
  const { description, paths, paramsBytes } = await readDescription(directory, DBN_FORMAT);
  const rbmDescriptions = (description as { rbms?: unknown }).rbms;
  if (Array.isArray(rbmDescriptions)) {
    const needed = rbmDescriptions.map(describedParameterCount);
    if (needed.every((described) => described !== undefined)) {
      const total = needed.reduce((sum, described) => sum + (described?.count ?? 0), 0);
      const units = needed.map((described) => described?.units.join('-')).join(', ');
      checkParamsBytes(total, `RBMs of ${units} units`, paramsBytes.length, paths);
    }
  }
  const fields = parseWith(dbnSchema(), description, `${paths.modelPath}:`);
  const rbms: BoltzmannMachine[] = [];
  let dbn: DeepBeliefNetwork;
  try {
    fields.rbms.forEach((rbm, i) => {
      rbms.push(
        modelFromDescription(
          { format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, ...rbm },
          `${paths.modelPath}: rbms[${i}]`,
        ),
      );
    });
    dbn = new DeepBeliefNetwork(rbms, fields.residual ? { residual: fields.residual } : {});
  } catch (error) {
    for (const rbm of rbms) rbm.dispose();
    throw error;
  }
  loadInto(dbn.namedParameters(), () => dbn.dispose(), paramsBytes, paths);
  return { dbn, metadata: fields.metadata };
}

/** Reads a saved directory and checks its `format` before anything else. */
async function readDescription(directory: string, format: string) {
  const { modelPath, paramsPath, modelText, paramsBytes } = await readModelDirectory(directory);
  const description = parseModelText(modelText, modelPath);
  const found = (description as { format?: unknown } | null)?.format;
  if (found !== format) {
    throw new ConfigError(`${modelPath}: format: expected '${format}', got ${show(found)}`);
  }
  return { description, paramsBytes, paths: { modelPath, paramsPath } as SavedPaths };
}

/** Sets the parameters from the params file, freeing the new object on failure. */
function loadInto(parameters: NamedParameter[], dispose: () => void, paramsBytes: Uint8Array, paths: SavedPaths) {
  try {
    setParameters(parameters, paramsBytes, paths.paramsPath);
  } catch (error) {
    dispose();
    throw error;
  }
}
