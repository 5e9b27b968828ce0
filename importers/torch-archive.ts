/**
 * Reads what `torch.save` writes: a zip archive holding `<name>/data.pkl` and one raw file per
 * tensor storage (`<name>/data/<key>`). The pickle is read by the whitelisting unpickler, whose
 * persistent ids (`('storage', torch.FloatStorage, key, location, numel)`) are resolved to the
 * archive's storages, and whose tensors (`torch._utils._rebuild_tensor_v2`) and parameters
 * (`_rebuild_parameter`) become {@link HostArray}s.
 * @packageDocumentation
 */

import { DataError } from '../errors/index.js';
import { decodeElements, type ElementType, elementType, gatherStrided, HostArray } from './host-array.js';
import { atSite, PickleObject, type PickleSite, type PickleValue, PythonGlobal, unexpected } from './pickle-values.js';
import { unpickle, type Whitelist, type WhitelistEntry } from './unpickle.js';
import { readZipEntry, type ZipEntry, zipEntries } from './zip-archive.js';

/** torch's storage classes, by name, and their elements. */
const STORAGE_TYPES: Readonly<Record<string, readonly [ElementType['kind'], number]>> = {
  DoubleStorage: ['f', 8],
  FloatStorage: ['f', 4],
  LongStorage: ['i', 8],
  IntStorage: ['i', 4],
  ShortStorage: ['i', 2],
  CharStorage: ['i', 1],
  ByteStorage: ['u', 1],
  BoolStorage: ['b', 1],
};

/** One storage of the archive, decoded. */
class TorchStorage extends PickleObject {
  constructor(
    readonly key: string,
    readonly elementType: ElementType,
    readonly values: Float64Array,
  ) {
    super();
  }

  describe(): string {
    return `torch storage ${this.key} (${this.values.length} elements)`;
  }
}

function integers(value: PickleValue | undefined, what: string, site: PickleSite): number[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'number')) unexpected(site, what, value);
  return value as number[];
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: readonly PickleValue[], site: PickleSite): HostArray {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof TorchStorage)) unexpected(site, '_rebuild_tensor_v2: a storage', storage);
  if (typeof offset !== 'number') unexpected(site, '_rebuild_tensor_v2: a storage offset', offset);
  const shape = integers(size, '_rebuild_tensor_v2: a size tuple', site);
  const strides = integers(stride, '_rebuild_tensor_v2: a stride tuple', site);
  const values = gatherStrided(storage.values, shape, strides, offset, site);
  return new HostArray('torch.Tensor', storage.elementType, shape, values);
}

/** `_rebuild_parameter(data, requires_grad, backward_hooks[, state])`: the tensor itself. */
function rebuildParameter(args: readonly PickleValue[], site: PickleSite): HostArray {
  const [data] = args;
  if (!(data instanceof HostArray)) unexpected(site, '_rebuild_parameter: a tensor', data);
  return data;
}

/** The whitelist entries of torch's tensors and storages. */
export function torchWhitelist(): [string, WhitelistEntry][] {
  return [
    ['torch._utils._rebuild_tensor_v2', { call: rebuildTensor }],
    ['torch._utils._rebuild_parameter', { call: rebuildParameter }],
    ['torch._utils._rebuild_parameter_with_state', { call: rebuildParameter }],
    ...Object.keys(STORAGE_TYPES).map((name): [string, WhitelistEntry] => [`torch.${name}`, {}]),
  ];
}

/** The storage a persistent id names, read from the archive's `data/` folder. */
function loadStorage(
  id: PickleValue,
  site: PickleSite,
  read: (name: string) => Uint8Array | undefined,
  littleEndian: boolean,
): TorchStorage {
  if (!Array.isArray(id) || id.length !== 5 || id[0] !== 'storage') {
    unexpected(site, "a persistent id ('storage', type, key, location, numel)", id);
  }
  const [, type, key, , numel] = id;
  if (!(type instanceof PythonGlobal) || !(type.name in STORAGE_TYPES)) unexpected(site, 'a torch storage type', type);
  if (typeof key !== 'string' || typeof numel !== 'number') unexpected(site, 'a storage key and element count', key);
  const [kind, size] = STORAGE_TYPES[type.name] as readonly [ElementType['kind'], number];
  const raw = read(`data/${key}`);
  if (raw === undefined)
    throw new DataError(atSite(site, `the pickle names storage ${key}, but the archive has no data/${key}`));
  const elements = elementType(kind, size, littleEndian, site);
  return new TorchStorage(key, elements, decodeElements(raw, elements, numel, site));
}

/**
 * The object `torch.save` wrote into `bytes`, read with `whitelist` plus torch's tensors.
 * @param where - names the file in messages
 * @throws UnsafePickleError for a global off the whitelist; DataError for a corrupt archive
 */
export function readTorchArchive(bytes: Uint8Array, where: string, whitelist: Whitelist): PickleValue {
  const entries = zipEntries(bytes, where);
  const pickleEntry = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (pickleEntry === undefined) {
    throw new DataError(
      `${where}: expected a torch.save archive with a data.pkl, found entries ${entries
        .slice(0, 5)
        .map((e) => e.name)
        .join(', ')}`,
    );
  }
  const prefix = pickleEntry.name.slice(0, -'data.pkl'.length);
  const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
  const read = (name: string) => {
    const entry = byName.get(prefix + name);
    return entry && readZipEntry(bytes, entry, where);
  };
  const byteOrder = read('byteorder');
  const littleEndian = byteOrder === undefined || new TextDecoder().decode(byteOrder).trim() !== 'big';
  return unpickle(readZipEntry(bytes, pickleEntry, where), {
    where: `${where}: ${pickleEntry.name}`,
    whitelist: new Map([...whitelist, ...torchWhitelist()]),
    persistentLoad: (id, site) => loadStorage(id, site, read, littleEndian),
  });
}
