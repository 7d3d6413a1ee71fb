"""The official Databricks Python SDK running a Git-sourced job from a local bare repository: a
run on the branch's commit, a new commit, a run on the new commit, and a repair of the first run,
which reads the first run's commit again.

Run by test/integration/git-source.test.ts with DJOBS_HOST, DJOBS_TOKEN, REPO (the bare
repository's path), CLONE (a working clone of it), FIXED (a file that makes the check pass once
it exists). Prints one JSON line of facts per run for the test to check, then OK.
"""
import json
import os
import subprocess
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import OperationFailed
from databricks.sdk.service import jobs

w = WorkspaceClient(host=os.environ["DJOBS_HOST"], token=os.environ["DJOBS_TOKEN"], auth_type="pat")
repo, clone, fixed = os.environ["REPO"], os.environ["CLONE"], os.environ["FIXED"]
wait = timedelta(minutes=3)


def commit(version):
    with open(os.path.join(clone, "version.txt"), "w") as f:
        f.write(version)
    subprocess.run(["git", "-C", clone, "commit", "-qam", f"version {version}"], check=True)
    subprocess.run(["git", "-C", clone, "push", "-q", "origin", "main"], check=True)
    return subprocess.run(["git", "-C", clone, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def report(name, run):
    tasks = {}
    for t in run.tasks:
        out = w.jobs.get_run_output(run_id=t.run_id)
        tasks.setdefault(t.task_key, []).append(
            {"result": t.state.result_state.value if t.state.result_state else None, "logs": out.logs or ""}
        )
    used = run.git_source.git_snapshot.used_commit if run.git_source and run.git_source.git_snapshot else None
    print(json.dumps({"run": name, "result": run.state.result_state.value, "used_commit": used, "tasks": tasks}), flush=True)


first_commit = commit("v1")
job = w.jobs.create(
    name="git job",
    git_source=jobs.GitSource(git_url=f"file://{repo}", git_provider=jobs.GitProvider.GIT_HUB, git_branch="main"),
    tasks=[
        # A notebook path relative to the repository, without its extension, as Databricks writes it.
        jobs.Task(task_key="hello", notebook_task=jobs.NotebookTask(notebook_path="notebooks/hello")),
        jobs.Task(
            task_key="check",
            depends_on=[jobs.TaskDependency(task_key="hello")],
            spark_python_task=jobs.SparkPythonTask(python_file="check.py", source=jobs.Source.GIT),
        ),
    ],
)
waiter = w.jobs.run_now(job_id=job.job_id)
try:
    waiter.result(timeout=wait)
    raise AssertionError("the first run did not fail")
except OperationFailed:
    pass
first_run_id = waiter.response.run_id
report("first", w.jobs.get_run(run_id=first_run_id))

second_commit = commit("v2")
open(fixed, "w").close()
report("second", w.jobs.run_now(job_id=job.job_id).result(timeout=wait))

repair = w.jobs.repair_run(run_id=first_run_id, rerun_tasks=["check"]).result(timeout=wait)
report("repair", w.jobs.get_run(run_id=first_run_id))
print(json.dumps({"commits": [first_commit, second_commit]}))
print("OK")
