import { beforeAll, describe } from 'vitest';
import { type Backend, setSeed, use } from '../../backends/index.js';

/** The backends model-level tests run on (tfjs on its cpu device, which always starts). */
export const MODEL_BACKENDS: readonly { readonly label: string; readonly start: () => Promise<Backend> }[] = [
  { label: 'cpu', start: () => use('cpu') },
  { label: 'tfjs-cpu', start: () => use('tfjs', { device: 'cpu' }) },
];

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
