import { ConfigError } from '../errors/index.js';
import { unknownKeyMessage } from '../validation/index.js';
import { backendFactory, backendForDevice, checkDevice } from './registry.js';

/** The name of the file searched for from the working directory upward. */
export const CONFIG_FILE_NAME = 'relief.config.json';

/** The keys a `relief.config.json` may hold. */
const CONFIG_FILE_KEYS: readonly string[] = ['backend', 'device', 'seed'];

/** A backend choice and where it came from (for messages). */
export interface BackendSettings {
  /** A registered backend name. */
  readonly backend: string;
  /** One of that backend's devices, where it has a choice. */
  readonly device?: string;
  /** Seed applied when the backend starts. */
  readonly seed?: number;
  /** `'env'`, the config file's path, or `'default'`. */
  readonly source: string;
}

function parseSeed(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw new ConfigError(`${where}: expected a non-negative integer, got ${JSON.stringify(value)}`);
}

/** The settings in a parsed `relief.config.json`; `path` names the file in errors. */
export function parseConfigFile(contents: unknown, path: string): BackendSettings {
  if (typeof contents !== 'object' || contents === null || Array.isArray(contents)) {
    throw new ConfigError(`${path}: expected a JSON object, got ${JSON.stringify(contents)}`);
  }
  const fields = contents as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !CONFIG_FILE_KEYS.includes(key));
  if (unknown !== undefined) {
    throw new ConfigError(`${path}: ${unknown}: ${unknownKeyMessage(unknown, fields, CONFIG_FILE_KEYS)}`);
  }
  const backend = fields.backend ?? 'cpu';
  backendFactory(backend, `${path}: backend`);
  const device =
    fields.device === undefined ? undefined : checkDevice(backend as string, fields.device, `${path}: device`);
  const seed = fields.seed === undefined ? undefined : parseSeed(fields.seed, `${path}: seed`);
  return { backend: backend as string, ...(device && { device }), ...(seed !== undefined && { seed }), source: path };
}

/** The settings from `RELIEF_BACKEND` / `RELIEF_DEVICE`, or undefined when unset. */
export function settingsFromEnv(env: Record<string, string | undefined>): BackendSettings | undefined {
  const name = env.RELIEF_BACKEND;
  const device = env.RELIEF_DEVICE;
  if (!name && !device) return undefined;
  if (name) backendFactory(name, 'RELIEF_BACKEND');
  const backend = name || backendForDevice(device, 'RELIEF_DEVICE');
  return { backend, ...(device && { device: checkDevice(backend, device, 'RELIEF_DEVICE') }), source: 'env' };
}

/** Minimal synchronous file system the search needs (Node's `fs`). */
interface FileSystem {
  existsSync(path: string): boolean;
  readFileSync(path: string, encoding: 'utf8'): string;
}

/** Finds `relief.config.json` from `startDirectory` upward and parses it, or returns undefined. */
export function settingsFromConfigFile(fs: FileSystem, startDirectory: string): BackendSettings | undefined {
  let directory = startDirectory.replace(/[\\/]+$/, '') || '/';
  for (;;) {
    const path = `${directory === '/' ? '' : directory}/${CONFIG_FILE_NAME}`;
    if (fs.existsSync(path)) {
      let contents: unknown;
      try {
        contents = JSON.parse(fs.readFileSync(path, 'utf8'));
      } catch (cause) {
        throw new ConfigError(`${path}: not valid JSON (${(cause as Error).message})`, { cause });
      }
      return parseConfigFile(contents, path);
    }
    const parent = directory.replace(/[\\/][^\\/]*$/, '') || '/';
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/**
 * The settings in force without a programmatic choice: `RELIEF_BACKEND`/`RELIEF_DEVICE`,
 * else `relief.config.json` found from the working directory upward, else cpu. In a browser
 * (no `process`) only the default applies.
 */
export function resolveSettings(): BackendSettings {
  if (typeof process === 'undefined' || !process.versions?.node) return { backend: 'cpu', source: 'default' };
  const fromEnv = settingsFromEnv(process.env);
  if (fromEnv) return fromEnv;
  const fs = process.getBuiltinModule?.('node:fs') as FileSystem | undefined;
  const fromFile = fs ? settingsFromConfigFile(fs, process.cwd()) : undefined;
  return fromFile ?? { backend: 'cpu', source: 'default' };
}
