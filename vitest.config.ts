import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = (path: string) => fileURLToPath(new URL(path, import.meta.url));

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
    include: ['tests/**/*.test.ts', 'packages/*/tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
