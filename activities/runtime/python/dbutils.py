"""`dbutils` for durable-jobs tasks, shaped as Databricks' returns its values: widgets, jobs.taskValues,
secrets (SecretMetadata, SecretScope), fs (FileInfo; one implementation with the Node shim,
workspace_fs), notebook.run/exit and library.restartPython.

Inside a job run the engine sets DJOBS_PARAMS (widget values), DJOBS_TASK_VALUES_IN/OUT and
DJOBS_NOTEBOOK_EXIT, and DJOBS_SECRETS (the secrets the run's principal may read, taken out of
the environment at once so child processes do not inherit them). Outside a job (no environment),
taskValues.get returns debugValue, as Databricks does.
"""
import json
import os
import sys
from collections import namedtuple

import dbutils_notebook
import workspace_fs
from workspace_fs import ExecutionError  # noqa: F401 - raised by dbutils.fs, as on Databricks


class InputWidgetNotDefined(Exception):
    pass


class FileInfo(namedtuple("FileInfo", ["path", "name", "size", "modificationTime"])):
    """dbutils.fs.ls's entries: a folder's path and name end with '/'."""

    def isDir(self):
        return self.name.endswith("/")

    def isFile(self):
        return not self.isDir()


class SecretScope(namedtuple("SecretScope", ["name"])):
    def getName(self):
        return self.name


class SecretMetadata(namedtuple("SecretMetadata", ["key"])):
    pass


class _Widgets:
    def __init__(self):
        self._defaults = {}

    def _params(self):
        return json.loads(os.environ.get("DJOBS_PARAMS", "{}"))

    def get(self, name):
        params = self._params()
        if name in params:
            return params[name]
        if name in self._defaults:
            return self._defaults[name]
        raise InputWidgetNotDefined(f"No input widget named {name} is defined")

    def getArgument(self, name, default=None):
        try:
            return self.get(name)
        except InputWidgetNotDefined:
            return default

    def getAll(self):
        return {**self._defaults, **self._params()}

    def text(self, name, defaultValue="", label=None):
        self._defaults[name] = defaultValue

    def dropdown(self, name, defaultValue, choices=None, label=None):
        self._defaults[name] = defaultValue

    def combobox(self, name, defaultValue, choices=None, label=None):
        self._defaults[name] = defaultValue

    def multiselect(self, name, defaultValue, choices=None, label=None):
        self._defaults[name] = defaultValue

    def remove(self, name):
        self._defaults.pop(name, None)

    def removeAll(self):
        self._defaults.clear()


class _TaskValues:
    def set(self, key, value):
        if not isinstance(key, str):
            raise TypeError("task value key must be a string")
        line = json.dumps({"key": key, "value": value})
        out = os.environ.get("DJOBS_TASK_VALUES_OUT")
        if out is None:
            return
        with open(out, "a") as f:
            f.write(line + "\n")

    def get(self, taskKey, key, default=None, debugValue=None):
        source = os.environ.get("DJOBS_TASK_VALUES_IN")
        if source is None:
            if debugValue is None:
                raise TypeError("Must pass debugValue when calling get outside of a job context. debugValue cannot be None.")
            return debugValue
        with open(source) as f:
            values = json.load(f)
        # Upstream tasks that set no value are absent: the default applies, as in Databricks.
        return values.get(taskKey, {}).get(key, default)


class _Jobs:
    def __init__(self):
        self.taskValues = _TaskValues()


_SECRETS = {}


def _take_secrets():
    """Read the attempt's secrets out of the environment: at import, and in the worker's Python fork
    server again in each forked attempt, once the attempt's environment is in place."""
    global _SECRETS
    _SECRETS = json.loads(os.environ.pop("DJOBS_SECRETS", "") or "{}")


_take_secrets()


class _Secrets:
    """dbutils.secrets: values are redacted as [REDACTED] wherever the task prints them."""

    def get(self, scope, key):
        try:
            return _SECRETS[scope][key]
        except KeyError:
            raise ValueError(
                f"Secret does not exist with scope: {scope} and key: {key}"
                " (or the run's principal has no READ permission on the scope)"
            ) from None

    def getBytes(self, scope, key):
        return self.get(scope, key).encode("utf-8")

    def list(self, scope):
        return [SecretMetadata(k) for k in sorted(_SECRETS.get(scope, {}))]

    def listScopes(self):
        return [SecretScope(s) for s in sorted(_SECRETS)]


class _Fs:
    """dbutils.fs over dbfs:/, /Volumes/..., /Workspace/..., file:/ and s3:// paths."""

    def ls(self, dir):
        return [FileInfo(**f) for f in workspace_fs.call("ls", dir)]

    def head(self, file, maxBytes=65536):
        got = workspace_fs.call("head", file, maxBytes)
        if got["truncated"]:
            print(f"[Truncated to first {maxBytes} bytes]")
        return got["text"]

    def put(self, file, contents, overwrite=False):
        wrote = workspace_fs.call("put", file, contents, overwrite)
        print(f"Wrote {wrote['bytes']} bytes.")
        return True

    def mkdirs(self, dir):
        return workspace_fs.call("mkdirs", dir)

    def rm(self, dir, recurse=False):
        return workspace_fs.call("rm", dir, recurse)

    def cp(self, from_, to, recurse=False):
        return workspace_fs.call("cp", from_, to, recurse)

    def mv(self, from_, to, recurse=False):
        return workspace_fs.call("mv", from_, to, recurse)


class RestartPython(BaseException):
    """dbutils.library.restartPython(): the notebook runner starts the next cell in a fresh state.
    A BaseException, so that a notebook's `except Exception` does not swallow it."""


class _Library:
    def restartPython(self):
        raise RestartPython()


class _Notebook:
    def exit(self, value):
        out = os.environ.get("DJOBS_NOTEBOOK_EXIT")
        if out is not None:
            with open(out, "w") as f:
                f.write(str(value))
        raise SystemExit(0)

    def run(self, path, timeout_seconds, arguments=None):
        """Runs another notebook as a run of its own and returns the value it passed to exit."""
        return dbutils_notebook.run_child(path, timeout_seconds, arguments or {}, _SECRETS)


class DBUtils:
    def __init__(self):
        self.widgets = _Widgets()
        self.jobs = _Jobs()
        self.secrets = _Secrets()
        self.fs = _Fs()
        self.notebook = _Notebook()
        self.library = _Library()


dbutils = DBUtils()
