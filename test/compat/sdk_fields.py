"""The fields of the official Databricks Python SDK's jobs objects, as JSON.

Argument: a JSON list of names, each `jobs.<Dataclass>`, `compute.<Dataclass>` or
`jobs.JobsAPI.<method>` (a request body: the method's parameters). Prints {name: [field, ...]}.
Run by test/integration/sdk-field-classes.test.ts with the pinned SDK on PYTHONPATH.
"""
import dataclasses
import inspect
import json
import sys

from databricks.sdk.service import compute, jobs

modules = {"jobs": jobs, "compute": compute}
out = {}
for name in json.loads(sys.argv[1]):
    module, *rest = name.split(".")
    thing = modules[module]
    for part in rest:
        thing = getattr(thing, part)
    if dataclasses.is_dataclass(thing):
        out[name] = [f.name for f in dataclasses.fields(thing)]
    else:
        out[name] = [p for p in inspect.signature(thing).parameters if p != "self"]
print(json.dumps(out))
