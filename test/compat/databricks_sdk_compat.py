"""The official Databricks Python SDK driving durable-jobs' REST API, unchanged.

Run by test/integration/databricks-sdk.test.ts with DJOBS_HOST, DJOBS_TOKEN and DJOBS_WORKDIR set.
Prints OK when every step behaved as it does against Databricks.
"""
import os
import time
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from databricks.sdk.errors import OperationFailed

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

# list with pagination: the SDK follows next_page_token
extra = [w.jobs.create(name=f"sdk page {i}", tasks=[jobs.Task(task_key="t", notebook_task=jobs.NotebookTask(notebook_path="hello"))]).job_id for i in range(3)]
deadline = time.time() + 30
while True:
    listed = {j.job_id for j in w.jobs.list(limit=2)}
    if set(extra) | {created.job_id} <= listed or time.time() > deadline:
        break
    time.sleep(0.5)
assert set(extra) | {created.job_id} <= listed, listed

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

for job_id in [created.job_id, flaky.job_id, *extra]:
    w.jobs.delete(job_id=job_id)
print("OK")
