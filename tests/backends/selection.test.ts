import * as nodeFs from 'node:fs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfigFile, settingsFromConfigFile, settingsFromEnv } from '../../backends/config.js';
import '../../backends/index.js';
import { ConfigError } from '../../errors/index.js';

/**
 * A fresh copy of the selection module (and of the error classes it throws), so each test
 * starts with no backend chosen.
 */
async function freshSelection() {
  vi.resetModules();
  const selection = await import('../../backends/index.js');
  const errors = await import('../../errors/index.js');
  return { ...selection, errors };
}

function withConfigFile(contents: string): string {
  const root = mkdtempSync(join(tmpdir(), 'relief-config-'));
  writeFileSync(join(root, 'relief.config.json'), contents);
  const nested = join(root, 'a', 'b');
  mkdirSync(nested, { recursive: true });
  return nested;
}

describe('backend settings', () => {
  it('reads RELIEF_BACKEND and RELIEF_DEVICE', () => {
    expect(settingsFromEnv({})).toBeUndefined();
    expect(settingsFromEnv({ RELIEF_BACKEND: 'cpu' })).toEqual({ backend: 'cpu', source: 'env' });
    expect(settingsFromEnv({ RELIEF_BACKEND: 'tfjs', RELIEF_DEVICE: 'wasm' })).toEqual({
      backend: 'tfjs',
      device: 'wasm',
      source: 'env',
    });
    expect(settingsFromEnv({ RELIEF_DEVICE: 'webgpu' })).toMatchObject({ backend: 'tfjs', device: 'webgpu' });
  });

  it('names the bad variable and the allowed values', () => {
    expect(() => settingsFromEnv({ RELIEF_BACKEND: 'gpu' })).toThrow(ConfigError);
    expect(() => settingsFromEnv({ RELIEF_BACKEND: 'gpu' })).toThrow(
      `RELIEF_BACKEND: expected one of 'cpu', 'float64', 'tfjs', 'webgpu', got "gpu"`,
    );
    expect(() => settingsFromEnv({ RELIEF_DEVICE: 'cuda' })).toThrow(
      /RELIEF_DEVICE: expected one of 'webgpu', 'tensorflow', 'wasm', 'cpu'/,
    );
    expect(() => settingsFromEnv({ RELIEF_BACKEND: 'cpu', RELIEF_DEVICE: 'wasm' })).toThrow(
      /RELIEF_DEVICE: backend 'cpu' has no devices \(backends with devices: 'tfjs'\)/,
    );
  });

  it('finds relief.config.json from a nested directory upward', () => {
    const nested = withConfigFile(JSON.stringify({ backend: 'tfjs', device: 'wasm', seed: 5 }));
    const settings = settingsFromConfigFile(nodeFs, nested);
    expect(settings).toMatchObject({ backend: 'tfjs', device: 'wasm', seed: 5 });
    expect(settings?.source).toMatch(/relief-config-.*relief\.config\.json$/);
    expect(settingsFromConfigFile(nodeFs, mkdtempSync(join(tmpdir(), 'relief-none-')))).toBeUndefined();
  });

  it('names the file and field of a bad config', () => {
    expect(() => parseConfigFile({ backend: 'gpu' }, 'x/relief.config.json')).toThrow(
      `x/relief.config.json: backend: expected one of 'cpu', 'float64', 'tfjs', 'webgpu', got "gpu"`,
    );
    expect(() => parseConfigFile({ backend: 'cpu', seed: -1 }, 'f')).toThrow(
      'f: seed: expected a non-negative integer, got -1',
    );
    expect(() => parseConfigFile([], 'f')).toThrow('f: expected a JSON object');
    expect(() => settingsFromConfigFile(nodeFs, withConfigFile('{ backend: '))).toThrow(
      /relief\.config\.json: not valid JSON/,
    );
  });
});

describe('backend selection', () => {
  const saved = { ...process.env };
  const savedCwd = process.cwd();
  beforeEach(() => {
    delete process.env.RELIEF_BACKEND;
    delete process.env.RELIEF_DEVICE;
  });
  afterEach(() => {
    process.env = { ...saved };
    process.chdir(savedCwd);
  });

  it('defaults to cpu, started synchronously on first use of be', async () => {
    process.chdir(mkdtempSync(join(tmpdir(), 'relief-none-')));
    const { be } = await freshSelection();
    expect(be.name).toBe('cpu');
    expect(Array.from(await be.read(be.add(be.tensor([1, 2]), 1)))).toEqual([2, 3]);
  });

  it('uses the config file when there is no env variable', async () => {
    process.chdir(withConfigFile(JSON.stringify({ backend: 'tfjs', device: 'cpu' })));
    const { ready, be } = await freshSelection();
    await ready();
    expect([be.name, be.device]).toEqual(['tfjs', 'cpu']);
  });

  it('env beats the config file, and programmatic use beats both', async () => {
    process.chdir(withConfigFile(JSON.stringify({ backend: 'cpu' })));
    process.env.RELIEF_BACKEND = 'tfjs';
    process.env.RELIEF_DEVICE = 'wasm';
    const { ready, use, be } = await freshSelection();
    await ready();
    expect([be.name, be.device]).toEqual(['tfjs', 'wasm']);
    await use('cpu');
    expect(be.name).toBe('cpu');
  });

  it('asks for await ready() when the configured backend cannot start synchronously', async () => {
    process.env.RELIEF_BACKEND = 'tfjs';
    const { be, errors } = await freshSelection();
    expect(() => be.zeros([1])).toThrow(errors.ConfigError);
    expect(() => be.zeros([1])).toThrow(
      /backend 'tfjs' \(from env\) starts asynchronously: call `await backends.ready\(\)`/,
    );
  });

  it('setSeed makes the active and later backends reproducible', async () => {
    const { be, setSeed, use, errors } = await freshSelection();
    setSeed(11);
    await use('cpu');
    const first = await be.read(be.randomUniform([20]));
    setSeed(11);
    expect(await be.read(be.randomUniform([20]))).toEqual(first);
    await use('tfjs', { device: 'cpu' });
    expect(await be.read(be.randomUniform([20]))).toEqual(first);
    expect(() => setSeed(-3)).toThrow(errors.ConfigError);
  });

  it("checks each backend's own options against the schema in its file", async () => {
    const { use, errors } = await freshSelection();
    await expect(use('cpu', { threads: 1, kernel: 'js' })).resolves.toMatchObject({ name: 'cpu' });
    // Casts stand for JavaScript callers, whom the compiler does not stop.
    await expect(use('cpu', { threads: 3 } as never)).rejects.toThrow(errors.ConfigError);
    await expect(use('cpu', { threads: 3 } as never)).rejects.toThrow(/backends.use\('cpu'\)\.threads/);
    await expect(use('cpu', { kernal: 'js' } as never)).rejects.toThrow(/kernal.*did you mean 'kernel'/s);
    await expect(use('cpu', { dawnOptions: [] } as never)).rejects.toThrow(/dawnOptions/);
    await expect(use('float64', { threads: 1 } as never)).rejects.toThrow(/backends.use\('float64'\)\.threads/);
    await expect(use('cpu', { seed: -1 })).rejects.toThrow(/backends.use\('cpu'\)\.seed/);
  });

  it('explains how to get an unavailable device and what is available', async () => {
    const { use, errors } = await freshSelection();
    await expect(use('tfjs', { device: 'tensorflow' })).rejects.toThrow(errors.BackendUnavailableError);
    await expect(use('tfjs', { device: 'tensorflow' })).rejects.toThrow(/npm install @tensorflow\/tfjs-node/);
    await expect(use('tfjs', { device: 'tensorflow' })).rejects.toThrow(
      /Always available: backend 'cpu', and backend 'tfjs' with devices 'cpu' and 'wasm'/,
    );
    await expect(use('tfjs', { device: 'webgpu', dawnOptions: ['backend=d3d12'] })).rejects.toThrow(
      /tfjs device 'webgpu' is unavailable here: .*mesa-vulkan-drivers/,
    );
    await expect(use('cpu', { device: 'wasm' })).rejects.toThrow(
      /backend 'cpu' has no devices \(backends with devices: 'tfjs'\)/,
    );
    await expect(use('gpu')).rejects.toThrow(
      /backends.use: name: expected one of 'cpu', 'float64', 'tfjs', 'webgpu', got "gpu"/,
    );
  });
});
