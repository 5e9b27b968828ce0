/**
 * The example page (`examples/browser`) as a visitor sees it in Chromium: it trains an RBM on
 * its bundled MNIST subset on WebGPU, draws filters, fantasy particles and the learning curve
 * live, and downloads the model as safetensors. Saves a screenshot to
 * `artifacts/browser-page.png` (CI keeps it).
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildPage, servePage } from '../../examples/browser/build.js';
import { decodeSafetensors } from '../../models/index.js';
import { chromiumAvailable, launchChromium } from './chromium.js';

const artifacts = fileURLToPath(new URL('../../artifacts/', import.meta.url));

interface PageReport {
  readonly backend: string;
  readonly epochsDone: number;
  readonly running: boolean;
  readonly error: string;
  readonly history: { readonly ReconstructionError: number }[];
}

describe.skipIf(!chromiumAvailable)('the example browser page', () => {
  it('trains on WebGPU with live pictures and downloads the model as safetensors', async () => {
    const server = await servePage(await buildPage(mkdtempSync(join(tmpdir(), 'relief-page-'))), 0);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 760 } });
      const port = (server.address() as AddressInfo).port;
      await page.goto(`http://127.0.0.1:${port}/?epochs=3&hidden=36&autostart`);
      const read = async () => (await page.evaluate('window.reliefPage')) as PageReport;
      await page.waitForFunction(
        () => {
          const report = (globalThis as { reliefPage?: PageReport }).reliefPage;
          return report !== undefined && (report.error !== '' || (report.epochsDone === 3 && !report.running));
        },
        null,
        { timeout: 150_000 },
      );
      const report = await read();
      expect(report.error).toBe('');
      expect(report.backend).toBe('tfjs on WebGPU');
      const errors = report.history.map((record) => record.ReconstructionError);
      expect(errors).toHaveLength(3);
      expect(errors[2]).toBeLessThan(errors[0] as number);

      // The pictures are drawn: the filters and fantasy canvases hold more than one colour, the chart a line.
      for (const id of ['filters', 'fantasy']) {
        const colours = await page.evaluate((canvasId) => {
          const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
          const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
          const seen = new Set<number>();
          for (let i = 0; i < pixels.length; i += 4) {
            seen.add(((pixels[i] as number) << 16) | ((pixels[i + 1] as number) << 8) | (pixels[i + 2] as number));
          }
          return seen.size;
        }, id);
        expect(colours, id).toBeGreaterThan(10);
      }
      expect(await page.locator('#curve svg path').count()).toBeGreaterThan(0);
      expect(await page.locator('#status').textContent()).toMatch(/trained 3 epochs on tfjs on WebGPU/);

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      expect(download.suggestedFilename()).toBe('params.safetensors');
      const bytes = new Uint8Array(readFileSync((await download.path()) as string));
      const { tensors } = decodeSafetensors(bytes, 'downloaded params.safetensors');
      expect(tensors.get('connections.0.W')?.shape).toEqual([784, 36]);
      expect([...tensors.keys()].sort()).toEqual(['connections.0.W', 'layers.0.loc', 'layers.1.loc']);

      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'browser-page.png'), fullPage: true });
    } finally {
      await browser.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
