"""The package of examples/python-wheel: a console script and a plain function, both run as
python_wheel_task entry points."""
import argparse
import os
import sys


def greet():
    """The `greet` console script: named_parameters arrive as --name=value arguments."""
    parser = argparse.ArgumentParser(prog=sys.argv[0])
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    print(f"{os.environ.get('GREETING', 'Hi')}, {args.name}!")


def shout():
    """Not declared as an entry point: Databricks calls greeter.shout() itself."""
    print(" ".join(word.upper() for word in sys.argv[1:]))
