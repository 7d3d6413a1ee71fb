// Runs a SQL file on the embedded DuckDB warehouse, statement by statement, printing results:
// `node sql-runner.cjs --file FILE --db DB`, or main(argv) in a task host started ahead
// (node/task-host.cjs).
// Databricks-only spellings are rewritten first (sql-dialect.cjs). Parameters (DJOBS_PARAMS) are DuckDB variables (getvariable('name')) and replace legacy {{name}}.
// DuckDB allows one writing process per database file: wait for the lock instead of failing.
// `--result-json FILE` writes the last statement's columns and rows (a notebook's `%sql` cell: `_sqldf`).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
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

/**
 * An in-memory DuckDB instance, made ahead when this runner is a task host's (creating an instance
 * is most of a no-op SQL task's start); the warehouse is attached to it when the attempt comes.
 */
let prepared;
function prepare() {
  prepared ??= DuckDBInstance.create(':memory:');
  return prepared;
}

const quoted = (s) => `'${String(s).replace(/'/g, "''")}'`;
const ident = (s) => `"${String(s).replace(/"/g, '""')}"`;

/** DuckDB allows one writing process per database file: `open` again until the lock is free. */
async function withLockWait(db, deadlineMs, open) {
  let waited = false;
  for (;;) {
    try {
      return await open();
    } catch (err) {
      if (!/lock/i.test(String(err.message)) || Date.now() > deadlineMs) throw err;
      if (!waited) console.log(`waiting for the warehouse lock on ${db} …`);
      waited = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Names DuckDB keeps for itself: a file of one of them, opened directly, is `<name>_db`. */
const RESERVED_NAMES = new Set(['main', 'system', 'temp']);

/**
 * The warehouse `db` attached under the name DuckDB gives a file it opens (its base name without
 * extension) and made the only database, so that SQL sees what it would see with `db` opened
 * directly; spill files go beside it, as they would. A warehouse named `memory`, the made-ahead
 * instance's own database, is opened directly instead.
 */
async function openWarehouse(db, deadlineMs) {
  const stem = path.basename(db).replace(/\.[^.]*$/, '') || 'warehouse';
  const name = RESERVED_NAMES.has(stem.toLowerCase()) ? `${stem}_db` : stem;
  if (name.toLowerCase() === 'memory') {
    const instance = await withLockWait(db, deadlineMs, () => DuckDBInstance.create(db));
    return { instance, conn: await instance.connect() };
  }
  const instance = await prepare();
  const conn = await instance.connect();
  await withLockWait(db, deadlineMs, () => conn.run(`ATTACH ${quoted(db)} AS ${ident(name)}`));
  await conn.run(`USE ${ident(name)}`);
  await conn.run('DETACH memory');
  await conn.run(`SET temp_directory = ${quoted(`${db}.tmp`)}`);
  // Made ahead by the task host's user: the attempt's home is where DuckDB keeps its extensions.
  if (process.env.HOME) await conn.run(`SET home_directory = ${quoted(process.env.HOME)}`);
  return { instance, conn };
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
  const { instance, conn } = await openWarehouse(db, Date.now() + 60_000);
  for (const [name, value] of Object.entries(params)) await conn.run(`SET VARIABLE ${ident(name)} = ${quoted(value)}`);
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

module.exports = { main, prepare };

if (require.main === module) main(process.argv.slice(2));
