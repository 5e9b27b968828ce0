/**
 * Models saved by PyDeep (`pydeep.misc.io.save_object`: a pickle, gzipped by default) as
 * Relief RBMs. PyDeep's RBMs are centered:
 * `E(v, h) = −(v − o_v)ᵀb_v − (h − o_h)ᵀb_h − (v − o_v)ᵀW(h − o_h)` for binary visible units,
 * `E(v, h) = ½‖(v − o_v − b_v)/σ‖² − (h − o_h)ᵀb_h − ((v − o_v)/σ²)ᵀW(h − o_h)` for Gaussian ones.
 * Expanding the products gives the same energy in Relief's uncentered form up to a constant c:
 * W unchanged, `b_h ← b_h − Wᵀ(o_v/σ²)`, and `b_v ← b_v − W o_h` (binary) or the Gaussian
 * location `m = o_v + b_v − W o_h` with `ln σ²` (Gaussian; σ = 1 for binary units), so
 * PyDeep's `−unnormalized_log_probability_v(v) = F_relief(v) + c`.
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
import { recordOf, unpickle, type WhitelistEntry } from './unpickle.js';

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
    ...[...Object.keys(SUPPORTED), ...UNSUPPORTED].map((name): [string, WhitelistEntry] => [
      `${MODEL_MODULE}.${name}`,
      recordOf(`${MODEL_MODULE}.${name}`),
    ]),
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

/** Σ_i a_i b_i */
function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
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
  const weights = field('w');
  const [numVisible, numHidden] = weights.shape.length === 2 ? weights.shape : [-1, -1];
  const w = valuesOfShape(weights, [numVisible as number, numHidden as number], `${className}.w`, where);
  const row = (name: string, size: number) => valuesOfShape(field(name), [1, size], `${className}.${name}`, where);
  const [bv, ov] = [row('bv', numVisible as number), row('ov', numVisible as number)];
  const [bh, oh] = [row('bh', numHidden as number), row('oh', numHidden as number)];
  const sigma = kind.visible === 'gaussian' ? row('sigma', numVisible as number) : new Float64Array(bv.length).fill(1);
  const badSigma = sigma.findIndex((s) => !(s > 0));
  if (badSigma >= 0) {
    throw new DataError(
      `${where}: ${className}.sigma: expected positive standard deviations, found ${sigma[badSigma]} at index ${badSigma}`,
    );
  }
  const V = numVisible as number;
  const H = numHidden as number;
  // c = W o_h (V) and Wᵀ(o_v/σ²) (H)
  const weightedHiddenOffsets = new Float64Array(V);
  const weightedVisibleOffsets = new Float64Array(H);
  for (let i = 0; i < V; i++) {
    for (let j = 0; j < H; j++) {
      const wij = w[i * H + j] as number;
      weightedHiddenOffsets[i] = (weightedHiddenOffsets[i] as number) + wij * (oh[j] as number);
      weightedVisibleOffsets[j] =
        (weightedVisibleOffsets[j] as number) + (wij * (ov[i] as number)) / (sigma[i] as number) ** 2;
    }
  }
  const hiddenLoc = bh.map((b, j) => b - (weightedVisibleOffsets[j] as number));
  let freeEnergyOffset = dot(oh, bh);
  let visibleLoc: Float64Array;
  if (kind.visible === 'bernoulli') {
    visibleLoc = bv.map((b, i) => b - (weightedHiddenOffsets[i] as number));
    freeEnergyOffset += dot(ov, bv) - dot(ov, weightedHiddenOffsets);
  } else {
    visibleLoc = bv.map((b, i) => (ov[i] as number) + b - (weightedHiddenOffsets[i] as number));
    for (let i = 0; i < V; i++) {
      const c = weightedHiddenOffsets[i] as number;
      freeEnergyOffset += ((bv[i] as number) * c - 0.5 * c * c) / (sigma[i] as number) ** 2;
    }
  }
  const model = importedRBM(
    {
      visible: kind.visible,
      weights: w,
      visibleLoc,
      hiddenLoc,
      ...(kind.visible === 'gaussian' && {
        visibleLogVar: sigma.map((s) => 2 * Math.log(s)),
        fixedLogVar: !kind.learnsVariance,
      }),
    },
    where,
  );
  return {
    model,
    freeEnergyOffset,
    metadata: { importedFrom: { library: 'PyDeep', className, file: where, freeEnergyOffset } },
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
