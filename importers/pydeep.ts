/**
 * Models saved by PyDeep (`pydeep.misc.io.save_object`: a pickle, gzipped by default) as
 * Relief RBMs. PyDeep's RBMs are centered; {@link uncenter} gives the same energy in Relief's
 * uncentered form up to a constant c, so PyDeep's
 * `−unnormalized_log_probability_v(v) = F_relief(v) + c` (c is the import's `freeEnergyOffset`).
 * @packageDocumentation
 */

import { gunzipSync } from 'node:zlib';
import { DataError, UnsupportedError } from '../errors/index.js';
import type { HostArray } from './host-array.js';
import { type ImportedModel, importedRBM, valuesOfShape } from './imported-rbm.js';
import { asHostArray, numpyWhitelist } from './numpy-pickles.js';
import { type PickleValue, PythonObject } from './pickle-values.js';
import { containerWhitelist } from './python-containers.js';
import { readModelFile } from './read-model-file.js';
import { uncenter } from './uncenter.js';
import { recordEntries, unpickle, type WhitelistEntry } from './unpickle.js';

/** The PyDeep classes imported, by class name, and their visible units. */
const SUPPORTED: Readonly<Record<string, { visible: 'bernoulli' | 'gaussian'; learnsVariance: boolean }>> = {
  BinaryBinaryRBM: { visible: 'bernoulli', learnsVariance: false },
  GaussianBinaryRBM: { visible: 'gaussian', learnsVariance: false },
  GaussianBinaryVarianceRBM: { visible: 'gaussian', learnsVariance: true },
};

/** PyDeep's other RBMs: read as records so that the refusal can name them, never imported. */
const UNSUPPORTED = [
  'BinaryBinaryLabelRBM',
  'GaussianBinaryLabelRBM',
  'BinaryRectRBM',
  'RectBinaryRBM',
  'RectRectRBM',
  'GaussianRectRBM',
  'GaussianRectVarianceRBM',
];

const MODEL_MODULE = 'pydeep.rbm.model';

/** The largest pickle gunzipped, in bytes (512 MiB). */
const MAX_PICKLE_BYTES = 2 ** 29;

/** What a PyDeep model pickle may name: its RBM classes (as records), their activation functions, numpy. */
function pydeepWhitelist(): Map<string, WhitelistEntry> {
  return new Map<string, WhitelistEntry>([
    ...numpyWhitelist(),
    ...containerWhitelist(),
    ...recordEntries([...Object.keys(SUPPORTED), ...UNSUPPORTED].map((name) => `${MODEL_MODULE}.${name}`)),
    ['pydeep.base.activationfunction.Sigmoid', {}],
    ['pydeep.base.activationfunction.Identity', {}],
  ]);
}

/** Reads the PyDeep model object of a (possibly gzipped) pickle. */
export function readPyDeepPickle(bytes: Uint8Array, where: string): PickleValue {
  const isGzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  let pickle = bytes;
  if (isGzip) {
    try {
      pickle = gunzipSync(bytes, { maxOutputLength: MAX_PICKLE_BYTES });
    } catch (error) {
      throw new DataError(
        `${where}: expected a gzipped pickle (PyDeep's save_object), but gunzip failed: ${(error as Error).message}`,
      );
    }
  }
  if (pickle[0] === 0x50 && pickle[1] === 0x4b) {
    throw new DataError(
      `${where}: expected a PyDeep pickle, found a zip archive (as torch.save writes: a Learnergy model is read by importLearnergyModel)`,
    );
  }
  return unpickle(pickle, { where, whitelist: pydeepWhitelist() });
}

/**
 * The Relief RBM of a PyDeep model object (see the module notes for the mapping).
 * @param where - names the file in messages
 * @throws UnsupportedError for a PyDeep class without an importer; DataError for missing or misshapen fields
 */
export function pyDeepModelFromObject(object: PickleValue, where: string): ImportedModel {
  if (!(object instanceof PythonObject) || !object.className.startsWith(`${MODEL_MODULE}.`)) {
    throw new DataError(
      `${where}: expected a PyDeep RBM object (${MODEL_MODULE}.*), found ${object instanceof PythonObject ? object.className : typeof object}`,
    );
  }
  const className = object.className.slice(MODEL_MODULE.length + 1);
  const kind = SUPPORTED[className];
  if (kind === undefined) {
    throw new UnsupportedError(
      `${where}: PyDeep's ${className} is not imported (its units have no Relief counterpart with the same energy); expected one of ${Object.keys(SUPPORTED).join(', ')}`,
    );
  }
  const field = (name: string): HostArray => asHostArray(object.attribute(name), `${className}.${name}`, where);
  const weightsArray = field('w');
  const [numVisible = -1, numHidden = -1] = weightsArray.shape.length === 2 ? weightsArray.shape : [];
  const weights = valuesOfShape(weightsArray, [numVisible, numHidden], `${className}.w`, where);
  const row = (name: string, size: number) => valuesOfShape(field(name), [1, size], `${className}.${name}`, where);
  const sigma = kind.visible === 'gaussian' ? row('sigma', numVisible) : undefined;
  const badSigma = sigma?.findIndex((s) => !(s > 0)) ?? -1;
  if (badSigma >= 0) {
    throw new DataError(
      `${where}: ${className}.sigma: expected positive standard deviations, found ${sigma?.[badSigma]} at index ${badSigma}`,
    );
  }
  const [visibleOffset, hiddenOffset] = [row('ov', numVisible), row('oh', numHidden)];
  const { visibleLoc, hiddenLoc, energyOffset } = uncenter({
    visible: kind.visible,
    weights,
    visibleBias: row('bv', numVisible),
    hiddenBias: row('bh', numHidden),
    visibleOffset,
    hiddenOffset,
    ...(sigma && { sigma }),
  });
  const model = importedRBM(
    {
      visible: kind.visible,
      weights,
      visibleLoc,
      hiddenLoc,
      ...(sigma && { visibleLogVar: sigma.map((s) => 2 * Math.log(s)), fixedLogVar: !kind.learnsVariance }),
    },
    where,
  );
  // F_pydeep(v) = −ln Σ_h exp(−E_relief(v, h) − c) = F_relief(v) + c
  return {
    model,
    freeEnergyOffset: energyOffset,
    ...(kind.visible === 'bernoulli' && { centeringOffsets: [visibleOffset, hiddenOffset] }),
    metadata: { importedFrom: { library: 'PyDeep', className, file: where, freeEnergyOffset: energyOffset } },
  };
}

/**
 * A PyDeep RBM saved with `pydeep.misc.io.save_object` (gzipped or plain pickle) as a Relief
 * model. The pickle is read by a whitelisting reader that runs nothing from the file.
 * @param path - the saved file
 * @throws UnsafePickleError for a pickle that names anything but PyDeep's RBMs and numpy arrays;
 * UnsupportedError for PyDeep models without an importer; DataError for corrupt files
 */
export async function importPyDeepModel(path: string): Promise<ImportedModel> {
  return pyDeepModelFromObject(readPyDeepPickle(await readModelFile(path), path), path);
}
