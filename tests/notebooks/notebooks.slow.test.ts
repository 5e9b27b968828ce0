/**
 * Every tslab notebook in packages/notebooks, executed headless top to bottom as a researcher
 * runs it (`jupyter nbconvert --execute`), on shrunken data and epochs
 * (RELIEF_NOTEBOOK_QUICK=1). A cell that raises, reports a type error or shows nothing fails.
 * Needs Jupyter (Debian's jupyter-nbconvert, python3-nbclient, python3-ipykernel) and tslab in
 * .tslab/ (`bash scripts/setup-tslab.sh`); skipped without them unless
 * RELIEF_REQUIRE_NOTEBOOKS=1 (CI sets it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const folder = join(repository, 'packages', 'notebooks');
const tslab = process.env.RELIEF_TSLAB ?? join(repository, '.tslab', 'node_modules', '.bin', 'tslab');
const jupyter = spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8' }).status === 0;
const available = (jupyter && existsSync(tslab)) || process.env.RELIEF_REQUIRE_NOTEBOOKS === '1';
const notebooks = readdirSync(folder).filter((file) => file.endsWith('.ipynb'));

interface Output {
  readonly output_type: string;
  readonly name?: string;
  readonly text?: string[];
}

interface Cell {
  readonly cell_type: string;
  readonly source: string[];
  readonly outputs?: Output[];
}

describe.skipIf(!available)('tslab notebooks', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'relief-notebooks-'));
  beforeAll(() => {
    expect(existsSync(tslab), `no tslab at ${tslab}: run bash scripts/setup-tslab.sh`).toBe(true);
    expect(jupyter, 'no jupyter nbconvert: apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel').toBe(
      true,
    );
    // A kernelspec of our own, found first through JUPYTER_PATH: this tslab, whatever else is registered.
    execFileSync(tslab, ['install', '--python=/usr/bin/python3', '--prefix', scratch, '--binary', tslab], {
      stdio: 'ignore',
    });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('has the four notebooks the README lists', () => {
    expect(notebooks.sort()).toEqual(['backends.ipynb', 'likelihood.ipynb', 'mnist-study.ipynb', 'quick-start.ipynb']);
  });

  it.each(notebooks)('%s runs top to bottom, every code cell showing its result', (notebook) => {
    const output = join(scratch, notebook);
    const run = spawnSync(
      'jupyter',
      ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=600', '--output', output, notebook],
      {
        cwd: folder,
        encoding: 'utf8',
        env: {
          ...process.env,
          JUPYTER_PATH: join(scratch, 'share', 'jupyter'),
          RELIEF_NOTEBOOK_QUICK: '1',
          RELIEF_WEBGPU_ADAPTER: 'software',
        },
      },
    );
    expect(run.status, run.stderr.split('\n').slice(-40).join('\n')).toBe(0);
    const cells = (JSON.parse(readFileSync(output, 'utf8')) as { cells: Cell[] }).cells;
    const code = cells.filter((cell) => cell.cell_type === 'code');
    expect(code.length).toBeGreaterThan(3);
    for (const cell of code) {
      const source = cell.source.join('');
      const outputs = cell.outputs ?? [];
      expect(outputs.length, `no output from:\n${source}`).toBeGreaterThan(0);
      const errors = outputs.filter(
        (o) => o.output_type === 'error' || (o.name === 'stderr' && /error/i.test((o.text ?? []).join(''))),
      );
      expect(errors, `errors from:\n${source}`).toEqual([]);
    }
    if (notebook === 'backends.ipynb' && process.env.RELIEF_REQUIRE_WEBGPU === '1') {
      // The native webgpu backend trained (on the software adapter), not "unavailable".
      const shown = code.flatMap((cell) => cell.outputs ?? []).map((o) => JSON.stringify(o));
      expect(shown.join('\n')).toMatch(/\| webgpu \| [\d.]+ \| [\d.]+ \| \d+ \| 0 \|/);
    }
  });
});
