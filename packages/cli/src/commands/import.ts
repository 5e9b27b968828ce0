import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ready } from 'relief/backends';
import { ConfigError } from 'relief/errors';
import { IMPORT_SOURCES, importModelToDirectory } from 'relief/importers';
import { MODEL_FILE } from 'relief/models';

/** Options of `relief import`. */
export interface ImportOptions {
  /** The library that saved the file: `pydeep` or `learnergy`. */
  readonly from: string;
  /** The Relief model directory to write. */
  readonly out: string;
  /** Replace a model already in `out` (otherwise refused). */
  readonly force?: boolean;
}

/** The names `--from` takes. */
export const IMPORT_SOURCE_NAMES = Object.keys(IMPORT_SOURCES);

/**
 * `relief import`: a model saved by PyDeep or Learnergy as a Relief model directory. Refuses an
 * `out` that already holds a model unless `force`.
 * @returns what the report prints: the directory, the source class, the layers and the free-energy offset
 */
export async function importModel(file: string, options: ImportOptions): Promise<Record<string, number | string>> {
  if (!options.force && existsSync(join(options.out, MODEL_FILE))) {
    throw new ConfigError(
      `--out ${options.out}: expected a new folder, found a saved model (${MODEL_FILE}); pass --force to replace it, or choose another --out`,
    );
  }
  await ready();
  const { model, freeEnergyOffset, metadata } = await importModelToDirectory(file, options.from, options.out);
  const layers = model.layers.map((layer) => `${layer.type} ${layer.numUnits}`).join(' → ');
  model.dispose();
  const source = metadata.importedFrom as { library: string; className: string };
  return {
    model: options.out,
    importedFrom: `${source.library} ${source.className}`,
    layers,
    freeEnergyOffset,
  };
}
