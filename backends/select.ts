import * as z from 'zod';
import { ConfigError } from '../errors/index.js';
import { parseWith } from '../validation/index.js';
import type { Backend } from './backend.js';
import { resolveSettings } from './config.js';
import { SeededRandom } from './random.js';
import { type BackendOptionsByName, type BackendStartOptions, backendFactory, checkDevice } from './registry.js';
import type { RandomWords } from './types.js';

/** What every backend is started with: a device and a seed. */
export type UseOptions = {
  /** One of the backend's devices (e.g. tfjs: `webgpu`, `wasm`, `cpu`); default: the backend's own. */
  readonly device?: string;
  /** Seed for the backend's random generator (else the one from {@link setSeed}, else random). */
  readonly seed?: number;
};

/**
 * The options of `backends.use(name)`: {@link UseOptions} and the backend's own, as its file
 * declares them (e.g. `cpu`: its `CpuBackendOptions`); any key for a backend Relief does not know.
 */
export type UseOptionsOf<Name extends string> = UseOptions &
  (Name extends keyof BackendOptionsByName ? BackendOptionsByName[Name] : { readonly [option: string]: unknown });

let active: Backend | undefined;
let globalSeed: number | undefined;
const host = new SeededRandom(Math.floor(Math.random() * 2 ** 32));

const commonOptions = {
  device: z.string().optional(),
  seed: z.number().int().min(0).optional(),
};

/**
 * The start options of registered backend `name`: `options` checked against the backend's own
 * schema (unknown keys refused), its device against the registry, and a seed filled in.
 * @throws ConfigError naming the option, the backend and what it takes
 */
function startOptions(name: string, options: UseOptions): BackendStartOptions {
  const where = `backends.use('${name}')`;
  const factory = backendFactory(name, 'backends.use: name');
  const schema = z.strictObject({ ...commonOptions, ...factory.options?.shape });
  const checked = parseWith(schema, options, where) as UseOptions;
  if (checked.device !== undefined) checkDevice(name, checked.device, `${where}: device`);
  return { ...checked, seed: checked.seed ?? globalSeed ?? Math.floor(Math.random() * 2 ** 32) };
}

/**
 * Makes the registered backend `name` the one every model uses from now on (programmatic
 * choice beats `RELIEF_BACKEND` and `relief.config.json`). Call it before making tensors:
 * tensors of the previous backend do not move.
 * @throws ConfigError for an unregistered name or a device the backend lacks
 * @throws BackendUnavailableError when the backend or device cannot run here
 */
export async function use<Name extends string>(name: Name, options?: UseOptionsOf<Name>): Promise<Backend> {
  const started = startOptions(name, options ?? {});
  active = await backendFactory(name, 'backends.use: name').create(started);
  return active;
}

/**
 * The backend in use, starting the configured one (env, then config file, then cpu) if
 * none was chosen yet. Always safe to await before the first tensor.
 */
export async function ready(): Promise<Backend> {
  if (active) return active;
  const settings = resolveSettings();
  return use(settings.backend, {
    ...(settings.device && { device: settings.device }),
    ...(settings.seed !== undefined && globalSeed === undefined && { seed: settings.seed }),
  });
}

/**
 * The backend in use. Without a prior {@link use} or {@link ready}, starts the configured
 * backend synchronously, which only backends with a synchronous start (cpu, float64) can do.
 * @throws ConfigError when the configured backend needs `await backends.ready()` first
 */
export function current(): Backend {
  if (active) return active;
  const settings = resolveSettings();
  const factory = backendFactory(settings.backend, settings.source);
  if (factory.createSync === undefined) {
    throw new ConfigError(
      `backend '${settings.backend}' (from ${settings.source}) starts asynchronously: call \`await backends.ready()\` ` +
        `or \`await backends.use('${settings.backend}', ...)\` before making tensors`,
    );
  }
  const seed = settings.seed ?? globalSeed;
  active = factory.createSync(
    startOptions(settings.backend, {
      ...(settings.device && { device: settings.device }),
      ...(seed !== undefined && { seed }),
    }),
  );
  return active;
}

/**
 * Seeds every random operation: the backend in use now, and any started later. The same
 * seed on the same backend gives the same samples.
 */
export function setSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) {
    throw new ConfigError(`backends.setSeed: expected a non-negative integer, got ${seed}`);
  }
  globalSeed = seed;
  active?.setSeed(seed);
  host.reseed(seed ^ 0x5bd1e995);
}

/**
 * A host-side generator for the few draws that run in JavaScript (e.g. the Gamma/Poisson
 * steps of the driven inverse temperature), reseeded by {@link setSeed} on a stream of its
 * own, so runs stay reproducible.
 */
export function hostRandom(): SeededRandom {
  return host;
}

/** Where every random stream of a process stands: the backend's generator and the host one. */
export interface RandomStates {
  readonly backend: RandomWords;
  readonly host: RandomWords;
}

/** The state of the backend in use's generator and of {@link hostRandom}, for a checkpoint. */
export function randomStates(): RandomStates {
  return { backend: current().randomState(), host: host.exportState() };
}

/** Continues both random streams from {@link randomStates} (e.g. when a run resumes). */
export function setRandomStates(states: RandomStates): void {
  current().setRandomState(states.backend);
  host.importState(states.host);
}

const boundMethods = new Map<PropertyKey, unknown>();
let boundFor: Backend | undefined;

/**
 * The backend in use, as one object model code imports once: every property read goes to
 * {@link current}, so switching with {@link use} takes effect everywhere.
 */
export const be: Backend = new Proxy({} as Backend, {
  get(_target, property) {
    const backend = current();
    if (boundFor !== backend) {
      boundMethods.clear();
      boundFor = backend;
    }
    const cached = boundMethods.get(property);
    if (cached !== undefined) return cached;
    const value = Reflect.get(backend, property, backend) as unknown;
    if (typeof value !== 'function') return value;
    const bound = (value as (...args: unknown[]) => unknown).bind(backend);
    boundMethods.set(property, bound);
    return bound;
  },
});
