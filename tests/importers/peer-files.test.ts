/**
 * The importers on damaged and foreign files: a truncated or mutated PyDeep pickle or Learnergy
 * archive is a typed error (never a RangeError or a hang), and a model class without an
 * importer is refused by name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { use } from '../../backends/index.js';
import { DataError, ReliefError, UnsupportedError } from '../../errors/index.js';
import {
  type ImportedModel,
  importLearnergyModel,
  learnergyModelFromObject,
  PythonObject,
  pyDeepModelFromObject,
  readLearnergyArchive,
  readPyDeepPickle,
  zipEntries,
} from '../../importers/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/importers/', import.meta.url));
const fixture = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));

/** Builds a model from a peer's file; only Relief's typed errors may escape. */
function importOrTypedError(load: () => ImportedModel): void {
  try {
    load().model.dispose();
  } catch (error) {
    if (!(error instanceof ReliefError)) throw error;
  }
}

describe('peer files', () => {
  beforeAll(async () => {
    await use('cpu');
  });

  it('refuses model classes without an importer, naming the class and what is supported', () => {
    expect(() => pyDeepModelFromObject(new PythonObject('pydeep.rbm.model.BinaryRectRBM'), 'rect.pickle')).toThrow(
      new UnsupportedError(
        "rect.pickle: PyDeep's BinaryRectRBM is not imported (its units have no Relief counterpart with the same energy); expected one of BinaryBinaryRBM, GaussianBinaryRBM, GaussianBinaryVarianceRBM",
      ),
    );
    expect(() =>
      learnergyModelFromObject(new PythonObject('learnergy.models.gaussian.gaussian_rbm.GaussianReluRBM'), 'relu.pth'),
    ).toThrow(/relu\.pth: Learnergy's learnergy\.models\.gaussian\.gaussian_rbm\.GaussianReluRBM is not imported/);
  });

  it('says which field is missing or misshapen', () => {
    const object = readPyDeepPickle(fixture('pydeep-binary-binary.pickle.gz'), 'rbm.pickle') as PythonObject;
    (object.state as Map<string, unknown>).delete('oh');
    expect(() => pyDeepModelFromObject(object, 'rbm.pickle')).toThrow(
      new DataError('rbm.pickle: BinaryBinaryRBM.oh: expected a numeric array, found nothing'),
    );
  });

  it('names a file that is not a torch archive', async () => {
    await expect(importLearnergyModel(join(fixtures, 'pydeep-binary-binary.json'))).rejects.toThrow(
      /pydeep-binary-binary\.json: expected a zip archive \(as torch\.save writes\)/,
    );
  });

  it('reads the central directory of a torch.save archive', () => {
    const names = zipEntries(fixture('learnergy-rbm.pth'), 'rbm.pth').map((entry) => entry.name);
    expect(names).toEqual(expect.arrayContaining(['learnergy-rbm/data.pkl', 'learnergy-rbm/data/0']));
  });

  it('throws only typed errors on truncated or mutated peer files', () => {
    const archive = fixture('learnergy-gaussian-rbm.pth');
    // the gunzipped PyDeep pickle, so that mutations reach the opcodes
    const pickle = new Uint8Array(gunzipSync(fixture('pydeep-gaussian-binary.pickle.gz')));
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        (cut, mutations) => {
          for (const [bytes, load] of [
            [archive, (b: Uint8Array) => learnergyModelFromObject(readLearnergyArchive(b, 'a.pth'), 'a.pth')],
            [pickle, (b: Uint8Array) => pyDeepModelFromObject(readPyDeepPickle(b, 'a.pickle'), 'a.pickle')],
          ] as const) {
            importOrTypedError(() => load(bytes.subarray(0, cut % (bytes.length + 1))));
            const mutated = bytes.slice();
            for (const [at, byte] of mutations) mutated[at % mutated.length] = byte;
            importOrTypedError(() => load(mutated));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
