import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no server (pure logic, and the replay of committed histories, which
// runs the workflow code in-process); `integration` (real dev server, real processes, real HTTP)
// shares one Temporal dev server and one workflow bundle started in global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/replay/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
