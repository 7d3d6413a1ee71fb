"""`%pip install …` cells: notebook-scoped libraries, as on Databricks. pip installs them into a folder
of the task's own (DJOBS_NOTEBOOK_LIBRARIES, else a temporary folder), which goes first on sys.path,
so the task sees them and nothing else does; dbutils.library.restartPython() keeps them."""
import atexit
import importlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

_target = []


class PipError(Exception):
    pass


def library_dir():
    if not _target:
        given = os.environ.get("DJOBS_NOTEBOOK_LIBRARIES")
        if given:
            os.makedirs(given, exist_ok=True)
            _target.append(given)
        else:
            made = tempfile.mkdtemp(prefix="djobs-notebook-libraries-")
            atexit.register(shutil.rmtree, made, True)
            _target.append(made)
    return _target[0]


def pip(args_text):
    args = shlex.split(args_text)
    if not args or args[0] != "install":
        raise PipError(
            f"%pip {args_text}: only `%pip install` is supported (notebook-scoped libraries); "
            "other pip commands would change the worker's shared environment."
        )
    target = library_dir()
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--target", target, *args[1:]]
    sys.stdout.flush()
    done = subprocess.run(command, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        lines = [l for l in done.stderr.splitlines() if l.strip()]
        error = next((l for l in lines if l.startswith("ERROR:")), lines[-1] if lines else f"exit code {done.returncode}")
        raise PipError(f"%pip install failed: {error}")
    if target not in sys.path:
        sys.path.insert(0, target)
    importlib.invalidate_caches()
