// Compatibility: Apache Airflow's Databricks provider drives the REST API unchanged: its hook
// (sync, and async through the operators' trigger), test_connection, DatabricksCreateJobsOperator,
// DatabricksRunNowOperator and DatabricksSubmitRunOperator waiting for termination, deferrable,
// and with repair_run=True on a failing job. Airflow and the provider are installed from PyPI
// into a virtual environment under .tools/ (once; it takes minutes the first time).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../api/server';
import { adminTokens, copyCompatWorkspace, runCompatScript } from '../helpers/compat';
import { ensureAirflow } from '../../scripts/python-packages';
import { useEngine } from './harness';

const root = path.resolve(__dirname, '..', '..');

describe('Airflow Databricks provider', () => {
  const engine = useEngine('airflow databricks');
  let app: FastifyInstance;
  let python: string;
  let port: number;
  beforeAll(async () => {
    python = ensureAirflow(root);
    copyCompatWorkspace(engine.workDir);
    app = await createApiServer({
      client: engine.client,
      tokens: adminTokens('airflow-token'),
      workspaceDir: engine.workDir,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  }, 900_000);
  afterAll(async () => {
    await app?.close();
  });

  it('hook, test_connection, create-jobs, run-now and submit (waiting, deferrable, repair_run) all work', async () => {
    // The provider takes host, port and scheme apart (a host with a scheme loses its port).
    const connection = { conn_type: 'databricks', host: '127.0.0.1', port, schema: 'http', password: 'airflow-token' };
    const { code, output, stdout } = await runCompatScript(python, 'airflow_databricks_compat.py', {
      AIRFLOW_HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-airflow-home-')),
      AIRFLOW_CONN_DATABRICKS_DEFAULT: JSON.stringify(connection),
      DJOBS_WORKDIR: engine.workDir,
    });
    expect(stdout, output).toMatch(/^OK$/m);
    expect(code).toBe(0);
  }, 300_000);
});
