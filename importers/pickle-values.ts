/**
 * The values the whitelisting unpickler builds: plain data, and objects made only by the
 * whitelist's own TypeScript code (never by anything named in the file).
 * @packageDocumentation
 */

import { DataError } from '../errors/index.js';

/**
 * A Python value read from a pickle: None, bools, numbers (ints beyond 2⁵³ as bigint), str,
 * bytes, lists and tuples (arrays; tuples frozen), dicts (Maps, keys by identity for
 * non-primitive keys), sets, and {@link PickleObject}s.
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleValue, PickleValue>
  | Set<PickleValue>
  | PickleObject;

/** Where in a pickle something happened, for messages: the file and the opcode's byte offset. */
export interface PickleSite {
  readonly where: string;
  readonly offset: number;
}

/** `where: byte N: message`, the prefix of every pickle error. */
export function atSite(site: PickleSite, message: string): string {
  return `${site.where}: byte ${site.offset}: ${message}`;
}

/** A malformed pickle value where `expected` was needed. @throws DataError */
export function unexpected(site: PickleSite, expected: string, found: PickleValue | undefined): never {
  throw new DataError(atSite(site, `expected ${expected}, found ${describeValue(found)}`));
}

/** Bytes as latin-1 text, one character per byte (unlike TextDecoder's 'latin1', which is windows-1252). */
export function latin1Decode(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/** The bytes of latin-1 text (how Python 2 byte strings are read), or undefined when a character is beyond U+00FF. */
export function latin1Encode(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) return undefined;
    bytes[i] = code;
  }
  return bytes;
}

/** A short description of a value's Python type for messages. */
export function describeValue(value: PickleValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'None';
  if (typeof value === 'boolean') return `bool ${value ? 'True' : 'False'}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `number ${value}`;
  if (typeof value === 'string') return `str of length ${value.length}`;
  if (value instanceof Uint8Array) return `bytes of length ${value.length}`;
  if (Array.isArray(value)) return `${Object.isFrozen(value) ? 'tuple' : 'list'} of length ${value.length}`;
  if (value instanceof Map) return `dict of ${value.size} entries`;
  if (value instanceof Set) return `set of ${value.size} items`;
  return value.describe();
}

/**
 * An object the whitelist makes (a numpy array, a dtype, a torch storage, a record of a
 * whitelisted class). BUILD hands it its state through {@link PickleObject.setState}.
 */
export abstract class PickleObject {
  /** What it is, for messages (`numpy.ndarray float64 [6, 4]`). */
  abstract describe(): string;

  /** BUILD: takes the pickled state; refuses by default. @throws DataError */
  setState(_state: PickleValue, site: PickleSite): void {
    throw new DataError(atSite(site, `BUILD: ${this.describe()} takes no state`));
  }
}

/** A Python global the whitelist lets the file name (a class or function), never called by itself. */
export class PythonGlobal extends PickleObject {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {
    super();
  }

  /** `module.name` */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }

  describe(): string {
    return `global ${this.qualifiedName}`;
  }
}

/**
 * An instance of a whitelisted class, reduced to data: its class's qualified name and the
 * state BUILD gave it (its `__dict__`, a Map from attribute names, or null before BUILD).
 */
export class PythonObject extends PickleObject {
  state: PickleValue = null;

  constructor(readonly className: string) {
    super();
  }

  describe(): string {
    return `${this.className} object`;
  }

  /** `__dict__` or `(__dict__, slots)`: the slot values join the attributes. */
  override setState(state: PickleValue, site: PickleSite): void {
    if (Array.isArray(state) && state.length === 2) {
      const [attributes, slots] = state;
      const merged = new Map<PickleValue, PickleValue>();
      for (const part of [attributes, slots]) {
        if (part === null) continue;
        if (!(part instanceof Map)) unexpected(site, `BUILD state of ${this.className}: a dict or None`, part);
        for (const [key, value] of part) merged.set(key, value);
      }
      this.state = merged;
      return;
    }
    if (!(state instanceof Map)) unexpected(site, `BUILD state of ${this.className}: a dict`, state);
    this.state = state;
  }

  /** The attribute `name` of its `__dict__`, if any. */
  attribute(name: string): PickleValue | undefined {
    return this.state instanceof Map ? this.state.get(name) : undefined;
  }
}
