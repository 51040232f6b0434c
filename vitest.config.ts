import { defineConfig } from 'vitest/config';

// The unit suites run once per TF.js backend (CNN_BACKEND picks it in test/setup.ts);
// end-to-end checks (packing, examples, browser) run once.
// The webgpu project runs only where a WebGPU adapter exists: `source scripts/webgpu-env.sh` finds a Vulkan driver,
// checks that Dawn gets an adapter from it, and sets CNN_WEBGPU=1 (.ci/run does this). Without it, `npm test` runs
// cpu and wasm only, so a machine without Vulkan still passes.
const backends = ['cpu', 'wasm', ...(process.env.CNN_WEBGPU === '1' ? ['webgpu'] : [])];

export default defineConfig({
  test: {
    // Inherited by every project (`extends: true`); without it, inline projects fall back to vitest's 5 s default.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      ...backends.map((backend) => ({
        extends: true as const,
        test: {
          name: backend,
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          setupFiles: ['test/setup.ts'],
          env: { CNN_BACKEND: backend },
        },
      })),
      {
        extends: true as const,
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
