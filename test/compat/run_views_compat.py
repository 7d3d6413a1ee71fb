"""The official Databricks Python SDK reading runs as Databricks shapes them: a task run id's own
view (job_run_id, its page, attempt_number), each task's cluster_instance, the job's settings fields on the run, the
state_message of each repair history entry, termination codes chosen as Databricks chooses them,
resolved_values (include_resolved_values), a file-arrival job's trigger_state, the sql_output
of SQL tasks in runs/get-output, and a for_each task run's iterations, paged.

Run by test/integration/databricks-sdk.test.ts with DJOBS_HOST, DJOBS_TOKEN and DJOBS_WORKDIR set.
Prints OK when every step behaved as it does against Databricks.
"""
import os
import time
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, OperationFailed
from databricks.sdk.service import jobs

w = WorkspaceClient(host=os.environ["DJOBS_HOST"], token=os.environ["DJOBS_TOKEN"], auth_type="pat")
workdir = os.environ["DJOBS_WORKDIR"]

schedule = jobs.CronSchedule(quartz_cron_expression="0 0 1 * * ?", timezone_id="UTC", pause_status=jobs.PauseStatus.PAUSED)
created = w.jobs.create(
    name="sdk run views",
    description="reads runs",
    schedule=schedule,
    tasks=[
        jobs.Task(task_key="first", notebook_task=jobs.NotebookTask(notebook_path="ok")),
        jobs.Task(
            task_key="flaky",
            depends_on=[jobs.TaskDependency(task_key="first")],
            notebook_task=jobs.NotebookTask(notebook_path="views_flaky"),
        ),
    ],
)
run_id = None
try:
    waiter = w.jobs.run_now(job_id=created.job_id)
    run_id = waiter.response.run_id
    waiter.result(timeout=timedelta(minutes=2))
    raise AssertionError("the failed run did not raise")
except OperationFailed:
    pass

run = w.jobs.get_run(run_id=run_id)
# the job's settings fields, copied onto the run
assert run.description == "reads runs", run.description
assert run.schedule.quartz_cron_expression == "0 0 1 * * ?", run.schedule
# every task: its attempt number and its own page
for task in run.tasks:
    assert task.attempt_number == 0, task
    assert task.run_page_url and task.run_page_url.startswith("http"), task

# each task that a worker ran names its worker pool, a cluster of the Clusters API
for task in run.tasks:
    assert task.cluster_instance.cluster_id == "default", task.cluster_instance
assert w.clusters.get(cluster_id="default").cluster_name == "default"

# a task run id gives that task run's own view, with its job run as job_run_id
first = next(t for t in run.tasks if t.task_key == "first")
own = w.jobs.get_run(run_id=first.run_id)
assert own.run_id == first.run_id, own.run_id
assert own.job_run_id == run_id, own.job_run_id
assert own.job_id == created.job_id, own.job_id
assert [t.task_key for t in own.tasks] == ["first"], own.tasks
assert own.state.result_state == jobs.RunResultState.SUCCESS, own.state
assert own.run_page_url == first.run_page_url, own.run_page_url
flaky = next(t for t in run.tasks if t.task_key == "flaky")
assert w.jobs.get_run(run_id=flaky.run_id).state.result_state == jobs.RunResultState.FAILED
try:
    w.jobs.get_run(run_id=flaky.run_id + 1000)
    raise AssertionError("a task run id the run does not have was found")
except NotFound:
    pass

# repair history: each execution says why it ended as it did
open(os.path.join(workdir, "views_fixed"), "w").close()
repaired = w.jobs.repair_run(run_id=run_id, rerun_all_failed_tasks=True).result(timeout=timedelta(minutes=2))
assert repaired.state.result_state == jobs.RunResultState.SUCCESS, repaired.state
history = w.jobs.get_run(run_id=run_id, include_history=True).repair_history
assert [h.type for h in history] == [jobs.RepairHistoryItemType.ORIGINAL, jobs.RepairHistoryItemType.REPAIR], history
assert "flaky" in history[0].state.state_message, history[0].state
assert history[0].status.termination_details.message == history[0].state.state_message, history[0].status

# termination codes: a notebook gone since the job was saved, an invalid configuration, the task's own code
open(os.path.join(workdir, "gone.py"), "w").write("print(1)\n")
broken = w.jobs.create(
    name="sdk termination codes",
    tasks=[
        jobs.Task(task_key="missing", notebook_task=jobs.NotebookTask(notebook_path="gone")),
        jobs.Task(task_key="invalid", notebook_task=jobs.NotebookTask(notebook_path="notes.txt")),
        jobs.Task(task_key="fails", notebook_task=jobs.NotebookTask(notebook_path="views_flaky"), max_retries=0),
    ],
)
os.remove(os.path.join(workdir, "views_fixed"))
os.remove(os.path.join(workdir, "gone.py"))
try:
    w.jobs.run_now(job_id=broken.job_id).result(timeout=timedelta(minutes=2))
    raise AssertionError("the broken run did not raise")
except OperationFailed:
    pass
ended = w.jobs.list_runs(job_id=broken.job_id).__next__()
ended = w.jobs.get_run(run_id=ended.run_id)
codes = {t.task_key: (t.status.termination_details.code, t.status.termination_details.type) for t in ended.tasks}
C, T = jobs.TerminationCodeCode, jobs.TerminationTypeType
assert codes == {
    "missing": (C.RESOURCE_NOT_FOUND, T.CLIENT_ERROR),
    "invalid": (C.INVALID_RUN_CONFIGURATION, T.CLIENT_ERROR),
    "fails": (C.RUN_EXECUTION_ERROR, T.CLIENT_ERROR),
}, codes
assert ended.status.termination_details.code == C.RUN_EXECUTION_ERROR, ended.status

# resolved_values: the parameters each task received, its references resolved (asked for only)
valued = w.jobs.create(
    name="sdk resolved values",
    parameters=[jobs.JobParameterDefinition(name="who", default="nobody")],
    tasks=[
        jobs.Task(task_key="nb", notebook_task=jobs.NotebookTask(notebook_path="ok", base_parameters={"greet": "hi {{job.parameters.who}}", "id": "{{job.id}}"})),
        jobs.Task(task_key="check", depends_on=[jobs.TaskDependency(task_key="nb")], condition_task=jobs.ConditionTask(op=jobs.ConditionTaskOp.EQUAL_TO, left="{{job.parameters.who}}", right="sdk")),
    ],
)
done = w.jobs.run_now(job_id=valued.job_id, job_parameters={"who": "sdk"}).result(timeout=timedelta(minutes=2))
assert all(t.resolved_values is None for t in w.jobs.get_run(run_id=done.run_id).tasks), "resolved_values unasked"
tasks = {t.task_key: t for t in w.jobs.get_run(run_id=done.run_id, include_resolved_values=True).tasks}
assert tasks["nb"].resolved_values.notebook_task.base_parameters == {"greet": "hi sdk", "id": str(valued.job_id)}, tasks["nb"].resolved_values
assert (tasks["check"].resolved_values.condition_task.left, tasks["check"].resolved_values.condition_task.right) == ("sdk", "sdk"), tasks["check"].resolved_values

# trigger_state (include_trigger_state): a file-arrival job's watcher lists (no file events) and
# has taken stock of the file already there (durable-jobs' extension fields say how many)
landing = os.path.join(workdir, "landing")
os.makedirs(landing)
open(os.path.join(landing, "old.csv"), "w").write("old")
watched = w.jobs.create(
    name="sdk trigger state",
    trigger=jobs.TriggerSettings(file_arrival=jobs.FileArrivalTriggerConfiguration(url=f"file://{landing}")),
    tasks=[jobs.Task(task_key="t", notebook_task=jobs.NotebookTask(notebook_path="ok"))],
)
assert w.jobs.get(job_id=watched.job_id).trigger_state is None, "trigger_state unasked"
deadline = time.time() + 60
while True:
    raw = w.api_client.do("GET", "/api/2.2/jobs/get", query={"job_id": watched.job_id, "include_trigger_state": "true"})
    if raw.get("trigger_state", {}).get("file_arrival", {}).get("djobs_seen_files") == 1:
        break
    assert time.time() < deadline, raw.get("trigger_state")
    time.sleep(0.2)
state = w.jobs.get(job_id=watched.job_id, include_trigger_state=True).trigger_state
assert state.file_arrival.using_file_events is False, state
assert state.pause_status == jobs.PauseStatus.UNPAUSED, state
assert raw["trigger_state"]["file_arrival"]["djobs_pending_files"] == 0, raw
w.jobs.delete(job_id=watched.job_id)

# sql_output: a SQL file's statements with the last result set's first rows; an inline query's
open(os.path.join(workdir, "views.sql"), "w").write("SELECT 1 AS one;\nSELECT range AS i, NULL AS nothing FROM range(25);\n")
sql = w.api_client.do("POST", "/api/2.2/jobs/create", body={
    "name": "sdk sql output",
    "tasks": [
        {"task_key": "file", "sql_task": {"warehouse_id": "default", "file": {"path": os.path.join(workdir, "views.sql")}}},
        {"task_key": "query", "sql_task": {"warehouse_id": "default", "query": {"query_text": "SELECT 'x' AS s, 42 AS n"}}},
    ],
})
ran = w.jobs.run_now(job_id=sql["job_id"]).result(timeout=timedelta(minutes=2))
by_key = {t.task_key: t.run_id for t in ran.tasks}
file_out = w.jobs.get_run_output(run_id=by_key["file"]).sql_output.file_output
assert file_out.warehouse_id == "default", file_out
assert [s.lookup_key for s in file_out.sql_statements] == [f"{by_key['file']}-1", f"{by_key['file']}-2"], file_out.sql_statements
assert [c.name for c in file_out.query_result.columns] == ["i", "nothing"], file_out.query_result.columns
assert len(file_out.query_result.rows) == 20 and file_out.query_result.truncated is True, file_out.query_result
assert [v.string_value for v in file_out.query_result.rows[3].values] == ["3", None], file_out.query_result.rows[3]
query_out = w.jobs.get_run_output(run_id=by_key["query"]).sql_output.query_output
assert query_out.query_text == "SELECT 'x' AS s, 42 AS n", query_out
assert len(query_out.sql_statements) == 1, query_out
raw = w.api_client.do("GET", "/api/2.2/jobs/runs/get-output", query={"run_id": by_key["query"]})["sql_output"]["query_output"]
assert raw["djobs_row_count"] == 1, raw
assert raw["djobs_query_result"]["rows"] == [{"values": [{"string_value": "x"}, {"string_value": "42"}]}], raw

# iterations: a for_each task run lists each iteration's task run, 100 per page (the SDK follows the pages)
open(os.path.join(workdir, "iter.py"), "w").write('assert dbutils.widgets.get("n") != "7", "seven"\n')
looped = w.jobs.create(
    name="sdk iterations",
    tasks=[
        jobs.Task(
            task_key="each",
            for_each_task=jobs.ForEachTask(
                inputs=str(list(range(105))),
                concurrency=20,
                task=jobs.Task(task_key="one", notebook_task=jobs.NotebookTask(notebook_path="iter", base_parameters={"n": "{{input}}"})),
            ),
        )
    ],
)
try:
    waiter = w.jobs.run_now(job_id=looped.job_id)
    waiter.result(timeout=timedelta(minutes=3))
    raise AssertionError("the run with a failing iteration did not raise")
except OperationFailed:
    pass
each = w.jobs.get_run(run_id=waiter.response.run_id).tasks[0]
page = w.api_client.do("GET", "/api/2.2/jobs/runs/get", query={"run_id": each.run_id})
assert len(page["iterations"]) == 100 and page["next_page_token"], (len(page["iterations"]), page.get("next_page_token"))
own = w.jobs.get_run(run_id=each.run_id)
assert [t.task_key for t in own.tasks] == ["each"], own.tasks
assert len(own.iterations) == 105, len(own.iterations)
assert len({i.run_id for i in own.iterations}) == 105, "iteration run ids are not distinct"
results = [i.state.result_state for i in own.iterations]
assert results[7] == jobs.RunResultState.FAILED, results[7]
assert all(r == jobs.RunResultState.SUCCESS for k, r in enumerate(results) if k != 7), results
assert all(i.task_key == "one" and i.attempt_number == 0 for i in own.iterations), own.iterations[0]

print("OK")
