"""The official Databricks Python SDK putting code and data where durable-jobs' tasks find them.

Run by test/integration/workspace-notebooks.test.ts with DJOBS_HOST, ALICE_TOKEN, BOB_TOKEN,
ADMIN_TOKEN, NOTEBOOKS (test/compat/notebooks) and BUCKET (an S3 bucket of the test's moto
server) set. alice uploads an exported notebook set with `w.workspace.upload` and `import_` and
runs it; bob may neither read it nor run it until alice shares a folder; `w.dbfs` and `w.files`
move data; a file-arrival trigger on a volume fires when `w.files.upload` lands a file.
Prints OK when every step behaved as it does against Databricks.
"""
import base64
import io
import os
import time
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, OperationFailed, PermissionDenied, ResourceAlreadyExists, BadRequest
from databricks.sdk.service import jobs, workspace

host = os.environ["DJOBS_HOST"]
alice = WorkspaceClient(host=host, token=os.environ["ALICE_TOKEN"], auth_type="pat")
bob = WorkspaceClient(host=host, token=os.environ["BOB_TOKEN"], auth_type="pat")
admin = WorkspaceClient(host=host, token=os.environ["ADMIN_TOKEN"], auth_type="pat")
notebooks = os.environ["NOTEBOOKS"]
bucket = os.environ["BUCKET"]
ALICE = "alice@example.com"
home = f"/Users/{ALICE}"


def source(name):
    with open(os.path.join(notebooks, name), "rb") as f:
        return f.read()


# --- the workspace: upload an exported notebook set -------------------------------------------
alice.workspace.mkdirs(f"{home}/etl")
alice.workspace.upload(f"{home}/etl/setup", source("setup.py"), language=workspace.Language.PYTHON)
alice.workspace.upload(f"{home}/etl/main", source("main.py"), format=workspace.ImportFormat.SOURCE, language=workspace.Language.PYTHON)
alice.workspace.upload(f"{home}/etl/failing.py", source("failing.py"), format=workspace.ImportFormat.AUTO)
alice.workspace.upload(f"{home}/etl/scala_cell", source("scala_cell.py"), language=workspace.Language.PYTHON)
alice.workspace.import_(
    f"{home}/etl/child",
    content=base64.b64encode(source("child.ipynb")).decode(),
    format=workspace.ImportFormat.JUPYTER,
)
alice.workspace.upload(f"{home}/shared/hello", source("hello.py"), language=workspace.Language.PYTHON)
try:
    alice.workspace.upload(f"{home}/etl/main", source("main.py"), language=workspace.Language.PYTHON)
    raise AssertionError("an existing notebook was overwritten without overwrite=True")
except ResourceAlreadyExists:
    pass

status = alice.workspace.get_status(f"{home}/etl/main")
assert status.object_type == workspace.ObjectType.NOTEBOOK and status.language == workspace.Language.PYTHON, status
assert status.path == f"{home}/etl/main" and status.object_id, status
failing_status = alice.workspace.get_status(f"{home}/etl/failing")  # AUTO took the extension off
assert failing_status.object_type == workspace.ObjectType.NOTEBOOK, failing_status
listed = sorted((o.path, o.object_type) for o in alice.workspace.list(f"{home}/etl"))
assert listed == [
    (f"{home}/etl/child", workspace.ObjectType.NOTEBOOK),
    (f"{home}/etl/failing", workspace.ObjectType.NOTEBOOK),
    (f"{home}/etl/main", workspace.ObjectType.NOTEBOOK),
    (f"{home}/etl/scala_cell", workspace.ObjectType.NOTEBOOK),
    (f"{home}/etl/setup", workspace.ObjectType.NOTEBOOK),
], listed
exported = alice.workspace.download(f"{home}/etl/main").read()
assert exported == source("main.py"), exported[:200]
as_jupyter = alice.workspace.export(f"{home}/etl/setup", format=workspace.ExportFormat.JUPYTER)
assert b'"cell_type": "code"' in base64.b64decode(as_jupyter.content), as_jupyter
child_source = base64.b64decode(alice.workspace.export(f"{home}/etl/child", format=workspace.ExportFormat.SOURCE).content)
assert child_source.startswith(b"# Databricks notebook source\n") and b"# COMMAND ----------" in child_source, child_source

# --- run it --------------------------------------------------------------------------------
run = alice.jobs.submit(
    run_name="sales report",
    tasks=[
        jobs.SubmitTask(
            task_key="report",
            notebook_task=jobs.NotebookTask(
                notebook_path=f"/Workspace{home}/etl/main", base_parameters={"me": ALICE, "bucket": bucket}
            ),
        )
    ],
).result(timeout=timedelta(minutes=5))
output = alice.jobs.get_run_output(run_id=run.tasks[0].run_id)
assert run.state.result_state == jobs.RunResultState.SUCCESS, (run.state, output.error, output.logs)
logs = output.logs
for expected in [
    "hello from setup 42",
    "djobs-notebook-libraries",
    "total from _sqldf: 42",
    "volume listing: [FileInfo(path='dbfs:/Volumes/main/default/reports/out/total.txt', name='total.txt', size=2, modificationTime=",
    f"s3 listing: [FileInfo(path='s3://{bucket}/reports/total.txt', name='total.txt', size=2, modificationTime=",
    "dbfs listing: [FileInfo(path='dbfs:/tmp/reports/moved.txt', name='moved.txt', size=2, modificationTime=",
    "workspace listing: ['child.ipynb', 'failing.py', 'main.py', 'notes.txt', 'scala_cell.py', 'setup.py']",
    f"Notebook run /Workspace{home}/etl/child started",
    "child got 5",
    "ended: SUCCESS",
    "child notebook returned 25",
]:
    assert expected in logs, (expected, logs)
# The notebook's file landed where the Files API and the Workspace API see it.
got = alice.files.download("/Volumes/main/default/reports/out/total.txt").contents.read()
assert got == b"42", got
notes = alice.workspace.get_status(f"{home}/etl/notes.txt")
assert notes.object_type == workspace.ObjectType.FILE and notes.size == len("written by the notebook"), notes

# A Node task (a workspace file) has the same dbutils.fs, within alice's reach.
alice.workspace.upload(f"{home}/etl/fs_check.cjs", source("fs_check.cjs"), format=workspace.ImportFormat.RAW)
node_run = alice.jobs.submit(
    run_name="node fs",
    tasks=[jobs.SubmitTask(task_key="n", notebook_task=jobs.NotebookTask(notebook_path=f"/Workspace{home}/etl/fs_check.cjs"))],
).result(timeout=timedelta(minutes=2))
node_logs = alice.jobs.get_run_output(run_id=node_run.tasks[0].run_id).logs
assert "node listing: dbfs:/Volumes/main/default/reports/node/from-node.txt from-node.txt 4" in node_logs, node_logs
assert "node refused: java.io.FileNotFoundException: File /Workspace/Users/bob@example.com does not exist." in node_logs, node_logs

# A failing cell fails the task; the error names the cell, the traceback shows the user's frames only.
try:
    alice.jobs.submit(
        run_name="failing",
        tasks=[jobs.SubmitTask(task_key="f", notebook_task=jobs.NotebookTask(notebook_path=f"{home}/etl/failing"))],
    ).result(timeout=timedelta(minutes=2))
    raise AssertionError("the failing notebook succeeded")
except OperationFailed:
    pass
failed = [r for r in alice.jobs.list_runs(limit=25) if r.run_name == "failing"][0]
failed_output = alice.jobs.get_run_output(run_id=alice.jobs.get_run(run_id=failed.run_id).tasks[0].run_id)
assert failed_output.error == f"Cell 3 of {home}/etl/failing: TypeError: unsupported operand type(s) for *: 'int' and 'NoneType'", failed_output.error
for expected in ["before the failing cell", f"Cell 3 of {home}/etl/failing failed:", "in total_of", "in double"]:
    assert expected in failed_output.logs, (expected, failed_output.logs)
for hidden in ["forkserver.py", "djobs_run.py", "notebook_runner.py", "runpy", "never printed"]:
    assert hidden not in failed_output.logs, (hidden, failed_output.logs)

# A Scala cell is refused by name, before any cell runs.
try:
    alice.jobs.submit(
        run_name="scala",
        tasks=[jobs.SubmitTask(task_key="s", notebook_task=jobs.NotebookTask(notebook_path=f"{home}/etl/scala_cell"))],
    ).result(timeout=timedelta(minutes=2))
    raise AssertionError("a notebook with a Scala cell succeeded")
except OperationFailed:
    pass
scala = [r for r in alice.jobs.list_runs(limit=25) if r.run_name == "scala"][0]
scala_output = alice.jobs.get_run_output(run_id=alice.jobs.get_run(run_id=scala.run_id).tasks[0].run_id)
assert scala_output.error.startswith(f"Cell 2 of {home}/etl/scala_cell: Scala cells cannot run"), scala_output.error
assert "never printed" not in scala_output.logs, scala_output.logs

# --- permissions ---------------------------------------------------------------------------
for path in [f"{home}/etl/main", f"{home}/etl/nope"]:
    try:
        bob.workspace.get_status(path)
        raise AssertionError(f"bob read {path}")
    except NotFound as e:
        assert str(e) == f"Path ({path}) doesn't exist.", e


def bob_runs(path):
    """bob's one-task run of a notebook: its result state and error."""
    waiter = bob.jobs.submit(
        run_name="bob", tasks=[jobs.SubmitTask(task_key="b", notebook_task=jobs.NotebookTask(notebook_path=path))]
    )
    try:
        done = waiter.result(timeout=timedelta(minutes=2))
    except OperationFailed:
        done = bob.jobs.get_run(run_id=waiter.response.run_id)
    out = bob.jobs.get_run_output(run_id=done.tasks[0].run_id)
    return done.state.result_state, out.error


# bob's task cannot open alice's notebook; missing and forbidden read the same.
state, error = bob_runs(f"/Workspace{home}/etl/main")
assert state == jobs.RunResultState.FAILED and error == f"Notebook /Workspace{home}/etl/main does not exist.", (state, error)
state, error = bob_runs(f"/Workspace{home}/etl/nope")
assert error == f"Notebook /Workspace{home}/etl/nope does not exist.", error
# Paths on the server's disk and escapes are refused when the job is saved.
for path in ["/etc/passwd", "../../etc/passwd", f"/Workspace{home}/../../../etc/passwd"]:
    try:
        bob.jobs.submit(run_name="probe", tasks=[jobs.SubmitTask(task_key="p", notebook_task=jobs.NotebookTask(notebook_path=path))])
        raise AssertionError(f"bob submitted {path}")
    except BadRequest:
        pass

# alice shares her folder with bob, read only: he reads and runs it, and cannot write to it.
shared = alice.workspace.get_status(f"{home}/shared")
assert shared.object_type == workspace.ObjectType.DIRECTORY, shared
perms = alice.workspace.set_permissions(
    "directories",
    str(shared.object_id),
    access_control_list=[
        workspace.WorkspaceObjectAccessControlRequest(
            user_name="bob@example.com", permission_level=workspace.WorkspaceObjectPermissionLevel.CAN_READ
        )
    ],
)
assert perms.object_id == f"/directories/{shared.object_id}" and perms.object_type == "directory", perms
bob_entry = [a for a in perms.access_control_list if a.user_name == "bob@example.com"]
assert bob_entry and bob_entry[0].all_permissions[0].permission_level == workspace.WorkspaceObjectPermissionLevel.CAN_READ, perms
levels = alice.workspace.get_permission_levels("notebooks", str(alice.workspace.get_status(f"{home}/shared/hello").object_id))
assert [l.permission_level.value for l in levels.permission_levels] == ["CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"], levels
assert bob.workspace.get_status(f"{home}/shared/hello").object_type == workspace.ObjectType.NOTEBOOK
assert [o.path for o in bob.workspace.list(home)] == [f"{home}/shared"]
state, error = bob_runs(f"/Workspace{home}/shared/hello")
assert state == jobs.RunResultState.SUCCESS, (state, error)
try:
    bob.workspace.upload(f"{home}/shared/mine", b"# Databricks notebook source\nprint(1)\n", language=workspace.Language.PYTHON)
    raise AssertionError("bob wrote to a folder he may only read")
except PermissionDenied:
    pass
state, error = bob_runs(f"/Workspace{home}/etl/main")
assert error == f"Notebook /Workspace{home}/etl/main does not exist.", error  # still not shared

# --- DBFS and the Files API ------------------------------------------------------------------
bob.dbfs.mkdirs("/tmp/sdk")
bob.dbfs.upload("/tmp/sdk/data.csv", io.BytesIO(b"id,amount\n1,10\n"), overwrite=True)
assert bob.dbfs.get_status("/tmp/sdk/data.csv").file_size == 15
assert [f.path for f in bob.dbfs.list("/tmp/sdk")] == ["/tmp/sdk/data.csv"]
with bob.dbfs.download("/tmp/sdk/data.csv") as f:
    assert f.read() == b"id,amount\n1,10\n"
bob.dbfs.move("/tmp/sdk/data.csv", "/tmp/sdk/moved.csv")
bob.dbfs.delete("/tmp/sdk", recursive=True)
try:
    bob.dbfs.get_status("/tmp/sdk")
    raise AssertionError("a deleted DBFS folder is still there")
except NotFound:
    pass
alice.files.create_directory("/Volumes/main/default/landing")
entries = [e.path for e in alice.files.list_directory_contents("/Volumes/main/default/reports/out")]
assert entries == ["/Volumes/main/default/reports/out/total.txt"], entries
paged = [e.path for e in alice.files.list_directory_contents("/Volumes/main/default/reports", page_size=1)]
assert paged == ["/Volumes/main/default/reports/node", "/Volumes/main/default/reports/out"], paged
future = int(time.time() * 1000) + 10**9
unchanged = sorted(o.path for o in alice.workspace.list(f"{home}/etl", notebooks_modified_after=future))
assert unchanged == [f"{home}/etl/fs_check.cjs", f"{home}/etl/notes.txt"], unchanged

# --- a file-arrival trigger on a volume, fed by w.files.upload -----------------------------------
watched = alice.jobs.create(
    name="on arrival",
    trigger=jobs.TriggerSettings(file_arrival=jobs.FileArrivalTriggerConfiguration(url="/Volumes/main/default/landing/")),
    tasks=[jobs.Task(task_key="t", notebook_task=jobs.NotebookTask(notebook_path=f"/Workspace{home}/shared/hello"))],
)
with open(os.environ["WATCHED_JOB_ID_FILE"], "w") as f:
    f.write(str(watched.job_id))
deadline = time.time() + 60
while not os.path.exists(os.environ["WATCHER_BASELINED_FLAG"]):  # the test tells when the watcher listed the volume
    assert time.time() < deadline, "the watcher never listed the volume"
    time.sleep(0.2)
alice.files.upload("/Volumes/main/default/landing/2026-11-24.csv", io.BytesIO(b"id\n1\n"), overwrite=True)
deadline = time.time() + 60
while True:
    runs = list(alice.jobs.list_runs(job_id=watched.job_id))
    if runs:
        break
    assert time.time() < deadline, "no run started for the uploaded file"
    time.sleep(0.3)
arrived = alice.jobs.wait_get_run_job_terminated_or_skipped(run_id=runs[0].run_id, timeout=timedelta(minutes=2))
assert arrived.trigger == jobs.TriggerType.FILE_ARRIVAL and arrived.state.result_state == jobs.RunResultState.SUCCESS, arrived
print("OK")
