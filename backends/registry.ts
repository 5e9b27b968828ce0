import type * as z from 'zod';
import { ConfigError } from '../errors/index.js';
import { didYouMean } from '../validation/index.js';
import type { Backend } from './backend.js';

/**
 * Each backend's own options by name, filled by declaration merging in the backend's file so
 * `backends.use(name, options)` type-checks them:
 * ```ts
 * declare module '../registry.js' { interface BackendOptionsByName { cpu: CpuBackendOptions } }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each backend's file
export interface BackendOptionsByName {}

/** What a backend is started with: a device (for backends that have several) and a seed. */
export interface BackendStartOptions {
  /** One of the factory's `devices`; absent means its `defaultDevice`. */
  readonly device?: string;
  /** Seed of the backend's random generator. */
  readonly seed: number;
  /** The backend's own options from `backends.use`, already checked against its factory's `options` schema. */
  readonly [option: string]: unknown;
}

/**
 * How to make one backend. Registering a factory is all it takes for the selection
 * (`backends.use`, `RELIEF_BACKEND`, `relief.config.json`), the run config, the CLI's
 * options and help, and the test helpers to know the backend.
 */
export interface BackendFactory {
  /** One line for help texts. */
  readonly description: string;
  /** Devices to choose from (empty: the backend has no device choice). */
  readonly devices: readonly string[];
  /** The device used when none is asked for (ignored when `devices` is empty). */
  readonly defaultDevice?: string;
  /**
   * The backend's own options besides `device` and `seed`, as a strict zod object: `backends.use`
   * refuses any other key and any bad value before `create` runs. Absent: the backend takes none.
   */
  readonly options?: z.ZodObject;
  /** Starts the backend. @throws BackendUnavailableError when it cannot run here */
  create(options: BackendStartOptions): Promise<Backend>;
  /** Starts the backend synchronously, where it can (so `be` works without `await backends.ready()`). */
  createSync?(options: BackendStartOptions): Backend;
}

const factories = new Map<string, BackendFactory>();

/**
 * Makes a backend selectable by `name`. Registering a name twice replaces the factory
 * (useful for a development build of a backend).
 */
export function registerBackend(name: string, factory: BackendFactory): void {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new ConfigError(`registerBackend: expected a lower-case name like 'cpu', got ${JSON.stringify(name)}`);
  }
  factories.set(name, factory);
}

/** The names of the registered backends, in registration order. */
export function registeredBackends(): string[] {
  return [...factories.keys()];
}

function quoted(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

/** The factory registered as `name`. @throws ConfigError naming the registered backends; `where` names the field */
export function backendFactory(name: unknown, where: string): BackendFactory {
  const factory = typeof name === 'string' ? factories.get(name) : undefined;
  if (factory === undefined) {
    throw new ConfigError(
      `${where}: expected one of ${quoted(registeredBackends())}, got ${JSON.stringify(name)}${didYouMean(name, registeredBackends())}`,
    );
  }
  return factory;
}

/** Checks that `device` is one of backend `name`'s devices. @throws ConfigError naming them; `where` names the field */
export function checkDevice(name: string, device: unknown, where: string): string {
  const factory = backendFactory(name, where);
  if (factory.devices.length === 0) {
    const withDevices = registeredBackends().filter((n) => (factories.get(n)?.devices.length ?? 0) > 0);
    throw new ConfigError(
      `${where}: backend '${name}' has no devices (backends with devices: ${quoted(withDevices)}), got ${JSON.stringify(device)}`,
    );
  }
  if (typeof device !== 'string' || !factory.devices.includes(device)) {
    throw new ConfigError(
      `${where}: expected one of ${quoted(factory.devices)}, got ${JSON.stringify(device)}${didYouMean(device, factory.devices)}`,
    );
  }
  return device;
}

/** The backend that owns `device` when only a device is named (the first registered one that lists it). */
export function backendForDevice(device: unknown, where: string): string {
  const owner = registeredBackends().find((n) => factories.get(n)?.devices.includes(device as string));
  if (owner === undefined) {
    const all = [...new Set(registeredBackends().flatMap((n) => factories.get(n)?.devices ?? []))];
    throw new ConfigError(`${where}: expected one of ${quoted(all)}, got ${JSON.stringify(device)}`);
  }
  return owner;
}

/** `cpu | tfjs | …` and each backend's devices, for CLI help. */
export function describeBackends(): { names: string; devices: string } {
  const names = registeredBackends();
  const devices = names
    .filter((n) => (factories.get(n)?.devices.length ?? 0) > 0)
    .map((n) => `${n}: ${factories.get(n)?.devices.join(' | ')}`);
  return { names: names.join(' | '), devices: devices.join('; ') };
}
