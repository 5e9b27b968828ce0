/**
 * A whitelisting reader of Python pickles (protocols 2–5). It interprets the opcodes that
 * plain containers, numbers, strings, bytes and reduced objects need, and never runs anything
 * the file names: every global (GLOBAL, STACK_GLOBAL, INST) is looked up in a whitelist of
 * TypeScript functions, and a name not on it is refused before anything is built. Every read
 * is checked against the bytes left, so truncated or malformed input is a `DataError` naming
 * the byte offset; every opcode consumes at least one byte, so reading ends.
 * @packageDocumentation
 */

import { DataError } from '../errors/index.js';
import { UnsafePickleError } from '../errors/unsafe-pickle-error.js';
import {
  atSite,
  describeValue,
  latin1Decode,
  type PickleSite,
  type PickleValue,
  PythonGlobal,
  PythonObject,
  unexpected,
} from './pickle-values.js';

/**
 * What the whitelist lets a global do. `call`: REDUCE may call it with its argument tuple
 * (a TypeScript function that builds data); `instantiate`: NEWOBJ, NEWOBJ_EX, OBJ and INST may
 * make an instance of it (usually a {@link PythonObject} record); neither: it may only be named
 * as a value (a dtype's scalar type, a default factory), and calling it is refused.
 */
export interface WhitelistEntry {
  readonly call?: (args: readonly PickleValue[], site: PickleSite) => PickleValue;
  readonly instantiate?: (args: readonly PickleValue[], site: PickleSite) => PickleValue;
}

/** The globals a pickle may name, by `module.name` (modules as Python 3 spells them). */
export type Whitelist = ReadonlyMap<string, WhitelistEntry>;

/** How to read one pickle. */
export interface UnpickleOptions {
  /** Names the file in messages. */
  readonly where: string;
  readonly whitelist: Whitelist;
  /** Resolves a persistent id (PERSID, BINPERSID), e.g. torch's storages; without it, they are refused. */
  readonly persistentLoad?: (id: PickleValue, site: PickleSite) => PickleValue;
  /** Protocol 5's out-of-band buffers, in the order NEXT_BUFFER takes them. */
  readonly buffers?: readonly Uint8Array[];
}

/** Python 2 module names that protocol 2 writes for Python 3's (`fix_imports`). */
const MODULE_ALIASES: Readonly<Record<string, string>> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
};

/** Longest LONG1/LONG4 integer read, in bytes. */
const MAX_LONG_BYTES = 64;

/** Returned by an opcode handler to end the reading (STOP). */
const STOPPED = Symbol('stopped');

/** Marks where a MARK opcode was on the stack. */
const MARK_SENTINEL = Symbol('mark');

type StackItem = PickleValue | typeof MARK_SENTINEL;

/** The reading state of one pickle. */
class Machine {
  private position = 0;
  /** Offset of the opcode being interpreted, for messages. */
  private opcodeOffset = 0;
  private readonly stack: StackItem[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private nextBuffer = 0;
  private result: PickleValue | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {}

  get site(): PickleSite {
    return { where: this.options.where, offset: this.opcodeOffset };
  }

  run(): PickleValue {
    const first = this.bytes[0];
    if (first !== 0x80) {
      throw new DataError(
        atSite(
          { where: this.options.where, offset: 0 },
          `expected a pickle of protocol 2 to 5 (starting with PROTO, 0x80), found ${first === undefined ? 'an empty file' : `byte 0x${first.toString(16)}`}`,
        ),
      );
    }
    while (this.result === undefined) {
      this.opcodeOffset = this.position;
      const code = this.take(1)[0] as number;
      const handler = OPCODES.get(code);
      if (handler === undefined) {
        throw new DataError(atSite(this.site, `unknown or unsupported opcode 0x${code.toString(16)}`));
      }
      if (handler(this) === STOPPED) break;
    }
    return this.result as PickleValue;
  }

  /** The next `count` bytes. @throws DataError when fewer are left */
  take(count: number): Uint8Array {
    const left = this.bytes.length - this.position;
    if (!Number.isSafeInteger(count) || count < 0 || count > left) {
      throw new DataError(
        atSite(
          this.site,
          `truncated pickle: expected ${count} more bytes, found ${left} (the file ends at byte ${this.bytes.length})`,
        ),
      );
    }
    const slice = this.bytes.subarray(this.position, this.position + count);
    this.position += count;
    return slice;
  }

  /** An unsigned little-endian integer of `size` bytes (1, 2, 4 or 8). */
  unsigned(size: 1 | 2 | 4 | 8): number {
    const raw = this.take(size);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + (raw[i] as number);
    return value;
  }

  /** A 4-byte signed little-endian integer. */
  signed32(): number {
    const raw = this.take(4);
    return new DataView(raw.buffer, raw.byteOffset, 4).getInt32(0, true);
  }

  /** Text up to the next newline (GLOBAL, INST, PERSID). */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.position);
    if (end < 0) throw new DataError(atSite(this.site, 'truncated pickle: expected a line ending in \\n'));
    const text = latin1Decode(this.bytes.subarray(this.position, end));
    this.position = end + 1;
    return text;
  }

  utf8(length: number): string {
    const raw = this.take(length);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new DataError(atSite(this.site, `expected a UTF-8 string of ${length} bytes, found invalid UTF-8`));
    }
  }

  push(value: PickleValue): void {
    this.stack.push(value);
  }

  pop(): PickleValue {
    const value = this.stack.pop();
    if (value === undefined || value === MARK_SENTINEL) {
      throw new DataError(
        atSite(
          this.site,
          `malformed pickle: expected a value on the stack, found ${value === undefined ? 'an empty stack' : 'a MARK'}`,
        ),
      );
    }
    return value;
  }

  top(): PickleValue {
    const value = this.pop();
    this.stack.push(value);
    return value;
  }

  mark(): void {
    this.stack.push(MARK_SENTINEL);
  }

  /** The values above the topmost MARK, which is removed. */
  popMark(): PickleValue[] {
    const at = this.stack.lastIndexOf(MARK_SENTINEL);
    if (at < 0) throw new DataError(atSite(this.site, 'malformed pickle: expected a MARK on the stack, found none'));
    const items = this.stack.splice(at) as PickleValue[];
    items.shift();
    return items;
  }

  memoize(key: number): void {
    this.memo.set(key, this.top());
  }

  memoGet(key: number): void {
    const value = this.memo.get(key);
    if (value === undefined)
      throw new DataError(atSite(this.site, `malformed pickle: memo entry ${key} was never stored`));
    this.push(value);
  }

  get memoSize(): number {
    return this.memo.size;
  }

  stop(): typeof STOPPED {
    this.result = this.pop();
    return STOPPED;
  }

  /** The whitelisted global `module.name`, as a value. @throws UnsafePickleError */
  global(module: string, name: string, opcode: string): PythonGlobal {
    const canonical = MODULE_ALIASES[module] ?? module;
    if (!this.options.whitelist.has(`${canonical}.${name}`)) {
      throw new UnsafePickleError(
        atSite(
          this.site,
          `${opcode} names the Python global ${canonical}.${name}, which is not on the whitelist of what this reader builds; nothing in the file was run`,
        ),
      );
    }
    return new PythonGlobal(canonical, name);
  }

  entry(callable: PickleValue, what: string): { global: PythonGlobal; entry: WhitelistEntry } {
    if (!(callable instanceof PythonGlobal)) unexpected(this.site, `${what}: a whitelisted global`, callable);
    return { global: callable, entry: this.options.whitelist.get(callable.qualifiedName) as WhitelistEntry };
  }

  /** REDUCE: calls a whitelisted function. @throws UnsafePickleError when it may only be named */
  reduce(callable: PickleValue, args: PickleValue): PickleValue {
    const { global, entry } = this.entry(callable, 'REDUCE');
    if (!Array.isArray(args)) unexpected(this.site, `REDUCE: the argument tuple of ${global.qualifiedName}`, args);
    if (entry.call === undefined) {
      throw new UnsafePickleError(
        atSite(this.site, `REDUCE calls ${global.qualifiedName}, which this reader only lets a pickle name, not call`),
      );
    }
    return entry.call(args, this.site);
  }

  /** NEWOBJ, OBJ, INST: an instance of a whitelisted class. @throws UnsafePickleError */
  instantiate(cls: PickleValue, args: PickleValue, opcode: string): PickleValue {
    const { global, entry } = this.entry(cls, opcode);
    if (!Array.isArray(args)) unexpected(this.site, `${opcode}: the argument tuple of ${global.qualifiedName}`, args);
    if (entry.instantiate === undefined) {
      throw new UnsafePickleError(
        atSite(this.site, `${opcode} makes an instance of ${global.qualifiedName}, which this reader does not build`),
      );
    }
    return entry.instantiate(args, this.site);
  }

  build(state: PickleValue): void {
    const target = this.top();
    // A dict subclass's instance attributes (OrderedDict, defaultdict) are not kept.
    if (target instanceof Map) return;
    if (typeof target === 'object' && target !== null && 'setState' in target) {
      target.setState(state, this.site);
    } else {
      unexpected(this.site, 'BUILD: an object that takes state', target);
    }
  }

  persistent(id: PickleValue): PickleValue {
    if (this.options.persistentLoad === undefined) {
      throw new UnsafePickleError(
        atSite(
          this.site,
          `the pickle refers to an outside object by persistent id (${describeValue(id)}), which this file type has none of`,
        ),
      );
    }
    return this.options.persistentLoad(id, this.site);
  }

  outOfBandBuffer(): Uint8Array {
    const buffer = this.options.buffers?.[this.nextBuffer];
    if (buffer === undefined) {
      throw new DataError(
        atSite(
          this.site,
          `NEXT_BUFFER: expected out-of-band buffer ${this.nextBuffer}, found ${this.options.buffers?.length ?? 0} buffers given`,
        ),
      );
    }
    this.nextBuffer += 1;
    return buffer;
  }
}

/** A tuple: a frozen array. */
function tuple(items: PickleValue[]): PickleValue[] {
  return Object.freeze(items) as PickleValue[];
}

/** A little-endian two's-complement integer of any width, as a number when exact, else a bigint. */
function littleEndianInteger(raw: Uint8Array): number | bigint {
  if (raw.length === 0) return 0;
  let value = 0n;
  for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i] as number);
  if ((raw[raw.length - 1] as number) & 0x80) value -= 1n << BigInt(8 * raw.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function appendTo(machine: Machine, list: PickleValue, items: readonly PickleValue[]): void {
  if (!Array.isArray(list) || Object.isFrozen(list)) unexpected(machine.site, 'APPEND(S): a list', list);
  for (const item of items) list.push(item);
}

function setItems(machine: Machine, dict: PickleValue, items: readonly PickleValue[]): void {
  if (!(dict instanceof Map)) unexpected(machine.site, 'SETITEM(S): a dict', dict);
  if (items.length % 2 !== 0)
    throw new DataError(atSite(machine.site, `SETITEMS: expected key–value pairs, found ${items.length} items`));
  for (let i = 0; i < items.length; i += 2) dict.set(items[i] as PickleValue, items[i + 1] as PickleValue);
}

function addItems(machine: Machine, set: PickleValue, items: readonly PickleValue[]): void {
  if (!(set instanceof Set)) unexpected(machine.site, 'ADDITEMS: a set', set);
  for (const item of items) set.add(item);
}

function longInteger(machine: Machine, length: number): void {
  if (length > MAX_LONG_BYTES) {
    throw new DataError(
      atSite(machine.site, `expected an integer of at most ${MAX_LONG_BYTES} bytes, found ${length}`),
    );
  }
  machine.push(littleEndianInteger(machine.take(length)));
}

function stackGlobal(machine: Machine): void {
  const name = machine.pop();
  const module = machine.pop();
  if (typeof module !== 'string' || typeof name !== 'string') {
    unexpected(machine.site, 'STACK_GLOBAL: a module and a name (two str)', typeof module === 'string' ? name : module);
  }
  machine.push(machine.global(module, name, 'STACK_GLOBAL'));
}

function newObjectEx(machine: Machine): void {
  const keywords = machine.pop();
  const args = machine.pop();
  const cls = machine.pop();
  if (!(keywords instanceof Map) || keywords.size > 0)
    unexpected(machine.site, 'NEWOBJ_EX: no keyword arguments', keywords);
  machine.push(machine.instantiate(cls, args, 'NEWOBJ_EX'));
}

/** Interprets one opcode; returns {@link STOPPED} at STOP. */
type Handler = (machine: Machine) => unknown;

/** The opcodes read, by byte. Opcodes of protocols 0 and 1 that writers of 2–5 never emit are absent. */
const OPCODES = new Map<number, Handler>([
  [0x80, (m) => void m.take(1)], // PROTO
  [0x95, (m) => void m.unsigned(8)], // FRAME: a hint for buffered readers
  [0x2e, (m) => m.stop()], // STOP
  [0x28, (m) => m.mark()], // MARK
  [0x30, (m) => void m.pop()], // POP
  [0x31, (m) => void m.popMark()], // POP_MARK
  [0x32, (m) => m.push(m.top())], // DUP
  [0x4e, (m) => m.push(null)], // NONE
  [0x88, (m) => m.push(true)], // NEWTRUE
  [0x89, (m) => m.push(false)], // NEWFALSE
  [0x4a, (m) => m.push(m.signed32())], // BININT
  [0x4b, (m) => m.push(m.unsigned(1))], // BININT1
  [0x4d, (m) => m.push(m.unsigned(2))], // BININT2
  [0x8a, (m) => longInteger(m, m.unsigned(1))], // LONG1
  [0x8b, (m) => longInteger(m, m.signed32())], // LONG4
  [
    0x47, // BINFLOAT
    (m) => {
      const raw = m.take(8);
      m.push(new DataView(raw.buffer, raw.byteOffset, 8).getFloat64(0, false));
    },
  ],
  [0x55, (m) => m.push(latin1Decode(m.take(m.unsigned(1))))], // SHORT_BINSTRING
  [0x54, (m) => m.push(latin1Decode(m.take(m.signed32())))], // BINSTRING
  [0x8c, (m) => m.push(m.utf8(m.unsigned(1)))], // SHORT_BINUNICODE
  [0x58, (m) => m.push(m.utf8(m.unsigned(4)))], // BINUNICODE
  [0x8d, (m) => m.push(m.utf8(m.unsigned(8)))], // BINUNICODE8
  [0x43, (m) => m.push(m.take(m.unsigned(1)).slice())], // SHORT_BINBYTES
  [0x42, (m) => m.push(m.take(m.unsigned(4)).slice())], // BINBYTES
  [0x8e, (m) => m.push(m.take(m.unsigned(8)).slice())], // BINBYTES8
  [0x96, (m) => m.push(m.take(m.unsigned(8)).slice())], // BYTEARRAY8
  [0x97, (m) => m.push(m.outOfBandBuffer())], // NEXT_BUFFER
  [0x98, () => undefined], // READONLY_BUFFER
  [0x5d, (m) => m.push([])], // EMPTY_LIST
  [0x6c, (m) => m.push(m.popMark())], // LIST
  [
    0x61, // APPEND
    (m) => {
      const item = m.pop();
      appendTo(m, m.top(), [item]);
    },
  ],
  [
    0x65, // APPENDS
    (m) => {
      const items = m.popMark();
      appendTo(m, m.top(), items);
    },
  ],
  [0x29, (m) => m.push(tuple([]))], // EMPTY_TUPLE
  [0x74, (m) => m.push(tuple(m.popMark()))], // TUPLE
  [0x85, (m) => m.push(tuple([m.pop()]))], // TUPLE1
  [
    0x86, // TUPLE2
    (m) => {
      const second = m.pop();
      m.push(tuple([m.pop(), second]));
    },
  ],
  [
    0x87, // TUPLE3
    (m) => {
      const third = m.pop();
      const second = m.pop();
      m.push(tuple([m.pop(), second, third]));
    },
  ],
  [0x7d, (m) => m.push(new Map())], // EMPTY_DICT
  [
    0x64, // DICT
    (m) => {
      const dict = new Map<PickleValue, PickleValue>();
      setItems(m, dict, m.popMark());
      m.push(dict);
    },
  ],
  [
    0x73, // SETITEM
    (m) => {
      const value = m.pop();
      const key = m.pop();
      setItems(m, m.top(), [key, value]);
    },
  ],
  [
    0x75, // SETITEMS
    (m) => {
      const items = m.popMark();
      setItems(m, m.top(), items);
    },
  ],
  [0x8f, (m) => m.push(new Set())], // EMPTY_SET
  [
    0x90, // ADDITEMS
    (m) => {
      const items = m.popMark();
      addItems(m, m.top(), items);
    },
  ],
  [0x91, (m) => m.push(Object.freeze(new Set(m.popMark())))], // FROZENSET
  [
    0x63, // GLOBAL
    (m) => {
      const module = m.line();
      m.push(m.global(module, m.line(), 'GLOBAL'));
    },
  ],
  [0x93, stackGlobal], // STACK_GLOBAL
  [
    0x52, // REDUCE
    (m) => {
      const args = m.pop();
      m.push(m.reduce(m.pop(), args));
    },
  ],
  [
    0x81, // NEWOBJ
    (m) => {
      const args = m.pop();
      m.push(m.instantiate(m.pop(), args, 'NEWOBJ'));
    },
  ],
  [0x92, newObjectEx], // NEWOBJ_EX
  [
    0x6f, // OBJ
    (m) => {
      const [cls, ...args] = m.popMark();
      m.push(m.instantiate(cls ?? null, tuple(args), 'OBJ'));
    },
  ],
  [
    0x69, // INST
    (m) => {
      const module = m.line();
      const cls = m.global(module, m.line(), 'INST');
      m.push(m.instantiate(cls, tuple(m.popMark()), 'INST'));
    },
  ],
  [0x62, (m) => m.build(m.pop())], // BUILD
  [0x70, (m) => m.memoize(Number(m.line()))], // PUT
  [0x71, (m) => m.memoize(m.unsigned(1))], // BINPUT
  [0x72, (m) => m.memoize(m.unsigned(4))], // LONG_BINPUT
  [0x94, (m) => m.memoize(m.memoSize)], // MEMOIZE
  [0x67, (m) => m.memoGet(Number(m.line()))], // GET
  [0x68, (m) => m.memoGet(m.unsigned(1))], // BINGET
  [0x6a, (m) => m.memoGet(m.unsigned(4))], // LONG_BINGET
  [0x50, (m) => m.push(m.persistent(m.line()))], // PERSID
  [0x51, (m) => m.push(m.persistent(m.pop()))], // BINPERSID
]);

/**
 * Reads one pickle, building only what `options.whitelist` allows.
 * @param bytes - the whole pickle
 * @throws UnsafePickleError naming a global that is not whitelisted; DataError (with the byte
 * offset) for truncated or malformed input
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  return new Machine(bytes, options).run();
}

/**
 * Whitelist entries that make each class's instances records ({@link PythonObject}: the class
 * name and, after BUILD, its `__dict__`), never running the class's code.
 * @param classNames - qualified names, `module.Class`
 */
export function recordEntries(classNames: readonly string[]): [string, WhitelistEntry][] {
  return classNames.map((name) => [name, { instantiate: () => new PythonObject(name) }]);
}
