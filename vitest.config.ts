import { defineConfig } from 'vitest/config';

// The unit suites run once per TF.js backend (CNN_BACKEND picks it in test/setup.ts);
// end-to-end checks (packing, examples, browser) run once.
const backends = ['cpu', 'wasm'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      ...backends.map((backend) => ({
        test: {
          name: backend,
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          setupFiles: ['test/setup.ts'],
          env: { CNN_BACKEND: backend },
        },
      })),
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
