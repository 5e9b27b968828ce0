/**
 * The example page (`examples/browser`) as a visitor sees it in Chromium: it trains an RBM on
 * its bundled MNIST subset on WebGPU, says what it is doing and how long each epoch took, draws
 * filters, fantasy particles and the learning curve live, and downloads the model as
 * safetensors. Saves a screenshot to `artifacts/browser-page.png` (CI keeps it).
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
  readonly phase: string;
  readonly backend: string;
  readonly epochsDone: number;
  readonly running: boolean;
  readonly error: string;
  readonly history: { readonly ReconstructionError: number; readonly seconds: number }[];
}

/** One text the status line showed, and when (the page's `performance.now()`, ms). */
interface StatusChange {
  readonly text: string;
  readonly at: number;
}

/** Runs in the page before its scripts: records every text of `#status` with its time on `window.statusLog`. */
function recordStatus(): void {
  const log: StatusChange[] = [];
  (globalThis as { statusLog?: StatusChange[] }).statusLog = log;
  new MutationObserver(() => {
    const text = document.getElementById('status')?.textContent ?? '';
    if (text !== log[log.length - 1]?.text) log.push({ text, at: performance.now() });
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

describe.skipIf(!chromiumAvailable)('the example browser page', () => {
  it('trains on WebGPU with live pictures and downloads the model as safetensors', async () => {
    const server = await servePage(await buildPage(mkdtempSync(join(tmpdir(), 'relief-page-'))), 0);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 760 } });
      await page.addInitScript(recordStatus);
      const port = (server.address() as AddressInfo).port;
      await page.goto(`http://127.0.0.1:${port}/?epochs=3&hidden=36&autostart`);
      const read = async () => (await page.evaluate('window.reliefPage')) as PageReport;
      const statusTexts = async () =>
        ((await page.evaluate('window.statusLog')) as StatusChange[]).map((change) => change.text);
      await page
        .waitForFunction(
          () => {
            const report = (globalThis as { reliefPage?: PageReport }).reliefPage;
            return report !== undefined && (report.error !== '' || (report.epochsDone === 3 && !report.running));
          },
          null,
          { timeout: 270_000 },
        )
        .catch(async (error: Error) => {
          throw new Error(`${error.message}; the status line showed: ${(await statusTexts()).join(' | ')}`);
        });
      const report = await read();
      expect(report.error).toBe('');
      expect(report.backend).toBe('WebGPU');
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
      expect(report.phase).toBe('done');
      expect(await page.locator('#status').textContent()).toMatch(
        /^done: trained 3 epochs on WebGPU in [\d.]+ s \(last epoch 3 of 3 took [\d.]+ s\)$/,
      );

      // The status line went loading → training epoch k of 3 → done, never asking for Train while training.
      const log = (await page.evaluate('window.statusLog')) as StatusChange[];
      const texts = log.map((change) => change.text);
      const training = texts.findIndex((text) => text.startsWith('training epoch 1 of 3'));
      expect(texts[0]).toMatch(/^loading/);
      expect(training).toBeGreaterThan(0);
      expect(texts.slice(training).filter((text) => /press Train/.test(text))).toEqual([]);
      expect(texts.find((text) => text.startsWith('training epoch 3 of 3'))).toMatch(/\(epoch 2 of 3 took [\d.]+ s\)$/);
      // Each epoch's seconds are its wall time: from the status announcing it to the one saying how long it took.
      report.history.forEach(({ seconds }, k) => {
        const start = log.find((change) => change.text.startsWith(`training epoch ${k + 1} of 3`));
        const end = log.find((change) => change.text.startsWith(`epoch ${k + 1} of 3 took ${seconds.toFixed(1)} s`));
        expect(start && end, `epoch ${k + 1} in ${texts.join(' | ')}`).toBeTruthy();
        const wall = ((end?.at ?? 0) - (start?.at ?? 0)) / 1000;
        expect(Math.abs(seconds - wall), `epoch ${k + 1}: ${seconds} s reported, ${wall} s on the clock`).toBeLessThan(
          0.25 + 0.1 * wall,
        );
      });

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      expect(download.suggestedFilename()).toBe('params.safetensors');
      const bytes = new Uint8Array(readFileSync((await download.path()) as string));
      const { tensors } = decodeSafetensors(bytes, 'downloaded params.safetensors');
      expect(tensors.get('connections.0.W')?.shape).toEqual([784, 36]);
      expect([...tensors.keys()].sort()).toEqual(['connections.0.W', 'layers.0.loc', 'layers.1.loc']);

      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'browser-page.png'), fullPage: true });

      // Train again: the epochs number on from 4; Stop ends the run and the status line says where.
      await page.click('#train');
      await page.waitForFunction(() =>
        document.getElementById('status')?.textContent?.startsWith('training epoch 4 of 6'),
      );
      await page.click('#stop');
      await page.waitForFunction(
        () => {
          const report = (globalThis as { reliefPage?: PageReport }).reliefPage;
          return report?.error !== '' || (report.phase === 'stopped' && !report.running);
        },
        null,
        { timeout: 120_000 },
      );
      const stopped = await read();
      expect(stopped.error).toBe('');
      const status = (await page.locator('#status').textContent()) ?? '';
      expect(status).toMatch(/^stopped in epoch [4-6] of 6 on WebGPU after [\d.]+ s; the model keeps what it learned$/);
      expect(status).toContain(`epoch ${stopped.history.length} of 6`);
    } finally {
      await browser.close();
      server.closeAllConnections();
      server.close();
    }
  }, 420_000);
});
