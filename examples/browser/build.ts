/**
 * Builds the browser page into `examples/browser/dist` (or a given folder): an esbuild bundle
 * of main.ts with a binarized MNIST subset inlined, and index.html. `--serve` then serves it on
 * http://127.0.0.1:8080 (`npm run browser`).
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '@relief/data';
import { build, type Plugin } from 'esbuild';
import { packBits } from './bits.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Training images the page carries: 2 000 digits are 196 kB packed. */
export const SUBSET_ROWS = 2000;

/** The virtual module `mnist-subset`: the first {@link SUBSET_ROWS} MNIST training digits, binarized and packed. */
function mnistSubsetPlugin(): Plugin {
  return {
    name: 'mnist-subset',
    setup(builder) {
      builder.onResolve({ filter: /^mnist-subset$/ }, () => ({ path: 'mnist-subset', namespace: 'mnist-subset' }));
      builder.onLoad({ filter: /.*/, namespace: 'mnist-subset' }, async () => {
        const digits = await loadDataset('mnist', { split: 'train', binarize: true, limit: SUBSET_ROWS });
        const base64 = Buffer.from(packBits(digits.values)).toString('base64');
        return {
          loader: 'js',
          contents:
            `export const MNIST_SUBSET_ROWS = ${digits.rows};\n` +
            `export const mnistSubset = Uint8Array.from(atob('${base64}'), (c) => c.charCodeAt(0));\n`,
        };
      });
    },
  };
}

/** Bundles the page into `outdir`. @returns the folder */
export async function buildPage(outdir = join(here, 'dist')): Promise<string> {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [join(here, 'main.ts')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'warning',
    plugins: [mnistSubsetPlugin()],
    // Node-only paths (Dawn, tfjs-node, files) are never reached in a page.
    external: ['webgpu', '@tensorflow/tfjs-node', 'node:*'],
  });
  copyFileSync(join(here, 'index.html'), join(outdir, 'index.html'));
  return outdir;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** Serves a built page's folder on 127.0.0.1 (`port` 0: any free one). @returns the server, listening */
export async function servePage(folder: string, port = 8080): Promise<ReturnType<typeof createServer>> {
  const server = createServer((request, response) => {
    const path = normalize(new URL(request.url ?? '/', 'http://page').pathname).replace(/^\/+/, '') || 'index.html';
    try {
      const body = readFileSync(join(folder, path));
      response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const folder = await buildPage();
  console.log(`built ${folder}`);
  if (process.argv.includes('--serve')) {
    await servePage(folder);
    console.log('serving http://127.0.0.1:8080/ (Ctrl-C stops)');
  }
}
