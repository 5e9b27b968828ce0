/**
 * A page can bundle the library: nothing `import 'relief'` reaches imports a Node built-in
 * statically (a page cannot load `node:path`, and one such import stops the whole bundle from
 * loading). Node-only code imports them with `import()` where it runs.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('the browser bundle of relief has no static import of a Node built-in', async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../../index.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: ['webgpu', '@tensorflow/tfjs-node', 'node:*'],
  });
  const staticNodeImports = Object.entries(result.metafile.inputs).flatMap(([file, input]) =>
    input.imports
      .filter(({ path, kind }) => path.startsWith('node:') && kind === 'import-statement')
      .map(({ path }) => `${file} imports ${path}`),
  );
  expect(staticNodeImports).toEqual([]);
}, 30_000);
