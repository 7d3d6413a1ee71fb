"""Runs a Python file or notebook the way a Databricks job runs it: `dbutils` is a builtin, the
working directory is the file's directory, argv holds the task parameters.

  djobs_run.py FILE [ARGS...]    a Python file, or a notebook: source format (.py or .sql with
                                 the `Databricks notebook source` header) or Jupyter (.ipynb)
  djobs_run.py --ipynb FILE      the same for a Jupyter notebook (older workers' spelling)

A notebook runs cell by cell (notebook_runner); a Python file as a script (runpy). Either way a
failure shows the user's frames only (user_tracebacks) and leaves the task's error for the worker.
"""
import builtins
import os
import runpy
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dbutils import dbutils, RestartPython  # noqa: E402
import notebook_cells  # noqa: E402
import notebook_runner  # noqa: E402
import user_tracebacks  # noqa: E402

builtins.dbutils = dbutils


def is_notebook(path):
    if path.lower().endswith(".ipynb"):
        return True
    try:
        with open(path) as f:
            first = f.readline()
    except (OSError, UnicodeDecodeError):
        return False
    return notebook_cells.source_language(path, first) is not None


def run_file(path):
    try:
        runpy.run_path(path, run_name="__main__")
    except (SystemExit, KeyboardInterrupt):
        raise
    except RestartPython:
        user_tracebacks.write_task_error("dbutils.library.restartPython() restarts a notebook's Python; a Python file has no next cell to restart into")
        raise SystemExit(1) from None
    except BaseException as err:  # noqa: B036 - reported as Databricks reports it
        user_tracebacks.report_failure(err)
        raise SystemExit(1) from None


def main(args=None):
    """ARGS: what follows djobs_run.py on its command line (the worker's fork server passes them)."""
    args = sys.argv[1:] if args is None else args
    if args[:1] == ["--ipynb"]:
        args = args[1:]
    path = args[0]
    # Modules beside the notebook are importable, as in a Databricks repo or workspace folder.
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    sys.argv = list(args)
    if is_notebook(path):
        notebook_runner.run(path, os.environ.get("DJOBS_NOTEBOOK_PATH") or path)
    else:
        run_file(path)


if __name__ == "__main__":
    main()
