import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Where the test files live: the library's tests and each workspace package's. */
const TEST_FILES = ['tests/**/*.test.ts', 'packages/*/tests/**/*.test.ts'];

/**
 * The tiers, by file name: `name.statistical.test.ts` (samplers and estimators against exact
 * values), `tests/backends/` and `name.backends.test.ts` (every registered backend and device),
 * `name.slow.test.ts` (subprocesses, MNIST-size runs, the browser, notebooks, packaging, soak and
 * fuzz); every other `name.test.ts` is the unit tier that `npm test` runs.
 */
const TIERS = {
  statistical: ['**/*.statistical.test.ts'],
  backends: ['tests/backends/**/*.test.ts', '**/*.backends.test.ts'],
  slow: ['**/*.slow.test.ts'],
} as const;

/**
 * The backends tier runs the webgpu backend on Mesa's software adapter, drawing the host's
 * random stream so that it agrees draw for draw with the float64 reference (its own tests run
 * the device's generator).
 */
const TIER_ENV: Readonly<Record<string, Record<string, string>>> = {
  backends: { RELIEF_WEBGPU_ADAPTER: 'software', RELIEF_WEBGPU_RANDOM: 'host' },
};

const tier = (name: string, include: readonly string[], exclude: readonly string[] = []) => ({
  extends: true as const,
  test: { name, include: [...include], exclude: ['**/node_modules/**', ...exclude], env: TIER_ENV[name] ?? {} },
});

export default defineConfig({
  resolve: {
    // The library and the workspace packages by their package names: the source, not dist/.
    alias: [
      { find: /^relief$/, replacement: root('./index.ts') },
      { find: /^relief\/models$/, replacement: root('./namespaces/models.ts') },
      { find: /^relief\/(.*)$/, replacement: root('./$1/index.ts') },
      { find: /^@relief\/(data|plot|cli)$/, replacement: root('./packages/$1/src/index.ts') },
      { find: /^@relief\/plot\/browser$/, replacement: root('./packages/plot/src/browser.ts') },
    ],
  },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    setupFiles: [root('./tests/helpers/seed-from-name.ts')],
    projects: [
      tier('unit', TEST_FILES, Object.values(TIERS).flat()),
      ...Object.entries(TIERS).map(([name, include]) => tier(name, include)),
    ],
  },
});
