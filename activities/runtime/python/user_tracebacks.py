"""Tracebacks as Databricks shows them: the user's frames only.

The runner's own frames (this runtime, the fork server, runpy, importlib's machinery) are left out
of what a task's log and error show; the exception and the user's code stay. The task's error
message (DJOBS_TASK_ERROR_FILE, read by the worker) is the exception line, and for a notebook the
cell that raised it.
"""
import os
import sys
import traceback

RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_HIDDEN_MODULE_FILES = ("runpy.py", "<frozen runpy>", "<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")


def _is_runner_frame(filename):
    if filename.startswith(RUNTIME_DIR + os.sep):
        return True
    return any(filename.endswith(name) for name in _HIDDEN_MODULE_FILES)


def user_frames(tb):
    """The traceback's frames that belong to user code."""
    return [f for f in traceback.extract_tb(tb) if not _is_runner_frame(f.filename)]


def format_user_exception(exc):
    """The traceback text of `exc` (and its chain) with the runner's frames left out."""
    lines = []
    seen = set()

    def walk(e):
        if e is None or id(e) in seen:
            return
        seen.add(id(e))
        if e.__cause__ is not None:
            walk(e.__cause__)
            lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
        elif e.__context__ is not None and not e.__suppress_context__:
            walk(e.__context__)
            lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
        frames = user_frames(e.__traceback__)
        if frames:
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_list(frames))
        lines.extend(traceback.format_exception_only(type(e), e))

    walk(exc)
    return "".join(lines)


def exception_line(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]


def report_failure(exc, where=None):
    """Print the user's traceback to stderr and leave the task's error for the worker."""
    sys.stderr.write(format_user_exception(exc))
    sys.stderr.flush()
    message = exception_line(exc)
    write_task_error(f"{where}: {message}" if where else message)


def write_task_error(message):
    target = os.environ.get("DJOBS_TASK_ERROR_FILE")
    if target:
        with open(target, "w") as f:
            f.write(message)
