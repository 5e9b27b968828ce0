/**
 * The four packages as a user gets them: built, packed into tarballs, installed into a fresh
 * project outside the repository, then imported from ESM, required from CommonJS (as tslab's
 * compiled cells do), type-checked under both module resolutions, and run as the `relief` bin.
 */
import { execFileSync } from 'node:child_process';
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

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
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

  beforeAll(() => {
    run('npm', ['run', 'build'], repository);
    tarballs = mkdtempSync(join(tmpdir(), 'relief-tarballs-'));
    run(
      'npm',
      [
        'pack',
        ...PACKAGES.flatMap((folder) => ['-w', folder]),
        '--include-workspace-root',
        '--ignore-scripts',
        '--pack-destination',
        tarballs,
      ],
      repository,
    );
    project = mkdtempSync(join(tmpdir(), 'relief-user-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'relief-user', private: true }));
    const files = readdirSync(tarballs).map((file) => join(tarballs, file));
    expect(files).toHaveLength(1 + PACKAGES.length);
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...files], project);
  }, 300_000);

  afterAll(() => {
    for (const directory of [project, tarballs]) if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('installs without the optional webgpu package and without tsx', () => {
    expect(existsSync(join(project, 'node_modules', 'relief', 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'webgpu'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
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

  it('runs the relief bin: --version, then a tiny training run', () => {
    const version = JSON.parse(readFileSync(join(repository, 'packages', 'cli', 'package.json'), 'utf8')).version;
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
