"""Apache Airflow's Databricks provider driving durable-jobs' REST API, unchanged.

Run by test/integration/airflow-databricks.test.ts with DJOBS_HOST (http://127.0.0.1:PORT), DJOBS_TOKEN
and DJOBS_WORKDIR set; the test also sets AIRFLOW_HOME (an empty temporary directory: nothing here
needs Airflow's database) and AIRFLOW_CONN_DATABRICKS_DEFAULT. Operators are executed directly, the
way a worker executes them; a deferrable operator's trigger is run to completion with asyncio, the
way the triggerer runs it, and its event handed back to the operator. Prints OK when every step
behaved as it does against Databricks.
"""
import asyncio
import os
import time

from airflow.exceptions import AirflowException
from airflow.sdk.exceptions import TaskDeferred
from airflow.providers.databricks.hooks.databricks import DatabricksHook
from airflow.providers.databricks.operators.databricks import (
    DatabricksCreateJobsOperator,
    DatabricksRunNowOperator,
    DatabricksSubmitRunOperator,
)

workdir = os.environ["DJOBS_WORKDIR"]
hook = DatabricksHook(retry_limit=3, retry_delay=1)
context = {}
fast = dict(do_xcom_push=False, polling_period_seconds=1, databricks_retry_delay=1)


async def first_event(trigger):
    async for event in trigger.run():
        return event


def run_deferrable(operator, release=None):
    """
    Execute a deferrable operator the way Airflow does: while it defers, run its trigger to its
    first event (as the triggerer does) and resume the operator with it. `release` names the gate
    file its task waits for, created once the operator has deferred: the trigger's polling is what
    sees the run finish. Returns how many times the operator deferred.
    """
    step = lambda: operator.execute(context)
    deferrals = 0
    while True:
        try:
            step()
            return deferrals
        except TaskDeferred as deferred:
            deferrals += 1
            if release:
                open(os.path.join(workdir, release), "w").close()
            event = asyncio.run(first_event(deferred.trigger))
            step = lambda e=event, m=deferred.method_name: getattr(operator, m)(context, e.payload)


# test_connection: GET /api/2.0/clusters/spark-versions
ok, message = hook.test_connection()
assert ok, message

# DatabricksCreateJobsOperator: creates, then (same name) resets the job
job_spec = dict(
    name="airflow job",
    tasks=[{"task_key": "hello", "spark_python_task": {"python_file": "hello.py", "parameters": ["from-job"]}}],
)
job_id = DatabricksCreateJobsOperator(task_id="create", json=job_spec, do_xcom_push=False).execute(context)
assert isinstance(job_id, int), job_id
deadline = time.time() + 30
while hook.find_job_id_by_name("airflow job") != job_id:  # jobs/list by name (eventually consistent)
    assert time.time() < deadline, "the created job is not listed by name"
    time.sleep(0.5)
again = DatabricksCreateJobsOperator(
    task_id="create-again", json={**job_spec, "description": "reset by Airflow"}, do_xcom_push=False
).execute(context)
assert again == job_id, (again, job_id)
assert hook._do_api_call(("GET", "2.2/jobs/get"), {"job_id": job_id})["settings"]["description"] == "reset by Airflow"

# DatabricksRunNowOperator, waiting (sync hook: runs/get with a query string), with python_params
op = DatabricksRunNowOperator(task_id="run-now", job_id=job_id, python_params=["from-airflow"], **fast)
op.execute(context)
run = hook.get_run(op.run_id)
assert run["state"]["result_state"] == "SUCCESS", run["state"]
assert run["overriding_parameters"] == {"python_params": ["from-airflow"]}, run.get("overriding_parameters")
output = hook.get_run_output(run["tasks"][0]["run_id"])
assert "hello from-airflow" in output["logs"], output
assert hook.get_run_page_url(op.run_id) == run["run_page_url"]
assert run["run_page_url"].startswith("http"), run["run_page_url"]

# deferrable=True: the trigger polls through the async hook (runs/get with a JSON body); the task
# waits for its gate, opened only once the operator has deferred
gated_id = hook.create_job(
    {"name": "airflow gated", "tasks": [{"task_key": "gate", "spark_python_task": {"python_file": "gate.py", "parameters": ["run-now"]}}]}
)
op = DatabricksRunNowOperator(task_id="run-now-deferred", job_id=gated_id, deferrable=True, **fast)
assert run_deferrable(op, release="run-now") == 1
assert hook.get_run_state(op.run_id).is_successful

# DatabricksSubmitRunOperator, waiting and deferrable
submit_tasks = [{"task_key": "hi", "spark_python_task": {"python_file": "hello.py", "parameters": ["submitted"]}}]
op = DatabricksSubmitRunOperator(task_id="submit", tasks=submit_tasks, run_name="airflow submit", **fast)
op.execute(context)
assert hook.get_run_state(op.run_id).is_successful
gated_tasks = [{"task_key": "gate", "spark_python_task": {"python_file": "gate.py", "parameters": ["submit"]}}]
op = DatabricksSubmitRunOperator(
    task_id="submit-deferred", tasks=gated_tasks, run_name="airflow submit deferred", deferrable=True, **fast
)
assert run_deferrable(op, release="submit") == 1
assert hook.get_run_state(op.run_id).is_successful

# repair_run=True on a job whose task fails once: the operator reads the repair history
# (runs/get?include_history=true), repairs the failed tasks and waits for the repair to succeed.
# The provider then still raises with the original failure (its documented behaviour).
flaky_id = hook.create_job(
    {"name": "airflow flaky", "tasks": [{"task_key": "flaky", "spark_python_task": {"python_file": "fail_once.py"}}]}
)
op = DatabricksRunNowOperator(task_id="repair", job_id=flaky_id, repair_run=True, **fast)
try:
    op.execute(context)
    raise AssertionError("the failed run did not raise")
except AirflowException as err:
    assert "failed with terminal state" in str(err), err
repaired = hook._do_api_call(("GET", "2.2/jobs/runs/get"), {"run_id": op.run_id, "include_history": True})
assert repaired["state"]["result_state"] == "SUCCESS", repaired["state"]
assert [h["type"] for h in repaired["repair_history"]] == ["ORIGINAL", "REPAIR"], repaired["repair_history"]
assert hook.get_latest_repair_id(op.run_id) == repaired["repair_history"][1]["id"]

# the same with deferrable=True: the failure comes back as the trigger's event (or at once), the
# operator repairs and defers again until the repair succeeds. The repaired attempt waits for the
# "repair" gate, opened once the operator has deferred: a failure seen at once and a repair that
# ends before the operator looks would otherwise never defer.
os.remove(os.path.join(workdir, "failed_once"))
gated_flaky_id = hook.create_job(
    {
        "name": "airflow flaky gated",
        "tasks": [{"task_key": "flaky", "spark_python_task": {"python_file": "fail_once.py", "parameters": ["repair"]}}],
    }
)
op = DatabricksRunNowOperator(
    task_id="repair-deferred", job_id=gated_flaky_id, repair_run=True, deferrable=True, **fast
)
assert run_deferrable(op, release="repair") >= 1
again = hook._do_api_call(("GET", "2.2/jobs/runs/get"), {"run_id": op.run_id, "include_history": True})
assert again["state"]["result_state"] == "SUCCESS", again["state"]
assert [h["type"] for h in again["repair_history"]] == ["ORIGINAL", "REPAIR"], again["repair_history"]

# a new run of a job that defines job parameters refuses legacy task parameters with a clear 400
param_job = hook.create_job(
    {
        "name": "airflow params",
        "parameters": [{"name": "who", "default": "nobody"}],
        "tasks": [{"task_key": "hello", "spark_python_task": {"python_file": "hello.py", "parameters": ["{{job.parameters.who}}"]}}],
    }
)
try:
    hook.run_now({"job_id": param_job, "python_params": ["x"]})
    raise AssertionError("legacy parameters on a job with job parameters were accepted")
except AirflowException as err:
    assert "Status Code: 400" in str(err) and "defines job parameters (who)" in str(err), err
op = DatabricksRunNowOperator(task_id="job-params", job_id=param_job, job_parameters={"who": "airflow"}, **fast)
op.execute(context)
out = hook.get_run_output(hook.get_run(op.run_id)["tasks"][0]["run_id"])
assert "hello airflow" in out["logs"], out

for j in (job_id, gated_id, flaky_id, param_job):
    hook._do_api_call(("POST", "2.2/jobs/delete"), {"job_id": j})
print("OK")
