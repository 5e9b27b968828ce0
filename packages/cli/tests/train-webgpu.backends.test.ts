/**
 * `relief train --backend webgpu` records the device's work in `history.json`: per epoch, the
 * mean per minibatch of dispatches, readbacks and host milliseconds. The backends tier runs
 * webgpu on Mesa's software adapter; without an adapter the test is skipped with the reason,
 * unless RELIEF_REQUIRE_WEBGPU=1.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { use } from 'relief/backends';
import { describe, expect, it } from 'vitest';
import { train } from '../src/commands/train.js';

const unavailable = await use('webgpu').then(
  () => undefined,
  (error: Error) => error.message,
);
const skipped = unavailable !== undefined && process.env.RELIEF_REQUIRE_WEBGPU !== '1';

describe.skipIf(skipped)(`relief train on webgpu${skipped ? ` — skipped: ${unavailable}` : ''}`, () => {
  it('writes each epoch’s dispatches, readbacks and host time per minibatch to history.json', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'relief-train-webgpu-'));
    const rows = Array.from({ length: 40 }, (_, i) => Array.from({ length: 8 }, (_, j) => ((i + j) % 3 === 0 ? 1 : 0)));
    writeFileSync(join(directory, 'rows.csv'), `${rows.map((r) => r.join(',')).join('\n')}\n`);
    const config = {
      seed: 3,
      backend: 'webgpu',
      data: { source: 'csv', path: join(directory, 'rows.csv'), trainFraction: 1 },
      model: {
        layers: [
          { type: 'bernoulli', units: 8 },
          { type: 'bernoulli', units: 4 },
        ],
      },
      train: { method: 'pcd', epochs: 2, batchSize: 10, metrics: false, optimizer: { type: 'adam', stepsize: 0.01 } },
    };
    writeFileSync(join(directory, 'config.json'), JSON.stringify(config));
    const out = join(directory, 'run');
    await train({ config: join(directory, 'config.json'), out, progress: false, plots: false });
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as Record<string, number>[];
    expect(history.map((record) => record.epoch)).toEqual([1, 2]);
    for (const record of history) {
      expect(record.gpuDispatches).toBeGreaterThan(10);
      expect(record.gpuDispatches).toBeLessThan(100);
      expect(record.gpuReadbacks).toBe(0);
      expect(record.gpuHostMs).toBeGreaterThan(0);
    }
  });
});
