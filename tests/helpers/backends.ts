import { beforeAll, describe } from 'vitest';
import { type Backend, backendFactory, registeredBackends, setSeed, use } from '../../backends/index.js';
import { seedFromName } from './seed-from-name.js';

/** A backend a test block runs on: its label (`name` or `name-device`) and how to start it. */
export interface TestBackend {
  readonly label: string;
  readonly start: () => Promise<Backend>;
}

/** Every registered backend on its default device: what the backends tier proves against float64. */
export const EVERY_BACKEND: readonly TestBackend[] = registeredBackends().map((name) => {
  const device = backendFactory(name, 'test backends').defaultDevice;
  return { label: device ? `${name}-${device}` : name, start: () => use(name, device ? { device } : {}) };
});

/**
 * The backends model-level tests run on: the float64 oracle and cpu. Every other backend is
 * proven against float64 by the backends tier (the shared suite, the training reference, the
 * memory and resume tests), which runs on {@link EVERY_BACKEND}.
 */
export const MODEL_BACKENDS: readonly TestBackend[] = EVERY_BACKEND.filter(({ label }) =>
  ['float64', 'cpu'].includes(label),
);

/**
 * Runs `body` once per backend in `backends` (default {@link MODEL_BACKENDS}), with that backend
 * in use; the block's own hooks draw from a seed made from its title.
 */
export function describeOnBackends(
  title: string,
  body: (label: string) => void,
  backends: readonly TestBackend[] = MODEL_BACKENDS,
): void {
  for (const { label, start } of backends) {
    describe(`${title} [${label}]`, () => {
      beforeAll(async () => {
        await start();
        setSeed(seedFromName(`${title} [${label}]`));
      });
      body(label);
    });
  }
}
