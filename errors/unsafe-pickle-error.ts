import { DataError } from './index.js';

/**
 * A pickle asked for a Python global (a function or class to call or reference) that is not on
 * the reader's whitelist; nothing from the file is run. The message names the module and the
 * global, the opcode and its byte offset.
 */
export class UnsafePickleError extends DataError {
  override readonly name: string = 'UnsafePickleError';
}
