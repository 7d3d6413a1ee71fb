"""A small `dbutils` for durable-jobs tasks: widgets, task values, secrets and notebook.exit.

Inside a job run the engine sets DJOBS_PARAMS (widget values), DJOBS_TASK_VALUES_IN/OUT and
DJOBS_NOTEBOOK_EXIT, and DJOBS_SECRETS (the secrets the run's principal may read, taken out of
the environment at once so child processes do not inherit them). Outside a job (no environment), taskValues.get returns debugValue, as
Databricks does.
"""
import json
import os
import sys


class InputWidgetNotDefined(Exception):
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


class _Notebook:
    def exit(self, value):
        out = os.environ.get("DJOBS_NOTEBOOK_EXIT")
        if out is not None:
            with open(out, "w") as f:
                f.write(str(value))
        raise SystemExit(0)


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
        return [{"key": k} for k in sorted(_SECRETS.get(scope, {}))]

    def listScopes(self):
        return [{"name": s} for s in sorted(_SECRETS)]


class DBUtils:
    def __init__(self):
        self.widgets = _Widgets()
        self.jobs = _Jobs()
        self.secrets = _Secrets()
        self.notebook = _Notebook()


dbutils = DBUtils()
