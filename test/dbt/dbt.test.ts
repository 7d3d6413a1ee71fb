// dbt_task through the official Python SDK on the embedded warehouse: dbt seed, run and test on a
// small project (test/fixtures/dbt-project, no profiles.yml: the profile is generated), the
// warehouse's SQL task reading the model dbt built in the same DuckDB file, the artifacts
// (manifest.json, run_results.json) from runs/get-output's dbt_output, and run-now's dbt_commands.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { ensurePythonSdk, pythonSdkDir, runCompatScript } from '../helpers/compat';
import { shareUvCache } from '../helpers/python-build';
import { adminTokens, useEngine } from '../integration/harness';

interface DbtFacts {
  run: string;
  result: string;
  task_result: string;
  report: string;
  logs: string;
  artifacts: string[];
  statuses: string[];
  run_results_command: string | null;
}

describe('dbt_task through the Python SDK', () => {
  shareUvCache();
  const engine = useEngine('dbt');
  let app: FastifyInstance;
  const runs: Record<string, DbtFacts> = {};
  beforeAll(async () => {
    ensurePythonSdk();
    const project = path.join(engine.workDir, 'shop');
    fs.cpSync(path.resolve(__dirname, '..', 'fixtures', 'dbt-project'), project, { recursive: true });
    const report = path.join(engine.workDir, 'report.sql');
    fs.writeFileSync(report, 'SELECT customer, total FROM sales.customer_totals ORDER BY customer;\n');
    app = await createApiServer({
      client: engine.client,
      tokens: adminTokens('dbt-token'),
      workspaceDir: engine.workDir,
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const { code, output, stdout } = await runCompatScript('python3', 'dbt_compat.py', {
      DJOBS_HOST: base,
      DJOBS_TOKEN: 'dbt-token',
      PROJECT: project,
      REPORT_SQL: report,
      PYTHONPATH: pythonSdkDir,
    });
    expect(output, output).toContain('OK');
    expect(code).toBe(0);
    for (const line of stdout.split('\n').filter((l) => l.startsWith('{'))) {
      const fact = JSON.parse(line) as DbtFacts;
      runs[fact.run] = fact;
    }
  }, 900_000);
  afterAll(async () => {
    await app?.close();
  });

  it('seeds, runs and tests the project on the warehouse the SQL task reads', () => {
    const r = runs.seed_run_test!;
    expect(r.result).toBe('SUCCESS');
    expect(r.logs).toContain('djobs: dbt seed');
    expect(r.logs).toContain('djobs: dbt test');
    expect(r.logs).toMatch(/Done\. PASS=3 WARN=0 ERROR=0/);
    expect(r.report).toMatch(/ada\s*\|\s*25/);
    expect(r.report).toMatch(/grace\s*\|\s*12/);
  });

  it("keeps the artifacts as the run's files: manifest.json and run_results.json in dbt_output", () => {
    const r = runs.seed_run_test!;
    expect(r.artifacts).toEqual(expect.arrayContaining(['target/manifest.json', 'target/run_results.json']));
    expect(r.run_results_command).toBe('test'); // the last command's results
    expect(r.statuses).toEqual(['pass', 'pass', 'pass']);
  });

  it("runs run-now's dbt_commands instead of the task's", () => {
    const r = runs.dbt_commands!;
    expect(r.result).toBe('SUCCESS');
    expect(r.logs).toContain('djobs: dbt run --select customer_totals');
    expect(r.logs).not.toContain('djobs: dbt seed');
    expect(r.run_results_command).toBe('run');
    expect(r.statuses).toEqual(['success']);
  });
});
