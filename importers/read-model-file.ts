import { readFile } from 'node:fs/promises';
import { DataError } from '../errors/index.js';

/**
 * The bytes of a model file saved by another library.
 * @throws DataError naming the file when it cannot be read
 */
export async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new DataError(`${path}: expected a saved model file, but it cannot be read: ${(error as Error).message}`);
  }
}
