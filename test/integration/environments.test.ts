// Dependencies through the official Python SDK: a serverless environment holding a wheel this test
// builds, python_wheel_task entry points (console_scripts, another group, the package's function),
// named and positional parameters as argv, environment_variables and a job cluster's
// spark_env_vars in the task's process; the environment reused by a second run (its setup time
// near zero), two tasks racing to build one environment (built once), and a failed install
// (LIBRARY_INSTALLATION_ERROR with uv's message).
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupLogPath } from '../../activities/execute';
import { createApiServer } from '../../api/server';
import { ensurePythonSdk, pythonSdkDir, runCompatScript } from '../helpers/compat';
import { buildFixtureWheel, shareUvCache } from '../helpers/python-build';
import { adminTokens, useEngine } from './harness';

interface TaskFacts {
  run_id: number;
  result: string | null;
  setup_duration: number;
  execution_duration: number;
  code: string | null;
  state_message: string;
  logs: string;
  error: string | null;
}
type Scenario = { scenario: string; result?: string; tasks?: Record<string, TaskFacts>; error?: string };

describe('environments, libraries and python_wheel_task through the Python SDK', () => {
  shareUvCache();
  const engine = useEngine('environments');
  let app: FastifyInstance;
  let base: string;
  let wheel: string;
  let scenarios: Record<string, Scenario>;
  beforeAll(async () => {
    ensurePythonSdk();
    wheel = buildFixtureWheel('hello-wheel', path.join(engine.workDir, 'dist'));
    app = await createApiServer({
      client: engine.client,
      tokens: adminTokens('env-token'),
      workspaceDir: engine.workDir,
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const { code, output, stdout } = await runCompatScript('python3', 'dependencies_compat.py', {
      DJOBS_HOST: base,
      DJOBS_TOKEN: 'env-token',
      DJOBS_WORKDIR: engine.workDir,
      WHEEL: wheel,
      PYTHONPATH: pythonSdkDir,
    });
    expect(output, output).toContain('OK');
    expect(code).toBe(0);
    scenarios = Object.fromEntries(
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Scenario)
        .map((s) => [s.scenario, s])
    );
  }, 900_000);
  afterAll(async () => {
    await app?.close();
  });
  /** What the attempt's setup wrote (its environment's install or reuse), beside its log. */
  const setupLog = async (t: TaskFacts) =>
    fs.readFileSync(setupLogPath((await engine.client.getRunOutput(t.run_id)).log_path!), 'utf8');

  it('runs the entry points of a wheel installed from the environment, with Databricks argv and the environment variables', () => {
    const { result, tasks } = scenarios.first!;
    expect(result).toBe('SUCCESS');
    expect(tasks!.console!.logs).toContain(
      'hello_wheel.main argv ["hello-wheel", "--date=2026-12-07", "--mode=full"] six 1.16.0'
    );
    expect(tasks!.console!.logs).toContain('MY_VAR from environment_variables');
    expect(tasks!.other_group!.logs).toContain('hello_wheel.report argv ["hello-wheel", "x", "y"]');
    expect(tasks!.fallback!.logs).toContain('hello_wheel.fallback argv ["hello_wheel", "a", "b"]');
    // A fork of the environment's own warm interpreter (one fork server per environment).
    expect(tasks!.console!.logs).toMatch(/started as fork-server from \S+\/environments\/[0-9a-f]{32}\/bin\/python/);
  });

  it("installs a wheel from the task's libraries: the same content as the environment's, so the same environment", async () => {
    const t = scenarios.first!.tasks!.from_libraries!;
    expect(t.result).toBe('SUCCESS');
    expect(t.logs).toContain('hello_wheel.main argv ["hello-wheel"] six 1.16.0');
    const keyOf = (logs: string) => /environments\/([0-9a-f]{32})\/bin\/python/.exec(logs)?.[1];
    expect(keyOf(t.logs)).toBeDefined();
    expect(keyOf(t.logs)).toBe(keyOf(scenarios.first!.tasks!.console!.logs));
    expect(await setupLog(t)).toMatch(/task libraries: environment [0-9a-f]{32} reused in/);
  });

  it('installs the environment once: the second run reuses it, its setup close to nothing', async () => {
    const first = scenarios.first!.tasks!.console!;
    const second = scenarios.second!.tasks!.console!;
    expect(scenarios.second!.result).toBe('SUCCESS');
    expect(await setupLog(first)).toMatch(/environment [0-9a-f]{32} installed in \d+\.\d\d s/);
    expect(await setupLog(second)).toMatch(/environment [0-9a-f]{32} reused in \d+\.\d\d s/);
    // The tasks after the first one in the first run reuse it too; the task's own log is its program's.
    expect(await setupLog(scenarios.first!.tasks!.fallback!)).toMatch(/reused in/);
    expect(first.logs).not.toContain('djobs:');
    console.log(
      `environment setup: first run ${first.setup_duration} ms (install), second run ${second.setup_duration} ms (reuse)`
    );
    expect(first.setup_duration).toBeGreaterThan(0);
    expect(second.setup_duration).toBeLessThan(first.setup_duration);
    const keys = fs.readdirSync(path.join(engine.dataDir, 'environments')).filter((f) => /^[0-9a-f]{32}$/.test(f));
    // The wheel job's (its libraries' task too), the race's; none for the failed install.
    expect(keys).toHaveLength(2);
  });

  it('builds an environment once when two tasks start on it together', async () => {
    const { result, tasks } = scenarios.race!;
    expect(result).toBe('SUCCESS');
    const logs = [await setupLog(tasks!.left!), await setupLog(tasks!.right!)];
    expect(logs.filter((l) => /environment [0-9a-f]{32} installed in/.test(l))).toHaveLength(1);
    expect(logs.filter((l) => /environment [0-9a-f]{32} reused in/.test(l))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('djobs: installing'))).toHaveLength(1);
  });

  it("fails a task whose install fails with uv's message and LIBRARY_INSTALLATION_ERROR", () => {
    const { result, tasks } = scenarios.broken!;
    expect(result).toBe('FAILED');
    const t = tasks!.never_runs!;
    expect(t.result).toBe('FAILED');
    expect(t.code).toBe('LIBRARY_INSTALLATION_ERROR');
    expect(t.state_message).toContain('djobs-no-such-package-anywhere');
    expect(t.error).toContain('djobs-no-such-package-anywhere');
    expect(t.logs).not.toContain('hello_wheel.main');
  });

  it("gives a task its job cluster's spark_env_vars, overridden by its environment_variables", () => {
    const { result, tasks } = scenarios.variables!;
    expect(result).toBe('SUCCESS');
    expect(tasks!.cluster_only!.logs).toContain('MY_VAR = from spark_env_vars');
    expect(tasks!.cluster_only!.logs).toContain('CLUSTER_ONLY = cluster');
    expect(tasks!.cluster_only!.logs).toContain('DJOBS_SPARK_CONF = {"spark.sql.shuffle.partitions":"4"}');
    expect(tasks!.both!.logs).toContain('MY_VAR = from environment_variables');
    expect(tasks!.both!.logs).toContain('CLUSTER_ONLY = cluster');
  });

  it('refuses an environment_key no environment declares, naming its path', () => {
    expect(scenarios.unknown_environment!.error).toContain(
      'tasks[0].environment_key: expected an environment_key declared in environments, found "nope"'
    );
  });
});
