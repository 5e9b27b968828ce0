/**
 * Importers of models saved by other libraries: PyDeep's centered RBMs (pickles) and
 * Learnergy's RBMs (`torch.save` archives), read by a whitelisting unpickler that runs nothing
 * from the file, as Relief `BoltzmannMachine`s with the same energy.
 * @packageDocumentation
 * @module relief/importers
 */

export { UnsafePickleError } from '../errors/unsafe-pickle-error.js';
export { type ElementType, HostArray } from './host-array.js';
export { IMPORT_SOURCES, type ImportSource, importModelToDirectory } from './import-model.js';
export { type ImportedModel, importedRBM, type RBMParameters } from './imported-rbm.js';
export { importLearnergyModel, learnergyModelFromObject, readLearnergyArchive } from './learnergy.js';
export { asHostArray, numpyWhitelist } from './numpy-pickles.js';
export { PickleObject, type PickleSite, type PickleValue, PythonGlobal, PythonObject } from './pickle-values.js';
export { importPyDeepModel, pyDeepModelFromObject, readPyDeepPickle } from './pydeep.js';
export { containerWhitelist } from './python-containers.js';
export { readTorchArchive, torchWhitelist } from './torch-archive.js';
export { recordEntries, type UnpickleOptions, unpickle, type Whitelist, type WhitelistEntry } from './unpickle.js';
export { readZipEntry, type ZipEntry, zipEntries } from './zip-archive.js';
