"""Runs a notebook cell by cell with Databricks' semantics.

Python cells run in one namespace (the last expression's value is shown, as a notebook shows
it); `%sql` cells run on the task's warehouse and leave their result in `_sqldf`; `%md` cells are
documentation; `%sh` runs bash in the notebook's folder; `%fs` is dbutils.fs; `%pip install`
installs notebook-scoped libraries; `%run ./other` runs another notebook in this namespace.
`%scala` and `%r` cells, Scala and R notebooks, and magics Databricks does not have are refused
before any cell runs. The first cell that fails ends the notebook, and the task's error names it.
dbutils.library.restartPython() starts the next cell in a fresh Python state.
"""
import ast
import builtins
import json
import linecache
import os
import shlex
import subprocess
import sys

import dbutils as dbutils_module
import dbutils_notebook
import notebook_cells
import notebook_pip
import notebook_sql
import user_tracebacks
import workspace_fs

KNOWN = {"%python", "%sql", "%md", "%md-sandbox", "%sh", "%fs", "%pip", "%run"}
REFUSED = {
    "%scala": "Scala cells cannot run: durable-jobs has no Scala notebook runtime (write the cell in Python or SQL)",
    "%r": "R cells cannot run: durable-jobs has no R notebook runtime (write the cell in Python or SQL)",
    "%conda": "%conda is not supported (Databricks removed it too): use %pip install",
}
LANGUAGE_REFUSED = {
    "SCALA": "Scala notebooks cannot run: durable-jobs has no Scala notebook runtime",
    "R": "R notebooks cannot run: durable-jobs has no R notebook runtime",
}


class CellFailed(Exception):
    """A cell raised: `where` names it (and the cells that %run it)."""

    def __init__(self, where, error):
        super().__init__(f"{where}: {user_tracebacks.exception_line(error)}")
        self.where = where
        self.error = error


class NotebookRefused(Exception):
    pass


def display(value=None, *args, **kwargs):
    """Databricks' display(): a Spark DataFrame through the Spark runtime, a pandas one as a table."""
    if value is None:
        return
    if os.environ.get("DJOBS_SPARK_REMOTE") and type(value).__module__.startswith("pyspark"):
        import djobs_spark

        return djobs_spark.display(value)
    to_string = getattr(value, "to_string", None)
    print(to_string() if callable(to_string) else value)


class Notebook:
    def __init__(self, path, shown_as):
        self.path = path
        self.shown_as = shown_as
        self.namespace = None
        self.baseline_modules = set(sys.modules)
        self.reset()

    def reset(self):
        self.namespace = {"__name__": "__main__", "__file__": self.path, "dbutils": dbutils_module.dbutils, "display": display}
        if os.environ.get("DJOBS_SPARK_REMOTE"):
            try:
                import djobs_spark

                self.namespace["spark"] = djobs_spark.spark_session()
            except ImportError:
                pass

    def restart_python(self):
        """A fresh interpreter state: the namespace and every module imported since the notebook began."""
        for name in [m for m in sys.modules if m not in self.baseline_modules]:
            del sys.modules[name]
        self.reset()

    def run(self):
        self.run_notebook(self.path, self.shown_as, [])

    def run_notebook(self, path, shown_as, callers):
        parsed = notebook_cells.notebook_of(path)
        if parsed is None:
            raise NotebookRefused(f"{shown_as} is not a notebook (no `Databricks notebook source` header).")
        language, cells = parsed
        if language in LANGUAGE_REFUSED:
            raise NotebookRefused(f"{shown_as}: {LANGUAGE_REFUSED[language]}.")
        for number, cell in enumerate(cells, start=1):
            magic = notebook_cells.split_magic(cell)[0]
            if magic in REFUSED:
                raise NotebookRefused(f"Cell {number} of {shown_as}: {REFUSED[magic]}.")
            if magic is not None and magic not in KNOWN:
                raise NotebookRefused(f"Cell {number} of {shown_as}: unknown magic command {magic}.")
        dbutils_notebook.current_dir.append(os.path.dirname(path))
        try:
            for number, cell in enumerate(cells, start=1):
                where = f"Cell {number} of {shown_as}" + "".join(f" (run by {c})" for c in callers)
                try:
                    self.run_cell(cell, language, path, where, callers)
                except dbutils_module.RestartPython:
                    self.restart_python()
                except (CellFailed, NotebookRefused, SystemExit):
                    raise
                except Exception as err:  # noqa: BLE001 - a cell's failure, reported with its cell
                    raise CellFailed(where, err) from err
        finally:
            dbutils_notebook.current_dir.pop()

    def run_cell(self, cell, language, path, where, callers):
        magic, args, body = notebook_cells.split_magic(cell)
        if magic is None:
            magic = "%sql" if language == "SQL" else "%python"
            body = cell
        if magic in ("%md", "%md-sandbox"):
            return
        if magic == "%python":
            self.run_python(body, where)
        elif magic == "%sql":
            self.namespace["_sqldf"] = notebook_sql.run_sql(body)
        elif magic == "%sh":
            sys.stdout.flush()
            sys.stderr.flush()
            code = subprocess.call(["bash", "-c", body], cwd=os.path.dirname(path))
            if code != 0:
                raise RuntimeError(f"%sh exited with code {code}")
        elif magic == "%pip":
            notebook_pip.pip(" ".join([args, body]).strip())
        elif magic == "%fs":
            run_fs(shlex.split(" ".join([args, body])))
        elif magic == "%run":
            self.run_other(args, path, where, callers)

    def run_python(self, source, where):
        filename = f"<{where}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        tree = ast.parse(source, filename, "exec")
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        if last is not None:
            tree.body = tree.body[:-1]
        exec(compile(tree, filename, "exec"), self.namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), filename, "eval"), self.namespace)
            if value is not None:
                print(repr(value))

    def run_other(self, args, path, where, callers):
        words = shlex.split(args)
        if not words:
            raise RuntimeError("%run needs a notebook path")
        target = workspace_fs.call("resolveNotebook", words[0], os.path.dirname(path))
        params = {}
        for word in words[1:]:
            name, sep, value = word.partition("=")
            if not sep or not name.startswith("$"):
                raise RuntimeError(f"%run arguments are $name=value, found {word!r}")
            params[name[1:]] = value
        before = os.environ.get("DJOBS_PARAMS")
        if params:
            os.environ["DJOBS_PARAMS"] = json.dumps({**json.loads(before or "{}"), **params})
        try:
            self.run_notebook(target["file"], target["display"], [where, *callers])
        finally:
            if before is None:
                os.environ.pop("DJOBS_PARAMS", None)
            else:
                os.environ["DJOBS_PARAMS"] = before


def run_fs(words):
    """%fs COMMAND ARGS: dbutils.fs.COMMAND, `-r` for recurse."""
    if not words:
        raise RuntimeError("%fs needs a command (ls, head, cp, mv, rm, mkdirs, put)")
    command, rest = words[0], words[1:]
    recurse = "-r" in rest
    rest = [w for w in rest if w != "-r"]
    fs = dbutils_module.dbutils.fs
    if command == "ls":
        for info in fs.ls(*rest):
            print(info)
    elif command == "head":
        print(fs.head(*rest))
    elif command in ("cp", "mv", "rm"):
        print(getattr(fs, command)(*rest, recurse=recurse))
    elif command in ("mkdirs", "put"):
        print(getattr(fs, command)(*rest))
    else:
        raise RuntimeError(f"%fs {command}: unknown command (ls, head, cp, mv, rm, mkdirs, put)")


def run(path, shown_as):
    """Runs the notebook; a failure is reported (the user's traceback, the cell) and ends the task."""
    notebook = Notebook(path, shown_as)
    builtins.display = display
    try:
        notebook.run()
    except CellFailed as failed:
        sys.stderr.write(f"{failed.where} failed:\n")
        user_tracebacks.report_failure(failed.error, failed.where)
        raise SystemExit(1) from None
    except NotebookRefused as refused:
        sys.stderr.write(f"{refused}\n")
        user_tracebacks.write_task_error(str(refused))
        raise SystemExit(1) from None
