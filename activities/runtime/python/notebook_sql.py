"""`%sql` cells: on the task's warehouse, the embedded DuckDB through the same runner as SQL tasks
(../sql-runner.cjs, DJOBS_WAREHOUSE_DB), or on Spark when DJOBS_SPARK_REMOTE names a Spark Connect
server (djobs_spark). The result of the cell's last statement becomes `_sqldf`, as on Databricks:
a Spark DataFrame on Spark, else a pandas DataFrame (a list of row dicts without pandas)."""
import json
import os
import re
import subprocess
import sys
import tempfile

RUNNER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sql-runner.cjs")
LEGACY_WIDGET = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


class SqlError(Exception):
    pass


def with_widgets(sql):
    """Databricks' legacy `${name}` widget references, replaced by the widget's value."""
    params = json.loads(os.environ.get("DJOBS_PARAMS", "{}"))
    return LEGACY_WIDGET.sub(lambda m: params.get(m.group(1), m.group(0)), sql)


def run_sql(sql):
    sql = with_widgets(sql)
    if os.environ.get("DJOBS_SPARK_REMOTE"):
        return _on_spark(sql)
    return _on_duckdb(sql)


def _on_spark(sql):
    try:
        import djobs_spark
    except ImportError as err:
        raise SqlError(f"DJOBS_SPARK_REMOTE is set but the Spark runtime cannot be imported: {err}") from None
    spark = djobs_spark.spark_session()
    result = None
    for statement in split_statements(sql):
        result = spark.sql(statement)
    if result is not None and hasattr(djobs_spark, "display"):
        djobs_spark.display(result)
    return result


def _on_duckdb(sql):
    db = os.environ.get("DJOBS_WAREHOUSE_DB")
    if not db:
        raise SqlError("This task has no SQL warehouse (DJOBS_WAREHOUSE_DB is not set).")
    with tempfile.TemporaryDirectory(prefix="djobs-sql-") as scratch:
        query = os.path.join(scratch, "cell.sql")
        result_file = os.path.join(scratch, "result.json")
        with open(query, "w") as f:
            f.write(sql)
        sys.stdout.flush()
        done = subprocess.run(
            [os.environ.get("DJOBS_NODE") or "node", RUNNER, "--file", query, "--db", db, "--result-json", result_file],
            stderr=subprocess.PIPE,
            text=True,
        )
        if done.returncode != 0:
            lines = [l for l in done.stderr.splitlines() if l.strip()]
            sys.stderr.write(done.stderr)
            raise SqlError(next((l for l in reversed(lines) if l.startswith("SQL error")), lines[-1] if lines else "SQL failed")) from None
        if not os.path.exists(result_file):
            return None
        with open(result_file) as f:
            result = json.load(f)
    return _frame(result["columns"], result["rows"])


def _frame(columns, rows):
    try:
        import pandas
    except ImportError:
        return [dict(zip(columns, r)) for r in rows]
    return pandas.DataFrame(rows, columns=columns)


def split_statements(sql):
    """Statements of a SQL text, split at semicolons outside quotes and comments."""
    out, current, i, quote = [], [], 0, None
    while i < len(sql):
        c = sql[i]
        if quote:
            current.append(c)
            if c == quote:
                quote = None
        elif c in "'\"`":
            quote = c
            current.append(c)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end
            continue
        elif c == ";":
            out.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    out.append("".join(current))
    return [s.strip() for s in out if s.strip()]
