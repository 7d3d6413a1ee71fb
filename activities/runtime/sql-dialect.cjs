// Databricks SQL spellings the embedded DuckDB warehouse does not parse, rewritten to their DuckDB
// equivalent before the statements run (docs/task-types.md lists these dialect notes).
// Only code is rewritten: string literals, quoted identifiers and comments are copied as they are.
'use strict';

// `UPDATE SET target.* = source.*` in MERGE (Databricks' spelling of "update every column from the
// source"; DuckDB only accepts `UPDATE SET *`, which means the same).
const IDENT = '(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]*`|"(?:[^"]|"")*")';
const UPDATE_SET_STAR = new RegExp(`\\bUPDATE(\\s+)SET\\s+${IDENT}\\s*\\.\\s*\\*\\s*=\\s*${IDENT}\\s*\\.\\s*\\*`, 'gi');

/** Split SQL into code and verbatim pieces (string literals, comments). */
function pieces(sql) {
  const out = [];
  let code = '';
  let i = 0;
  const flush = () => {
    if (code) out.push({ code: true, text: code });
    code = '';
  };
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    let end = -1;
    if (c === "'") {
      // '' is an escaped quote inside a literal.
      end = i + 1;
      while (end < sql.length && !(sql[end] === "'" && sql[end + 1] !== "'")) end += sql[end] === "'" ? 2 : 1;
      end = Math.min(end + 1, sql.length);
    } else if (c === '-' && next === '-') {
      end = sql.indexOf('\n', i);
      end = end < 0 ? sql.length : end;
    } else if (c === '/' && next === '*') {
      end = sql.indexOf('*/', i + 2);
      end = end < 0 ? sql.length : end + 2;
    }
    if (end < 0) {
      code += c;
      i += 1;
    } else {
      flush();
      out.push({ code: false, text: sql.slice(i, end) });
      i = end;
    }
  }
  flush();
  return out;
}

/** The SQL with Databricks-only spellings rewritten for DuckDB. */
function toDuckDbDialect(sql) {
  return pieces(sql)
    .map((p) => (p.code ? p.text.replace(UPDATE_SET_STAR, 'UPDATE$1SET *') : p.text))
    .join('');
}

module.exports = { toDuckDbDialect };
