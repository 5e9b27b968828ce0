import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // The workspace packages import the library by its package name; resolve it to the source.
    alias: [
      { find: /^relief$/, replacement: root('./index.ts') },
      { find: /^relief\/models$/, replacement: root('./namespaces/models.ts') },
      { find: /^relief\/(.*)$/, replacement: root('./$1/index.ts') },
    ],
  },
  test: {
    include: ['tests/**/*.test.ts', 'packages/*/tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
