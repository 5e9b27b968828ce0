/**
 * What of Python's standard library a pickle may build: `OrderedDict` and `defaultdict` (read
 * as dicts), `set` and `frozenset` and bytes (`_codecs.encode(text, 'latin1')`) as protocol 2
 * writes them, and `dict` and `list` as default factories that are named, never called.
 * @packageDocumentation
 */

import { latin1Encode, type PickleSite, type PickleValue, unexpected } from './pickle-values.js';
import type { WhitelistEntry } from './unpickle.js';

/** `OrderedDict()` or `OrderedDict([(key, value), …])`. */
function orderedDict(args: readonly PickleValue[], site: PickleSite): Map<PickleValue, PickleValue> {
  const dict = new Map<PickleValue, PickleValue>();
  const [pairs] = args;
  if (pairs === undefined) return dict;
  if (!Array.isArray(pairs)) unexpected(site, 'OrderedDict: a list of pairs', pairs);
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) unexpected(site, 'OrderedDict: a (key, value) pair', pair);
    dict.set(pair[0] as PickleValue, pair[1] as PickleValue);
  }
  return dict;
}

/** `set(items)` / `frozenset(items)`. */
function set(args: readonly PickleValue[], site: PickleSite): Set<PickleValue> {
  const [items] = args;
  if (items === undefined) return new Set();
  if (!Array.isArray(items)) unexpected(site, 'set: a list of items', items);
  return new Set(items);
}

/** `_codecs.encode(text, 'latin1')`: protocol 2's spelling of bytes. */
function latin1Bytes(args: readonly PickleValue[], site: PickleSite): Uint8Array {
  const [text, encoding] = args;
  const bytes = typeof text === 'string' && encoding === 'latin1' ? latin1Encode(text) : undefined;
  if (bytes === undefined) unexpected(site, "_codecs.encode(str, 'latin1') of latin-1 text", text);
  return bytes;
}

/** The whitelist entries of Python's containers and protocol 2's bytes. */
export function containerWhitelist(): [string, WhitelistEntry][] {
  return [
    ['collections.OrderedDict', { call: orderedDict }],
    ['collections.defaultdict', { call: () => new Map() }],
    ['builtins.set', { call: set }],
    ['builtins.frozenset', { call: set }],
    ['builtins.dict', {}],
    ['builtins.list', {}],
    ['_codecs.encode', { call: latin1Bytes }],
  ];
}
