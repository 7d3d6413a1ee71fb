"""The official Databricks Python SDK running a dbt_task on the embedded warehouse: dbt seed, run
and test on a small project (its profile generated: dbt-duckdb on the warehouse's DuckDB file), a
SQL task of the same warehouse reading the model dbt built, dbt_output's artifacts from
runs/get-output, and run-now's dbt_commands.

Run by test/integration/dbt.test.ts with DJOBS_HOST, DJOBS_TOKEN, PROJECT (the dbt project's
directory) and REPORT_SQL (a SQL file reading its model) set. Prints one JSON line of facts per run for the test to check, then OK.
"""
import json
import os
import tarfile
from datetime import timedelta
from urllib.parse import urlparse

from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs

w = WorkspaceClient(host=os.environ["DJOBS_HOST"], token=os.environ["DJOBS_TOKEN"], auth_type="pat")
wait = timedelta(minutes=10)

# The warehouse both tasks use: the job's identity needs CAN_USE on it (its creator owns it).
shop = w.warehouses.create(name="shop").response.id

job = w.jobs.create(
    name="dbt job",
    tasks=[
        jobs.Task(
            task_key="dbt",
            dbt_task=jobs.DbtTask(
                project_directory=os.environ["PROJECT"],
                commands=["dbt seed", "dbt run", "dbt test"],
                warehouse_id=shop,
                schema="sales",
            ),
        ),
        # The same warehouse's SQL task reads what dbt built.
        jobs.Task(
            task_key="report",
            depends_on=[jobs.TaskDependency(task_key="dbt")],
            sql_task=jobs.SqlTask(warehouse_id=shop, file=jobs.SqlTaskFile(path=os.environ["REPORT_SQL"])),
        ),
    ],
)
run = w.jobs.run_now(job_id=job.job_id).result(timeout=wait)


def dbt_facts(run):
    task = next(t for t in run.tasks if t.task_key == "dbt")
    out = w.jobs.get_run_output(run_id=task.run_id)
    link = out.dbt_output.artifacts_link if out.dbt_output else None
    members = []
    run_results = None
    if link:
        with tarfile.open(urlparse(link).path) as tar:
            members = tar.getnames()
            run_results = json.load(tar.extractfile("target/run_results.json"))
    report = next((t for t in run.tasks if t.task_key == "report"), None)
    return {
        "result": run.state.result_state.value,
        "report": (w.jobs.get_run_output(run_id=report.run_id).logs or "") if report else "",
        "task_result": task.state.result_state.value,
        "logs": out.logs or "",
        "artifacts": members,
        "statuses": sorted(r["status"] for r in run_results["results"]) if run_results else [],
        "run_results_command": run_results["args"]["which"] if run_results else None,
    }


print(json.dumps({"run": "seed_run_test", **dbt_facts(run)}), flush=True)
again = w.jobs.run_now(job_id=job.job_id, dbt_commands=["dbt run --select customer_totals"]).result(timeout=wait)
print(json.dumps({"run": "dbt_commands", **dbt_facts(again)}), flush=True)
print("OK")
