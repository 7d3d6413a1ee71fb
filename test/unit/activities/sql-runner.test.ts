// The SQL runner (activities/runtime/sql-runner.cjs) as a real process on a real DuckDB file: the
// warehouse attached to its made-ahead instance is what the file opened directly would be, its
// name as DuckDB gives a file it opens (reserved names get `_db`; `memory` is opened directly),
// and what one run writes the next one reads.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const runner = path.resolve(__dirname, '..', '..', '..', 'activities', 'runtime', 'sql-runner.cjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-sql-runner-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function runSql(db: string, sql: string): string {
  const file = path.join(dir, `q-${Math.random().toString(36).slice(2)}.sql`);
  fs.writeFileSync(file, sql);
  return execFileSync(process.execPath, [runner, '--file', file, '--db', db], { encoding: 'utf8' });
}

describe('the SQL runner', () => {
  it.each([
    ['sales', 'sales'],
    ['memory', 'memory'],
    ['system', 'system_db'],
    ['temp', 'temp_db'],
  ])('warehouse %s: current_database() %s, the only database, and its tables kept', (id, expected) => {
    fs.mkdirSync(path.join(dir, id), { recursive: true });
    const db = path.join(dir, id, `${id}.duckdb`);
    const first = runSql(
      db,
      'CREATE TABLE t AS SELECT current_database() AS d; SELECT count(*) AS n FROM duckdb_databases() WHERE NOT internal;'
    );
    expect(first).toMatch(/n\s*\n-+\n1\b/);
    expect(runSql(db, 'SELECT d FROM t;')).toContain(expected);
  });
});
