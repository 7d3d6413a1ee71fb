"""dbutils.notebook.run: another notebook run in a context of its own (a fresh Python process, its
own widgets from `arguments`, its own exit value), as Databricks runs it as a notebook run of its
own. Its output goes to the calling task's log between a start and an end line, so the run shows
it; it returns the value the notebook passed to dbutils.notebook.exit (None without one)."""
import json
import os
import subprocess
import sys
import tempfile
import time

import workspace_fs

HERE = os.path.dirname(os.path.abspath(__file__))
# The folder of the notebook running now: relative paths resolve against it (notebook_runner sets it).
current_dir = [os.getcwd()]


class WorkflowException(Exception):
    """What a failed or timed-out dbutils.notebook.run raises on Databricks."""


def run_child(path, timeout_seconds, arguments, secrets):
    if not isinstance(arguments, dict):
        raise TypeError("arguments must be a dict of widget names to values")
    target = workspace_fs.call("resolveNotebook", path, current_dir[-1])
    with tempfile.TemporaryDirectory(prefix="djobs-notebook-run-") as scratch:
        exit_file = os.path.join(scratch, "exit")
        error_file = os.path.join(scratch, "error")
        env = {
            **os.environ,
            "DJOBS_PARAMS": json.dumps({str(k): str(v) for k, v in arguments.items()}),
            "DJOBS_NOTEBOOK_EXIT": exit_file,
            "DJOBS_TASK_ERROR_FILE": error_file,
            "DJOBS_SECRETS": json.dumps(secrets),
        }
        print(f"Notebook run {target['display']} started (arguments {json.dumps(arguments)})", flush=True)
        sys.stderr.flush()
        started = time.monotonic()
        timeout = timeout_seconds if timeout_seconds and timeout_seconds > 0 else None
        try:
            done = subprocess.run(
                [sys.executable, os.path.join(HERE, "djobs_run.py"), target["file"]],
                env=env,
                cwd=os.path.dirname(target["file"]),
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            print(f"Notebook run {target['display']} ended: TIMEDOUT after {timeout_seconds} seconds", flush=True)
            raise WorkflowException(
                f"com.databricks.WorkflowException: com.databricks.NotebookExecutionException: Timed out after {timeout_seconds} seconds: {path}"
            ) from None
        seconds = time.monotonic() - started
        if done.returncode != 0:
            error = _read(error_file) or f"exited with code {done.returncode}"
            print(f"Notebook run {target['display']} ended: FAILED in {seconds:.1f} s: {error}", flush=True)
            raise WorkflowException(
                f"com.databricks.WorkflowException: com.databricks.NotebookExecutionException: FAILED: {error}"
            )
        value = _read(exit_file)
        shown = "" if value is None else f", exit value {value!r}"
        print(f"Notebook run {target['display']} ended: SUCCESS in {seconds:.1f} s{shown}", flush=True)
        return value


def _read(file):
    try:
        with open(file) as f:
            return f.read()
    except FileNotFoundError:
        return None
