import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Roles import the public API as 'scaleup' (tsconfig.json's paths say the same to tsc, tsx and esbuild).
  resolve: { alias: { scaleup: fileURLToPath(new URL('./src/api.ts', import.meta.url)) } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // The CLI, bundled once for the suites that start it (test/unit/cli-harness.ts).
          globalSetup: ['test/unit/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          globalSetup: ['test/lab/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
