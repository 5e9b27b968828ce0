/**
 * The library in a real browser: Debian's Chromium with a software WebGPU adapter
 * (SwiftShader) runs an esbuild bundle of `page.ts`, which trains the same RBM on the cpu
 * backend (its WebAssembly kernel's one-thread build, the page lacking SharedArrayBuffer), on
 * the native webgpu backend and on tfjs-webgpu.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './chromium.js';

interface Run {
  readonly backend: string;
  /** The cpu backend's kernel (`CpuBackend.matmulKernel`). */
  readonly kernel?: string;
  readonly before: number;
  readonly after: number;
  readonly weights: number[];
}

describe.skipIf(!chromiumAvailable)('in a browser', () => {
  it('trains an RBM on the cpu backend and on WebGPU with the same result', async () => {
    const bundled = await build({
      entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
      // Node-only paths (Dawn, tfjs-node, files) are never reached in a page.
      external: ['webgpu', '@tensorflow/tfjs-node', 'node:*'],
    });
    const script = bundled.outputFiles[0]?.contents ?? new Uint8Array();
    const server = createServer((request, response) => {
      if (request.url === '/relief.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      } else {
        response
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><script type="module" src="/relief.js"></script>');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const handle = await page.waitForFunction(() => (globalThis as { reliefResult?: unknown }).reliefResult, null, {
        timeout: 120_000,
      });
      const result = (await handle.jsonValue()) as { cpu?: Run; gpu?: Run; tfjs?: Run; error?: string };
      expect(result.error).toBeUndefined();
      const { cpu, gpu, tfjs } = result as { cpu: Run; gpu: Run; tfjs: Run };
      expect([cpu.backend, gpu.backend.split('/')[0], tfjs.backend]).toEqual(['cpu/ndarray', 'webgpu', 'tfjs/webgpu']);
      // The page is not cross-origin isolated, so it has no SharedArrayBuffer: the one-thread build runs.
      expect(cpu.kernel).toBe('wasm-simd ×1, fixed memory');
      for (const run of [gpu, tfjs]) {
        expect(Math.abs(cpu.after - run.after)).toBeLessThan(1e-4);
        for (const [i, w] of run.weights.entries()) expect(Math.abs(w - (cpu.weights[i] as number))).toBeLessThan(1e-4);
      }
    } finally {
      await browser.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
