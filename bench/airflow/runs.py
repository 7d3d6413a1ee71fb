# Reads Airflow's metadata database (SQLite) for the bench: `dags` prints the DAG ids parsed so
# far; `run <dag_id> <run_id>` prints the DAG run (state, queued/start/end) and its task instances
# (start/end), times in ms since the epoch, as one JSON object.
import json
import sqlite3
import sys
from datetime import datetime, timezone


def ms(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp() * 1000


db = sqlite3.connect(sys.argv[1])
if sys.argv[2] == "dags":
    print(json.dumps([r[0] for r in db.execute("SELECT dag_id FROM serialized_dag")]))
else:
    dag_id, run_id = sys.argv[3], sys.argv[4]
    run = db.execute(
        "SELECT state, queued_at, start_date, end_date FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)
    ).fetchone()
    tasks = db.execute(
        "SELECT task_id, state, start_date, end_date FROM task_instance WHERE dag_id = ? AND run_id = ?",
        (dag_id, run_id),
    ).fetchall()
    print(
        json.dumps(
            {
                "state": run[0] if run else None,
                "queued": ms(run[1]) if run else None,
                "start": ms(run[2]) if run else None,
                "end": ms(run[3]) if run else None,
                "tasks": [{"task_id": t[0], "state": t[1], "start": ms(t[2]), "end": ms(t[3])} for t in tasks],
            }
        )
    )
