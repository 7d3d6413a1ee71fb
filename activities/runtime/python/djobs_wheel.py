"""Runs a python_wheel_task's entry point the way Databricks does.

  djobs_wheel.py PACKAGE_NAME ENTRY_POINT [ARGS...]

ENTRY_POINT is looked up in the installed distribution's entry points (console_scripts first,
then any other group); when the distribution declares none by that name, the function of the
same name in the package's module is called (`package_name.entry_point()`). The function sees
sys.argv = [PACKAGE_NAME, ARGS...]. Its return value is ignored; an exception or SystemExit
ends the task as for any Python task.
"""
import importlib
import importlib.metadata as metadata
import sys


def find_entry_point(package, name):
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        matches = sorted(
            (ep for ep in dist.entry_points if ep.name == name),
            key=lambda ep: ep.group != "console_scripts",
        )
        if matches:
            return matches[0].load()
    try:
        module = importlib.import_module(package.replace("-", "_"))
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            f"python_wheel_task: package {package!r} is not installed in the task's environment "
            f"(add its wheel to the task's libraries or its environment's dependencies): {err}"
        ) from err
    function = getattr(module, name, None)
    if not callable(function):
        raise AttributeError(
            f"python_wheel_task: {package!r} declares no entry point {name!r} and its module has no function {name}()"
        )
    return function


def main():
    package, name, *args = sys.argv[1:]
    function = find_entry_point(package, name)
    sys.argv = [package, *args]
    function()


if __name__ == "__main__":
    main()
