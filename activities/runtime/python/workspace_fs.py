"""The runtime's file operations and notebook paths, done by the one implementation both shims
share (../node/workspace-fs.cjs): each call runs it once and reads its JSON answer."""
import json
import os
import subprocess

_HELPER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "node", "workspace-fs.cjs")


class ExecutionError(Exception):
    """What dbutils raises on Databricks: the message starts with the Java exception's name
    (`java.io.FileNotFoundException: File dbfs:/x does not exist.`), which notebooks test for."""


def call(op, *args):
    node = os.environ.get("DJOBS_NODE") or "node"
    done = subprocess.run([node, _HELPER, op, json.dumps(list(args))], capture_output=True, text=True)
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise ExecutionError(f"dbutils.fs.{op} failed: {done.stderr.strip() or done.stdout.strip()}") from None
    if "error" in answer:
        raise ExecutionError(answer["error"]["message"])
    return answer["ok"]
