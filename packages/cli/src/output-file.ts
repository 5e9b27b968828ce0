/** Checks on the files a command writes, made before it does any work. */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from 'relief/errors';

/**
 * Refuses an output file whose folder does not exist (or is not a folder).
 * @param option - the option that named it, e.g. `--out` @throws ConfigError naming the option and the folder
 */
export function checkOutputFolder(path: string, option: string): void {
  const folder = dirname(resolve(path));
  const found = statSync(folder, { throwIfNoEntry: false });
  if (found?.isDirectory()) return;
  throw new ConfigError(
    `${option} ${path}: expected an existing folder to write into, found ${found ? 'a file' : 'nothing'} at ${folder}; create it first, or choose another ${option}`,
  );
}
