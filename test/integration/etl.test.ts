// The seed's ETL job end to end: the Databricks payload as written, Python bronze, SQL silver
// with MERGE INTO, SQL gold, on the embedded DuckDB warehouse.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { warehousePath } from '../../activities/warehouses';
import { loadJobSpecFile } from '../../client';
import { latestByKey, useEngine } from './harness';

const example = path.resolve(__dirname, '..', '..', 'examples', 'etl');

async function query(dbFile: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(dbFile, { access_mode: 'READ_ONLY' });
  try {
    const conn = await db.connect();
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJson();
  } finally {
    db.closeSync();
  }
}

describe('ETL example (bronze → silver → gold)', () => {
  const engine = useEngine('etl');
  let dir: string;
  beforeAll(async () => {
    dir = path.join(engine.workDir, 'etl');
    fs.cpSync(example, dir, { recursive: true, filter: (src) => !src.includes('_output') });
  });

  it('runs the seed payload to SUCCESS, twice, with an idempotent MERGE', async () => {
    const { settings } = await loadJobSpecFile(path.join(dir, 'job.json'));
    expect(settings.tasks[0]!.notebook_task!.notebook_path).toBe(path.join(dir, 'bronze_ingest.py'));

    for (let i = 0; i < 2; i++) {
      const { run_id } = await engine.client.submitRun(settings);
      const run = await engine.client.waitForRun(run_id, { timeoutMs: 90_000 });
      expect(run.state.result_state, JSON.stringify(run.tasks.map((t) => [t.task_key, t.state]))).toBe('SUCCESS');
      const tasks = latestByKey(run);
      expect(Object.keys(tasks)).toEqual(['ingest_bronze', 'transform_silver', 'aggregate_gold']);
      // Dependencies were respected: each task started after its upstream ended.
      expect(tasks.transform_silver!.start_time).toBeGreaterThanOrEqual(tasks.ingest_bronze!.end_time);
      expect(tasks.aggregate_gold!.start_time).toBeGreaterThanOrEqual(tasks.transform_silver!.end_time);

      const state = await engine.client.getRunState(run_id);
      expect(state.tasks.ingest_bronze!.taskValues).toEqual({ bronze_rows: 10 });
      const silverOut = await engine.client.getRunOutput(run_id, 'transform_silver');
      expect(silverOut.logs).toContain('silver_customers');
      expect(fs.existsSync(silverOut.log_path!)).toBe(true);
    }

    const warehouse = warehousePath(engine.dataDir, undefined);
    const silver = await query(warehouse, 'SELECT customer_id, email FROM customers_silver ORDER BY customer_id');
    expect(silver.map((r) => Number(r.customer_id))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(silver.find((r) => Number(r.customer_id) === 2)!.email).toBe('grace.hopper@example.com');
    const gold = fs
      .readFileSync(path.join(dir, '_output', 'customers_by_country.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(gold[0]).toBe('country,customers,last_update');
    expect(gold.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['GB,3', 'US,3', 'NL,1']);
  });
});
