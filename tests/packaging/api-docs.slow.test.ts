/**
 * The API reference (`npm run docs`, typedoc with typedoc.json) builds without a warning or an
 * error, has a page for every entry point of the four packages, and links every type of theirs
 * that a documented signature uses. typedoc checks the last only for the `relief` package; the
 * workspace packages' types are checked here from its JSON output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const typedoc = join(repository, 'node_modules', 'typedoc', 'bin', 'typedoc');

/** Every module the reference documents: `relief` and its sub-paths, then the workspace packages. */
const MODULES = [
  'relief',
  ...[
    'backends',
    'batch',
    'components',
    'config',
    'constraints',
    'errors',
    'estimators',
    'fit',
    'importers',
    'layers',
    'models',
    'optimizers',
    'penalties',
    'samplers',
    'schedules',
    'supervised',
    'validation',
  ].map((path) => `relief/${path}`),
  '@relief/data',
  '@relief/plot',
  '@relief/plot/browser',
  '@relief/cli',
];

/** A type reference in typedoc's JSON: `target` is a reflection id, or a symbol it did not document. */
interface ReferenceNode {
  readonly type: 'reference';
  readonly name: string;
  readonly target?:
    | number
    | { readonly packageName: string; readonly packagePath: string; readonly qualifiedName: string };
}

/**
 * Where a reflection names its class hierarchy, which typedoc's own check skips too: a private
 * base class (`extends BiasLayer`) is named there without a page.
 */
const HIERARCHY_KEYS = new Set(['extendedTypes', 'extendedBy', 'inheritedFrom', 'implementationOf', 'implementedBy']);

/** The symbols of Relief's packages that documented signatures name but the reference does not include. */
function undocumentedReferences(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const child of node) undocumentedReferences(child, found);
  } else if (node !== null && typeof node === 'object') {
    const reference = node as Partial<ReferenceNode>;
    const target = reference.target;
    if (
      reference.type === 'reference' &&
      typeof target === 'object' &&
      /^(relief|@relief\/.+)$/.test(target.packageName)
    ) {
      found.add(`${target.packageName}/${target.packagePath}:${target.qualifiedName}`);
    }
    for (const [key, child] of Object.entries(node)) {
      if (!HIERARCHY_KEYS.has(key)) undocumentedReferences(child, found);
    }
  }
  return found;
}

describe('API reference', () => {
  let out: string;
  let output: string;
  let status: number | null;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'relief-api-docs-'));
    const result = spawnSync(process.execPath, [typedoc, '--out', join(out, 'html'), '--json', join(out, 'api.json')], {
      cwd: repository,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    status = result.status;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
    output = `${result.stdout}${result.stderr}`.replace(/\u001b\[[0-9;]*m/g, '');
  }, 300_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('builds with 0 errors and 0 warnings', () => {
    const problems = output.split('\n').filter((line) => /\[(warning|error)\]/.test(line));
    expect(problems, output).toEqual([]);
    expect(status, output).toBe(0);
  });

  it('has a page per package and sub-path export', () => {
    const project = JSON.parse(readFileSync(join(out, 'api.json'), 'utf8')) as { children: { name: string }[] };
    expect(project.children.map((module) => module.name).sort()).toEqual([...MODULES].sort());
    for (const name of MODULES) {
      const page = join(out, 'html', 'modules', `${name.replace(/[@/]/g, '_')}.html`);
      expect(existsSync(page), page).toBe(true);
    }
  });

  it("links every type of Relief's packages that a documented signature names", () => {
    const project = JSON.parse(readFileSync(join(out, 'api.json'), 'utf8'));
    const options = JSON.parse(readFileSync(join(repository, 'typedoc.json'), 'utf8')) as {
      intentionallyNotExported?: string[];
    };
    const intentional = new Set(
      (options.intentionallyNotExported ?? []).map((entry) => {
        const [path, name] = entry.split(':');
        return `relief/${path}:${name}`;
      }),
    );
    const missing = [...undocumentedReferences(project)].filter((symbol) => !intentional.has(symbol));
    expect(missing).toEqual([]);
  });
});
