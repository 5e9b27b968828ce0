import { beforeAll, describe } from 'vitest';
import { type Backend, backendFactory, registeredBackends, setSeed, use } from '../../backends/index.js';

/** The backends model-level tests run on: every registered backend on its default device. */
export const MODEL_BACKENDS: readonly { readonly label: string; readonly start: () => Promise<Backend> }[] =
  registeredBackends().map((name) => {
    const device = backendFactory(name, 'model backends').defaultDevice;
    return { label: device ? `${name}-${device}` : name, start: () => use(name, device ? { device } : {}) };
  });

/** Runs `body` once per backend in {@link MODEL_BACKENDS}, with that backend in use and seeded. */
export function describeOnBackends(title: string, body: (label: string) => void): void {
  for (const { label, start } of MODEL_BACKENDS) {
    describe(`${title} [${label}]`, () => {
      beforeAll(async () => {
        await start();
        setSeed(1234);
      });
      body(label);
    });
  }
}
