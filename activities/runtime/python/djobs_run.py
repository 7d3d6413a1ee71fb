"""Runs a Python file or notebook the way a Databricks job runs it: `dbutils` is a builtin,
the working directory is the file's directory, argv holds the task parameters.

  djobs_run.py FILE [ARGS...]      a .py file (Databricks notebook source is plain Python)
  djobs_run.py --ipynb FILE        the code cells of a Jupyter notebook, in order
"""
import builtins
import json
import os
import runpy
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dbutils import dbutils  # noqa: E402

builtins.dbutils = dbutils


def run_ipynb(path):
    with open(path) as f:
        nb = json.load(f)
    namespace = {"__name__": "__main__", "__file__": path, "dbutils": dbutils}
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        first = source.lstrip().split("\n", 1)[0].strip()
        if first.startswith("%md"):
            continue
        if first.startswith("%sh"):
            script = source.lstrip().split("\n", 1)[1] if "\n" in source.lstrip() else ""
            rc = subprocess.call(["bash", "-c", script])
            if rc != 0:
                raise RuntimeError(f"%sh cell {index} exited with code {rc}")
            continue
        if first.startswith("%python"):
            source = source.lstrip().split("\n", 1)[1] if "\n" in source.lstrip() else ""
        elif first.startswith("%"):
            raise RuntimeError(f"cell {index}: magic {first.split()[0]} is not supported by durable-jobs")
        exec(compile(source, f"{path} [cell {index}]", "exec"), namespace)


def main(args=None):
    """ARGS: what follows djobs_run.py on its command line (the worker's fork server passes them)."""
    args = sys.argv[1:] if args is None else args
    # Modules beside the notebook are importable, as in a Databricks repo or workspace folder.
    sys.path.insert(0, os.path.dirname(os.path.abspath(args[-1] if args[:1] == ["--ipynb"] else args[0])))
    if args and args[0] == "--ipynb":
        sys.argv = [args[1]]
        run_ipynb(args[1])
        return
    sys.argv = args
    runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
