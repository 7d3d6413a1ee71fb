// Databricks SQL spellings on the embedded DuckDB warehouse: the rewrite, table-driven, and the
// seed's CDC statement verbatim through the real SQL runner on a real DuckDB file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const runtime = path.resolve(__dirname, '..', '..', '..', 'activities', 'runtime');
const { toDuckDbDialect } = createRequire(__filename)(path.join(runtime, 'sql-dialect.cjs')) as {
  toDuckDbDialect: (sql: string) => string;
};

describe('toDuckDbDialect', () => {
  it.each([
    ['WHEN MATCHED THEN UPDATE SET target.* = source.*', 'WHEN MATCHED THEN UPDATE SET *'],
    ['when matched then update set t . * = s . * when', 'when matched then UPDATE SET * when'],
    ['UPDATE\n  SET `t`.* = "s".*', 'UPDATE\n  SET *'],
    ['UPDATE SET * WHEN NOT MATCHED THEN INSERT *', 'UPDATE SET * WHEN NOT MATCHED THEN INSERT *'],
    ["SELECT 'UPDATE SET a.* = b.*' AS s", "SELECT 'UPDATE SET a.* = b.*' AS s"],
    ["SELECT 'it''s UPDATE SET a.* = b.*'", "SELECT 'it''s UPDATE SET a.* = b.*'"],
    ['-- UPDATE SET a.* = b.*\nSELECT 1', '-- UPDATE SET a.* = b.*\nSELECT 1'],
    ['/* UPDATE SET a.* = b.* */ SELECT 1', '/* UPDATE SET a.* = b.* */ SELECT 1'],
    ['UPDATE SET name = source.name', 'UPDATE SET name = source.name'],
  ])('%j → %j', (input, expected) => {
    expect(toDuckDbDialect(input)).toBe(expected);
  });
});

describe('the seed CDC statement on the SQL runner', () => {
  it('MERGE … UPDATE SET target.* = source.* runs verbatim and upserts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-sql-'));
    try {
      const file = path.join(dir, 'cdc.sql');
      fs.writeFileSync(
        file,
        [
          'CREATE TABLE customers_bronze (customer_id INTEGER, name VARCHAR);',
          'CREATE TABLE customers_silver (customer_id INTEGER, name VARCHAR);',
          "INSERT INTO customers_bronze VALUES (1, 'Ada'), (2, 'Grace');",
          "INSERT INTO customers_silver VALUES (1, 'old');",
          'MERGE INTO customers_silver AS target USING customers_bronze AS source ON target.customer_id = source.customer_id WHEN MATCHED THEN UPDATE SET target.* = source.* WHEN NOT MATCHED THEN INSERT *;',
          "SELECT string_agg(customer_id || '=' || name, ',' ORDER BY customer_id) AS silver FROM customers_silver;",
        ].join('\n')
      );
      const out = execFileSync(
        process.execPath,
        [path.join(runtime, 'sql-runner.cjs'), '--file', file, '--db', path.join(dir, 'w.duckdb')],
        { encoding: 'utf8', env: { ...process.env, DJOBS_PARAMS: '{}' } }
      );
      expect(out).toMatch(/silver\s*\n-+\s*\n1=Ada,2=Grace/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
