/**
 * Debian's Chromium driven by Playwright, with a software WebGPU adapter (SwiftShader), for the
 * browser tests. They are skipped without /usr/bin/chromium unless RELIEF_REQUIRE_BROWSER=1
 * (CI installs Chromium and sets it).
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests run here. */
export const chromiumAvailable = existsSync(CHROMIUM) || process.env.RELIEF_REQUIRE_BROWSER === '1';

/** A headless Chromium with WebGPU on SwiftShader and no network chatter of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--enable-unsafe-webgpu',
      '--use-webgpu-adapter=swiftshader',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
