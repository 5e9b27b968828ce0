import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { loadModel } from '../../models/index.js';

const WRITER = fileURLToPath(new URL('./save-writer.ts', import.meta.url));
/** Kill cycles in CI; `RELIEF_KILLS` sets more (`npm run fuzz` uses 200). */
const KILLS = Number(process.env.RELIEF_KILLS ?? 12);

function startWriter(directory: string, first: number, count: number | 'forever'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', WRITER, directory, String(first), String(count)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves once the writer has finished its first save. */
function firstSave(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('saved') && resolve());
    child.on('exit', (code) => reject(new Error(`writer exited with ${code} before its first save`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(stderr);
      resolve(code);
    }),
  );
}

/** Loads the model and checks it is one save, whole: every parameter equals the value its metadata records. */
async function loadWhole(directory: string): Promise<number> {
  const { model, metadata } = await loadModel(directory);
  const value = metadata.value as number;
  for (const { key, owner, name } of model.namedParameters()) {
    const values = await be.read(owner.param(name));
    const stray = values.findIndex((v) => v !== value);
    expect(stray, `${key}[${stray}] = ${values[stray]} in a model saved with value ${value}`).toBe(-1);
  }
  model.dispose();
  return value;
}

describe('saves between processes', () => {
  it('two processes saving to one directory take turns: every load sees one whole model', async () => {
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-race-')), 'model');
    const writers = [startWriter(directory, 1000, 15), startWriter(directory, 2000, 15)];
    const done = Promise.all(writers.map(exited));
    let loads = 0;
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    while (!finished) {
      if (existsSync(join(directory, 'model.json'))) {
        const value = await loadWhole(directory).catch((error: Error) => {
          // A read can find the directory mid-swap; it must never find a mixed model.
          if (!/does not exist|ENOENT/.test(error.message)) throw error;
          return undefined;
        });
        if (value !== undefined) loads += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await done).toEqual([0, 0]);
    expect([1014, 2014]).toContain(await loadWhole(directory));
    expect(loads).toBeGreaterThan(0);
    const parent = join(directory, '..');
    expect(readdirSync(parent).sort()).toEqual(['model']);
  });

  it(`a writer killed with SIGKILL at random moments (${KILLS} times) always leaves a loadable model`, async () => {
    const directory = join(mkdtempSync(join(tmpdir(), 'relief-kill-')), 'model');
    let first = 1;
    const seen = new Set<number>();
    for (let kill = 0; kill < KILLS; kill++) {
      const writer = startWriter(directory, first, 'forever');
      const gone = exited(writer);
      await firstSave(writer);
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 400));
      writer.kill('SIGKILL');
      await gone;
      seen.add(await loadWhole(directory));
      first += 100_000;
    }
    // Every cycle saved at least once before its kill, so every load is a value of that cycle.
    expect(seen.size).toBe(KILLS);
    // A later save cleans up what the killed writers left: staging directories and the lock.
    const last = startWriter(directory, 7, 1);
    expect(await exited(last)).toBe(0);
    expect(await loadWhole(directory)).toBe(7);
    expect(readdirSync(join(directory, '..')).sort()).toEqual(['model']);
  });
});
