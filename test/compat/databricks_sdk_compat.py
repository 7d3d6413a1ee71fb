"""The official Databricks Python SDK driving durable-jobs' REST API, unchanged.

Run by test/integration/databricks-sdk.test.ts with DJOBS_HOST, DJOBS_TOKEN and DJOBS_WORKDIR set.
Prints OK when every step behaved as it does against Databricks.
"""
import os
import time
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.service import compute, jobs
from databricks.sdk.errors import InvalidParameterValue, NotFound, OperationFailed

w = WorkspaceClient(host=os.environ["DJOBS_HOST"], token=os.environ["DJOBS_TOKEN"], auth_type="pat")
workdir = os.environ["DJOBS_WORKDIR"]

# create + run-now + wait (the SDK polls runs/get until a terminal life cycle state)
created = w.jobs.create(
    name="sdk job",
    parameters=[jobs.JobParameterDefinition(name="who", default="nobody")],
    tasks=[jobs.Task(task_key="hello", notebook_task=jobs.NotebookTask(notebook_path="hello"))],
)
run = w.jobs.run_now(job_id=created.job_id, job_parameters={"who": "sdk"}).result(timeout=timedelta(minutes=2))
assert run.state.result_state == jobs.RunResultState.SUCCESS, run.state
assert run.status.state == jobs.RunLifecycleStateV2State.TERMINATED, run.status
out = w.jobs.get_run_output(run_id=run.tasks[0].run_id)
assert "hello sdk" in (out.logs or ""), out
assert w.jobs.get(job_id=created.job_id).settings.name == "sdk job"

# run-now only: just the tasks named (key+ also runs everything downstream), as Databricks does
chain = w.jobs.create(
    name="sdk only",
    parameters=[jobs.JobParameterDefinition(name="who", default="only")],
    tasks=[
        jobs.Task(task_key="a", notebook_task=jobs.NotebookTask(notebook_path="hello")),
        jobs.Task(task_key="b", depends_on=[jobs.TaskDependency(task_key="a")], notebook_task=jobs.NotebookTask(notebook_path="hello")),
        jobs.Task(task_key="c", depends_on=[jobs.TaskDependency(task_key="b")], notebook_task=jobs.NotebookTask(notebook_path="hello")),
    ],
)
alone = w.jobs.run_now(job_id=chain.job_id, only=["b"]).result(timeout=timedelta(minutes=2))
assert alone.state.result_state == jobs.RunResultState.SUCCESS, alone.state
assert [t.task_key for t in alone.tasks] == ["b"], alone.tasks
downstream = w.jobs.run_now(job_id=chain.job_id, only=["b+"]).result(timeout=timedelta(minutes=2))
assert sorted(t.task_key for t in downstream.tasks) == ["b", "c"], downstream.tasks
try:
    w.jobs.run_now(job_id=chain.job_id, only=["x"])
    raise AssertionError("only naming no task was accepted")
except InvalidParameterValue as e:
    assert "only names a task the job does not have: x." in str(e), e

# list with pagination: the SDK follows next_page_token
extra = [w.jobs.create(name=f"sdk page {i}", tasks=[jobs.Task(task_key="t", notebook_task=jobs.NotebookTask(notebook_path="hello"))]).job_id for i in range(3)]
deadline = time.time() + 30
while True:
    listed = {j.job_id for j in w.jobs.list(limit=2)}
    if set(extra) | {created.job_id} <= listed or time.time() > deadline:
        break
    time.sleep(0.5)
assert set(extra) | {created.job_id} <= listed, listed

# run-now's queue override: with the job's one slot taken, a run that asks to queue waits QUEUED
# (the job itself does not queue, so a run that does not ask is SKIPPED)
single = w.jobs.create(name="sdk single", max_concurrent_runs=1, queue=jobs.QueueSettings(enabled=False), tasks=[jobs.Task(task_key="slow", notebook_task=jobs.NotebookTask(notebook_path="slow"))])
first = w.jobs.run_now(job_id=single.job_id).response.run_id
deadline = time.time() + 30
while w.jobs.get_run(run_id=first).state.life_cycle_state != jobs.RunLifeCycleState.RUNNING:
    assert time.time() < deadline, "the first run never started"
    time.sleep(0.2)
queued = w.jobs.run_now(job_id=single.job_id, queue=jobs.QueueSettings(enabled=True)).response.run_id
skipped = w.jobs.run_now(job_id=single.job_id).response.run_id
deadline = time.time() + 30
while True:
    states = (w.jobs.get_run(run_id=queued).state, w.jobs.get_run(run_id=skipped).state)
    if (states[0].life_cycle_state, states[1].life_cycle_state) == (jobs.RunLifeCycleState.QUEUED, jobs.RunLifeCycleState.SKIPPED):
        break
    assert time.time() < deadline, states
    time.sleep(0.2)
w.jobs.cancel_all_runs(job_id=single.job_id)

# a one-time run, canceled while it runs
submitted = w.jobs.submit(run_name="slow", tasks=[jobs.SubmitTask(task_key="slow", notebook_task=jobs.NotebookTask(notebook_path="slow"))])
run_id = submitted.response.run_id
deadline = time.time() + 30
while w.jobs.get_run(run_id=run_id).tasks[0].state.life_cycle_state != jobs.RunLifeCycleState.RUNNING:
    assert time.time() < deadline, "slow task never started"
    time.sleep(0.2)
canceled = w.jobs.cancel_run(run_id=run_id).result(timeout=timedelta(minutes=1))
assert canceled.state.result_state == jobs.RunResultState.CANCELED, canceled.state

# a failed run raises in the SDK waiter (life cycle INTERNAL_ERROR), then a repair fixes it
flaky = w.jobs.create(name="sdk flaky", tasks=[jobs.Task(task_key="flaky", notebook_task=jobs.NotebookTask(notebook_path="flaky"))])
failed_run_id = None
try:
    waiter = w.jobs.run_now(job_id=flaky.job_id)
    failed_run_id = waiter.response.run_id
    waiter.result(timeout=timedelta(minutes=2))
    raise AssertionError("the failed run did not raise")
except OperationFailed:
    pass
open(os.path.join(workdir, "fixed"), "w").close()
repaired = w.jobs.repair_run(run_id=failed_run_id, rerun_all_failed_tasks=True).result(timeout=timedelta(minutes=2))
assert repaired.state.result_state == jobs.RunResultState.SUCCESS, repaired.state
assert repaired.run_id == failed_run_id
# latest_repair_id must name the run's latest repair: a made-up or stale id is refused
latest = w.jobs.get_run(run_id=failed_run_id, include_history=True).repair_history[-1].id
try:
    w.jobs.repair_run(run_id=failed_run_id, rerun_tasks=["flaky"], latest_repair_id=12345)
    raise AssertionError("a made-up latest_repair_id was accepted")
except InvalidParameterValue as e:
    assert f"latest_repair_id 12345 is not the latest repair of run {failed_run_id}: the latest is {latest}." in str(e), e
again = w.jobs.repair_run(run_id=failed_run_id, rerun_tasks=["flaky"], latest_repair_id=latest).result(timeout=timedelta(minutes=2))
assert again.state.result_state == jobs.RunResultState.SUCCESS, again.state
try:
    w.jobs.repair_run(run_id=failed_run_id, rerun_tasks=["flaky"], latest_repair_id=latest)
    raise AssertionError("a stale latest_repair_id was accepted")
except InvalidParameterValue as e:
    assert f"latest_repair_id {latest} is not the latest repair" in str(e), e

# run-now fields durable-jobs does not act on are refused, named with the reason
try:
    w.jobs.run_now(job_id=flaky.job_id, pipeline_params=jobs.PipelineParams(full_refresh=True))
    raise AssertionError("pipeline_params was accepted")
except InvalidParameterValue as e:
    assert "pipeline_params: not supported" in str(e), e

# permissions: read, grant, read back (the SDK's typed JobPermissions)
perms = w.jobs.get_permissions(job_id=str(created.job_id))
assert perms.object_id == f"/jobs/{created.job_id}", perms
owner = [a for a in perms.access_control_list if a.all_permissions[0].permission_level == jobs.JobPermissionLevel.IS_OWNER]
assert owner and owner[0].user_name == "admin", perms
updated = w.jobs.update_permissions(
    job_id=str(created.job_id),
    access_control_list=[jobs.JobAccessControlRequest(group_name="analysts", permission_level=jobs.JobPermissionLevel.CAN_VIEW)],
)
assert any(a.group_name == "analysts" and a.all_permissions[0].permission_level == jobs.JobPermissionLevel.CAN_VIEW for a in updated.access_control_list), updated
levels = w.jobs.get_permission_levels(job_id=str(created.job_id))
assert [l.permission_level for l in levels.permission_levels] == [jobs.JobPermissionLevel.CAN_VIEW, jobs.JobPermissionLevel.CAN_MANAGE_RUN, jobs.JobPermissionLevel.CAN_MANAGE, jobs.JobPermissionLevel.IS_OWNER], levels

# run_now_and_wait: one call starts and waits
waited = w.jobs.run_now_and_wait(job_id=created.job_id, job_parameters={"who": "waiter"}, timeout=timedelta(minutes=2))
assert waited.state.result_state == jobs.RunResultState.SUCCESS, waited.state
assert "hello waiter" in (w.jobs.get_run_output(run_id=waited.tasks[0].run_id).logs or "")

# list_runs(expand_tasks=True) over several pages: the SDK follows next_page_token (limit 1)
listed = list(w.jobs.list_runs(job_id=created.job_id, expand_tasks=True, limit=1))
assert {run.run_id, waited.run_id} <= {r.run_id for r in listed}, listed
assert all(r.tasks and r.tasks[0].task_key == "hello" for r in listed), listed

# update merges, reset replaces
w.jobs.update(job_id=created.job_id, new_settings=jobs.JobSettings(description="updated by the SDK"))
after_update = w.jobs.get(job_id=created.job_id).settings
assert after_update.description == "updated by the SDK" and after_update.name == "sdk job", after_update
w.jobs.reset(
    job_id=created.job_id,
    new_settings=jobs.JobSettings(
        name="sdk job reset",
        parameters=[jobs.JobParameterDefinition(name="who", default="nobody")],
        tasks=[jobs.Task(task_key="hello", notebook_task=jobs.NotebookTask(notebook_path="hello"))],
    ),
)
after_reset = w.jobs.get(job_id=created.job_id).settings
assert after_reset.name == "sdk job reset" and after_reset.description is None, after_reset

# export_run: one view per task, with its log
exported = w.jobs.export_run(run_id=waited.tasks[0].run_id)
assert exported.views and "hello waiter" in exported.views[0].content, exported

# cancel_all_runs: every active run of the job ends CANCELED
slow_job = w.jobs.create(name="sdk slow", max_concurrent_runs=2, tasks=[jobs.Task(task_key="slow", notebook_task=jobs.NotebookTask(notebook_path="slow"))])
slow_runs = [w.jobs.run_now(job_id=slow_job.job_id).response.run_id for _ in range(2)]
deadline = time.time() + 30
while not all(w.jobs.get_run(run_id=r).state.life_cycle_state == jobs.RunLifeCycleState.RUNNING for r in slow_runs):
    assert time.time() < deadline, "slow runs never started"
    time.sleep(0.2)
w.jobs.cancel_all_runs(job_id=slow_job.job_id)
for r in slow_runs:
    ended = w.jobs.wait_get_run_job_terminated_or_skipped(run_id=r, timeout=timedelta(minutes=1))
    assert ended.state.result_state == jobs.RunResultState.CANCELED, ended.state

# delete_run: the run disappears once Temporal has processed the deletion (asynchronous: seconds,
# tens of seconds on a loaded dev server), after which runs/get answers NotFound
w.jobs.delete_run(run_id=slow_runs[0])
deadline = time.time() + 120
while True:
    try:
        w.jobs.get_run(run_id=slow_runs[0])
    except NotFound:
        break
    assert time.time() < deadline, "the deleted run is still there"
    time.sleep(0.5)

# clusters: the worker pools, the default one live (this test's worker polls it)
assert [v.key for v in w.clusters.spark_versions().versions] == ["durable-jobs-python3"]
default_pool = w.clusters.get(cluster_id="default")
assert default_pool.state == compute.State.RUNNING and default_pool.num_workers >= 1, default_pool
assert "default" in [c.cluster_id for c in w.clusters.list()]

for job_id in [created.job_id, flaky.job_id, slow_job.job_id, *extra]:
    w.jobs.delete(job_id=job_id)
print("OK")
