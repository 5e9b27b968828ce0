import { ConfigError } from '../errors/index.js';
import { saveModel } from '../models/index.js';
import type { ImportedModel } from './imported-rbm.js';
import { importLearnergyModel } from './learnergy.js';
import { importPyDeepModel } from './pydeep.js';

/** The libraries whose saved models Relief imports, by the name `relief import --from` takes. */
export const IMPORT_SOURCES = {
  pydeep: importPyDeepModel,
  learnergy: importLearnergyModel,
} as const;

/** `'pydeep'` or `'learnergy'`. */
export type ImportSource = keyof typeof IMPORT_SOURCES;

/**
 * Imports a model saved by another library and saves it as a Relief model directory
 * (`model.json` + `params.safetensors`), with where it came from in the metadata.
 * @param file - the saved model (PyDeep: a pickle, gzipped or not; Learnergy: a torch.save archive)
 * @param source - the library that saved it
 * @param directory - the model directory to write
 * @throws ConfigError for an unknown source; the importer's errors otherwise
 */
export async function importModelToDirectory(file: string, source: string, directory: string): Promise<ImportedModel> {
  if (!Object.hasOwn(IMPORT_SOURCES, source)) {
    throw new ConfigError(`import: --from: expected one of ${Object.keys(IMPORT_SOURCES).join(', ')}, got '${source}'`);
  }
  const imported = await IMPORT_SOURCES[source as ImportSource](file);
  try {
    await saveModel(imported.model, directory, imported.metadata);
  } catch (error) {
    imported.model.dispose();
    throw error;
  }
  return imported;
}
