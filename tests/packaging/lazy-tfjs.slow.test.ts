/**
 * TensorFlow.js stays unloaded until a tfjs device is started: `import 'relief'` in a fresh
 * Node process loads no `@tensorflow/*` module, and starting `tfjs` on its cpu device does.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadedTensorflowModules } from './loaded-modules.js';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const entry = pathToFileURL(fileURLToPath(new URL('../../index.ts', import.meta.url))).href;
const fromSources = { nodeArgs: ['--import', 'tsx'] } as const;

describe('lazy TensorFlow.js', () => {
  it("import 'relief' loads no @tensorflow module", () => {
    const loaded = loadedTensorflowModules(repository, entry, fromSources);
    expect(loaded.exports).toBeGreaterThan(10);
    expect(loaded.modules).toEqual([]);
  });

  it('starting the tfjs backend loads tfjs-core and the cpu device', () => {
    const loaded = loadedTensorflowModules(repository, entry, { ...fromSources, start: 'tfjs' });
    expect(loaded.modules).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/@tensorflow[\\/]tfjs-core[\\/]/),
        expect.stringMatching(/@tensorflow[\\/]tfjs-backend-cpu[\\/]/),
      ]),
    );
  });
});
