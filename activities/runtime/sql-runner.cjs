// Runs a SQL file on the embedded DuckDB warehouse, statement by statement, printing results:
// `node sql-runner.cjs --file FILE --db DB`, or main(argv) in a task host started ahead
// (node/task-host.cjs).
// Databricks-only spellings are rewritten first (sql-dialect.cjs). Parameters (DJOBS_PARAMS) are DuckDB variables (getvariable('name')) and replace legacy {{name}}.
// DuckDB allows one writing process per database file: wait for the lock instead of failing.
// `--result-json FILE` writes the last statement's columns and rows (a notebook's `%sql` cell: `_sqldf`).
'use strict';
const fs = require('node:fs');
const { DuckDBInstance } = require('@duckdb/node-api');
const { toDuckDbDialect } = require('./sql-dialect.cjs');

function arg(argv, name) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function formatTable(columns, rows, total) {
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? 'NULL' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (vals) => vals.map((v, i) => v.padEnd(widths[i])).join(' | ');
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)];
  if (total > rows.length) out.push(`(${total} rows, first ${rows.length} shown)`);
  return out.join('\n');
}

async function openWithLockWait(db, deadlineMs) {
  let waited = false;
  for (;;) {
    try {
      return await DuckDBInstance.create(db);
    } catch (err) {
      if (!/lock/i.test(String(err.message)) || Date.now() > deadlineMs) throw err;
      if (!waited) console.log(`waiting for the warehouse lock on ${db} …`);
      waited = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Rows of a result set, and characters of a value, that runs/get-output shows (the run's history keeps them). */
const SUMMARY_ROWS = 20;
const SUMMARY_VALUE_CHARS = 256;
const summaryValue = (v) =>
  v === null || v === undefined ? null : (typeof v === 'string' ? v : JSON.stringify(v)).slice(0, SUMMARY_VALUE_CHARS);

/** Run `--file FILE --db DB` (ARGV); DuckDB is loaded already, so a prestarted runner only runs. */
async function run(argv) {
  // The warehouse's files are its group's (every principal that uses it writes them): DuckDB's
  // new files (write-ahead log, spill files) are the group's to write too.
  process.umask(0o007);
  const file = arg(argv, 'file');
  const db = arg(argv, 'db');
  const params = JSON.parse(process.env.DJOBS_PARAMS || '{}');
  let sql = toDuckDbDialect(fs.readFileSync(file, 'utf8'));
  sql = sql.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (m, name) => (name in params ? params[name] : m));
  const instance = await openWithLockWait(db, Date.now() + 60_000);
  const conn = await instance.connect();
  for (const [name, value] of Object.entries(params)) {
    await conn.run(`SET VARIABLE "${name.replace(/"/g, '""')}" = '${String(value).replace(/'/g, "''")}'`);
  }
  const statements = await conn.extractStatements(sql);
  const resultJson = arg(argv, 'result-json');
  // runs/get-output's sql_output: the last result set's row count and first rows (core SqlResultSummary).
  const summaryFile = process.env.DJOBS_SQL_RESULT;
  let summary = { statements: statements.count, columns: [], row_count: 0, rows: [] };
  for (let i = 0; i < statements.count; i++) {
    const prepared = await statements.prepare(i);
    const reader = await prepared.runAndReadAll();
    const columns = reader.columnNames();
    const rows = reader.getRowObjectsJson();
    if (resultJson && i === statements.count - 1)
      fs.writeFileSync(resultJson, JSON.stringify({ columns, rows: reader.getRowsJson() }));
    if (columns.length > 0 && !(columns.length === 1 && columns[0] === 'Count')) {
      console.log(formatTable(columns, rows.slice(0, 20), rows.length));
      const first = rows.slice(0, SUMMARY_ROWS).map((r) => columns.map((c) => summaryValue(r[c])));
      summary = { statements: statements.count, columns, row_count: rows.length, rows: first };
    } else if (rows.length === 1 && columns[0] === 'Count') {
      console.log(`${rows[0].Count} rows affected`);
    }
  }
  instance.closeSync();
  if (summaryFile) fs.writeFileSync(summaryFile, JSON.stringify(summary));
}

/** The runner's whole life: run, and exit 1 with the error on a failure. */
function main(argv) {
  run(argv).catch((err) => {
    console.error(`SQL error: ${err.message.split('\n')[0]}`);
    if (err.message.includes('\n')) console.error(err.message);
    process.exit(1);
  });
}

module.exports = { main };

if (require.main === module) main(process.argv.slice(2));
