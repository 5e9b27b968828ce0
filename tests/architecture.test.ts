/**
 * The layers of the code (ARCHITECTURE.md): no library folder imports a folder above it.
 * Relative imports are read with plain regular expressions, which is enough for this code base's
 * one-import-per-statement style.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('..', import.meta.url));

/**
 * The layers, lowest first, mirrored from ARCHITECTURE.md's "Layers of the code": a folder may
 * import from its own layer and those before it. `index.ts` is the library's root public face.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'validation'],
  ['backends'],
  ['linalg'],
  ['batch', 'constraints', 'penalties', 'schedules'],
  ['layers'],
  ['models'],
  ['samplers', 'estimators', 'components'],
  ['metrics'],
  ['fit', 'optimizers'],
  ['supervised'],
  ['config', 'importers'],
  ['namespaces', 'index.ts'],
];

/**
 * Upward imports that load lazily, by design (ARCHITECTURE.md): `BoltzmannMachine.fit` loads
 * the run config's trainer by a dynamic `import()` on its first call.
 */
const LAZY_UPWARD: readonly string[] = ['models/boltzmann-machine.ts -> config/fit-model.ts'];

const layerOf = new Map(LAYERS.flatMap((names, rank) => names.map((name) => [name, rank] as const)));

/** The library's folders (and root file), from the build's include list. */
function libraryRoots(): string[] {
  const build = JSON.parse(readFileSync(join(repository, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  return build.include;
}

function sourceFiles(path: string): string[] {
  const full = join(repository, path);
  if (!statSync(full).isDirectory()) return path.endsWith('.ts') ? [path] : [];
  return readdirSync(full).flatMap((name) => sourceFiles(join(path, name)));
}

/** A relative import of one file. */
interface RelativeImport {
  /** The imported file, relative to the repository. */
  readonly target: string;
  /** `import type` / `export type`: erased by the compiler, loads nothing. */
  readonly typeOnly: boolean;
  /** `import('…')`: loads when called, not when the module loads. */
  readonly dynamic: boolean;
}

/** The relative imports and re-exports of a source file's text. @param file - relative to the repository */
function relativeImports(file: string, source: string): RelativeImport[] {
  const resolve = (specifier: string) => normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts');
  const found: RelativeImport[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^;'"]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gm)) {
    found.push({ target: resolve(match[2] as string), typeOnly: match[1] !== undefined, dynamic: false });
  }
  for (const match of source.matchAll(/^\s*import\s+'(\.{1,2}\/[^']+)'/gm)) {
    found.push({ target: resolve(match[1] as string), typeOnly: false, dynamic: false });
  }
  for (const match of source.matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) {
    found.push({ target: resolve(match[1] as string), typeOnly: false, dynamic: true });
  }
  return found;
}

/** The layer's folder (or root file) of a path relative to the repository. */
const topOf = (path: string) => path.split(/[\\/]/)[0] as string;

/** Every import of `file` that reaches a layer above its own, as `file -> target`. */
function upwardImports(file: string, source: string): string[] {
  const rank = layerOf.get(topOf(file)) as number;
  return relativeImports(file, source)
    .filter(({ target, typeOnly }) => !typeOnly && (layerOf.get(topOf(target)) ?? -1) > rank)
    .map(({ target }) => `${file} -> ${target}`);
}

describe('the layers of the code', () => {
  it('places every folder of the library in one layer', () => {
    const unplaced = libraryRoots().filter((root) => !layerOf.has(root));
    expect(unplaced, 'add them to ARCHITECTURE.md and to LAYERS').toEqual([]);
  });

  it('no folder imports a folder above it (type-only imports aside)', () => {
    const violations = libraryRoots()
      .flatMap(sourceFiles)
      .filter((file) => !file.startsWith('backends/cpu/assembly/'))
      .flatMap((file) => upwardImports(file, readFileSync(join(repository, file), 'utf8')))
      .filter((edge) => !LAZY_UPWARD.includes(edge));
    expect(violations).toEqual([]);
  });

  it('the reading catches a bad import, and lets type-only and listed lazy imports through', () => {
    const source = [
      "import { be } from '../backends/index.js';",
      "import {\n  SGD,\n  type TrainOptions,\n} from '../fit/index.js';",
      "import type { History } from '../fit/monitor.js';",
      "export { fitModel } from '../config/index.js';",
      "const lazy = await import('../supervised/index.js');",
    ].join('\n');
    expect(upwardImports('models/example.ts', source)).toEqual([
      'models/example.ts -> fit/index.ts',
      'models/example.ts -> config/index.ts',
      'models/example.ts -> supervised/index.ts',
    ]);
    expect(LAZY_UPWARD.every((edge) => /^[\w/-]+\.ts -> [\w/-]+\.ts$/.test(edge))).toBe(true);
  });
});
