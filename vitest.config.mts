import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no server (pure logic, and the replay of committed histories, which
// runs the workflow code in-process); `integration` (real dev server, real processes, real HTTP)
// shares one Temporal dev server and one workflow bundle started in global setup.
//
// Two test files run at a time (the machines have 2 cores): integration files are isolated from
// each other by their engine's task queue, ids derived from titles, temp dirs and free ports
// (test/integration/harness.ts), so they may share the dev server; most of their time is spent
// waiting on processes and timers, not computing.
export default defineConfig({
  test: {
    maxWorkers: 2,
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
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
