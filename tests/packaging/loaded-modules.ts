/**
 * Which TensorFlow.js modules a fresh Node process loads for an import: a loader hook records
 * every ES module it loads, `require.cache` every CommonJS one (tfjs-core's Node build).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  if (/[\\\\/]@tensorflow[\\\\/]/.test(url)) appendFileSync(process.env.RELIEF_PROBE_LOG, url + '\\n');
  return nextLoad(url, context);
}
`;

const REGISTER = `import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
`;

const PROBE = `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const [specifier, start] = process.argv.slice(2);
const relief = await import(specifier);
if (start === 'tfjs') await relief.backends.use('tfjs', { device: 'cpu' });
const tensorflow = (path) => /[\\\\/]@tensorflow[\\\\/]/.test(path);
const required = Object.keys(createRequire(import.meta.url).cache).filter(tensorflow);
const imported = readFileSync(process.env.RELIEF_PROBE_LOG, 'utf8').split('\\n').filter(Boolean);
console.log(JSON.stringify({ exports: Object.keys(relief).length, modules: [...imported, ...required] }));
`;

/** What {@link loadedTensorflowModules} found. */
export interface LoadedModules {
  /** How many exports the imported module has (to show the import worked). */
  readonly exports: number;
  /** Paths and URLs of the `@tensorflow/*` modules loaded, ES and CommonJS. */
  readonly modules: readonly string[];
}

/**
 * Imports `specifier` (a package name resolved from `cwd`, or a file URL) in a fresh Node
 * process and lists the `@tensorflow/*` modules it loaded; with `start: 'tfjs'` it then
 * starts the tfjs backend's cpu device, so the probe can be seen to find them.
 * @param nodeArgs - extra Node options placed first (e.g. `['--import', 'tsx']` for sources)
 */
export function loadedTensorflowModules(
  cwd: string,
  specifier: string,
  options: { readonly start?: 'tfjs'; readonly nodeArgs?: readonly string[] } = {},
): LoadedModules {
  const directory = mkdtempSync(join(tmpdir(), 'relief-probe-'));
  try {
    writeFileSync(join(directory, 'hooks.mjs'), HOOKS);
    writeFileSync(join(directory, 'register.mjs'), REGISTER);
    // A bare name resolves from the probe's folder, so the probe sits in `cwd` for those.
    const probe = join(specifier.startsWith('file:') ? directory : cwd, `relief-probe-${process.pid}.mjs`);
    writeFileSync(probe, PROBE);
    const log = join(directory, 'loaded.log');
    writeFileSync(log, '');
    try {
      const args = [
        ...(options.nodeArgs ?? []),
        '--import',
        pathToFileURL(join(directory, 'register.mjs')).href,
        probe,
        specifier,
        options.start ?? '',
      ];
      const output = execFileSync(process.execPath, args, {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, RELIEF_PROBE_LOG: log },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const last = output.trim().split('\n').at(-1) ?? '';
      return JSON.parse(last) as LoadedModules;
    } finally {
      rmSync(probe, { force: true });
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
