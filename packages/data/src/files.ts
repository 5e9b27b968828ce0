import { readFileSync } from 'node:fs';
import { DataError } from 'relief/errors';

/** The bytes of a file. @throws DataError naming the file and the reason (e.g. ENOENT) */
export function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new DataError(`${path}: cannot read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, {
      cause,
    });
  }
}
