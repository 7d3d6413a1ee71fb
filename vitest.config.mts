import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no server (pure logic, and the replay of committed histories, which
// runs the workflow code in-process); `integration` (real dev server, real processes, real HTTP)
// shares one Temporal dev server and one workflow bundle started in global setup.
//
// Integration files run one at a time unless DJOBS_INTEGRATION_FILES_AT_ONCE says more (2 on the
// 2-core machines): files are isolated from each other by their engine's task queue, ids derived
// from titles, temp dirs and free ports (test/integration/harness.ts), and Python tool installs
// take a lock (scripts/python-packages.ts), so they may share the dev server. Not the default yet: on a
// machine loaded by other suites, two files at once pushed the 1000-task scale test and the CLI
// secrets test past their time limits (docs/performance.md, the test suite's time).
//
// `faults` holds the long fault and scale tests (kill -9 of workers and of the server, the
// 1000-task runs): same dev server and engines as `integration`, run by `npm run test:faults`
// (CI runs it after `npm test`) so that `npm test` stays within its time budget.
//
// `dbt` holds the dbt_task tests (test/dbt/): each installs dbt-core, dbt-duckdb and DuckDB from
// PyPI into a task environment (a minute and more from a cold cache), so they run by
// `npm run test:dbt` (CI runs it after the fault tests), out of `npm test`'s time budget.
//
// `cluster` runs docker-compose.yml's pieces natively (PostgreSQL, the Temporal server built from
// its Go module, the compose's schema and setup commands): its own servers, no global setup; run
// by `npm run test:cluster` (CI runs it after the fault tests).
const integrationFilesAtOnce = Math.max(1, Number(process.env.DJOBS_INTEGRATION_FILES_AT_ONCE ?? '1') || 1);

export default defineConfig({
  test: {
    ...(integrationFilesAtOnce > 1 ? { maxWorkers: integrationFilesAtOnce } : {}),
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
          fileParallelism: integrationFilesAtOnce > 1,
          maxWorkers: integrationFilesAtOnce,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          // A backstop only: these tests bound each of their waits themselves (the 1000-task runs
          // wait up to 300 s each, two of them in one test), and on a loaded machine the sum of
          // those bounds is what a test may take.
          testTimeout: 900_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'dbt',
          include: ['test/dbt/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          environment: 'node',
          // Backstops only: the cluster's start and each wait are bounded by the test itself.
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
