"""The official Databricks Python SDK running jobs with dependencies: a serverless environment
holding a wheel the test built, python_wheel_task entry points, environment variables and a job
cluster's spark_env_vars, an environment reused by a second run, two tasks racing to build one
environment, and a failed install.

Run by test/integration/environments.test.ts with DJOBS_HOST, DJOBS_TOKEN, DJOBS_WORKDIR and
WHEEL (the built wheel's path) set. Prints one JSON line of facts per scenario for the test to
check, then OK.
"""
import json
import os
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest, OperationFailed
from databricks.sdk.service import compute, jobs

w = WorkspaceClient(host=os.environ["DJOBS_HOST"], token=os.environ["DJOBS_TOKEN"], auth_type="pat")
workdir = os.environ["DJOBS_WORKDIR"]
wheel = os.environ["WHEEL"]
wait = timedelta(minutes=8)


def facts(run):
    """Each task's result, setup time and log, as the SDK reads them."""
    out = {}
    for t in run.tasks:
        output = w.jobs.get_run_output(run_id=t.run_id)
        out[t.task_key] = {
            "run_id": t.run_id,
            "result": t.state.result_state.value if t.state.result_state else None,
            "setup_duration": t.setup_duration,
            "execution_duration": t.execution_duration,
            "code": t.status.termination_details.code.value if t.status and t.status.termination_details else None,
            "state_message": t.state.state_message,
            "logs": output.logs or "",
            "error": output.error,
        }
    return out


def report(name, value):
    print(json.dumps({"scenario": name, **value}), flush=True)


# A serverless environment with the wheel, three entry points, and environment variables.
env = compute.Environment(environment_version="2", dependencies=[wheel])
wheel_job = w.jobs.create(
    name="wheel job",
    environments=[jobs.JobEnvironment(environment_key="wheel_env", spec=env)],
    environment_variables=[
        jobs.JobEnvironmentVariables(
            environment_variables_key="vars",
            spec=jobs.JobEnvironmentVariablesSpec(variables={"MY_VAR": "from environment_variables"}),
        )
    ],
    tasks=[
        jobs.Task(
            task_key="console",
            environment_key="wheel_env",
            environment_variables_key="vars",
            python_wheel_task=jobs.PythonWheelTask(
                package_name="hello-wheel", entry_point="hello", named_parameters={"date": "2026-12-07", "mode": "full"}
            ),
        ),
        jobs.Task(
            task_key="other_group",
            environment_key="wheel_env",
            depends_on=[jobs.TaskDependency(task_key="console")],
            python_wheel_task=jobs.PythonWheelTask(package_name="hello-wheel", entry_point="report", parameters=["x", "y"]),
        ),
        jobs.Task(
            task_key="from_libraries",
            depends_on=[jobs.TaskDependency(task_key="console")],
            libraries=[compute.Library(whl=wheel)],
            python_wheel_task=jobs.PythonWheelTask(package_name="hello-wheel", entry_point="hello"),
        ),
        jobs.Task(
            task_key="fallback",
            environment_key="wheel_env",
            depends_on=[jobs.TaskDependency(task_key="console")],
            python_wheel_task=jobs.PythonWheelTask(package_name="hello_wheel", entry_point="fallback", parameters=["a", "b"]),
        ),
    ],
)
first = w.jobs.run_now(job_id=wheel_job.job_id).result(timeout=wait)
report("first", {"result": first.state.result_state.value, "tasks": facts(first)})
second = w.jobs.run_now(job_id=wheel_job.job_id).result(timeout=wait)
report("second", {"result": second.state.result_state.value, "tasks": facts(second)})

# Two tasks that start together on an environment nobody built yet.
race_env = compute.Environment(environment_version="2", dependencies=["six==1.16.0", wheel])
race_job = w.jobs.create(
    name="race",
    environments=[jobs.JobEnvironment(environment_key="race_env", spec=race_env)],
    tasks=[
        jobs.Task(
            task_key=key,
            environment_key="race_env",
            python_wheel_task=jobs.PythonWheelTask(package_name="hello-wheel", entry_point="report"),
        )
        for key in ("left", "right")
    ],
)
race = w.jobs.run_now(job_id=race_job.job_id).result(timeout=wait)
report("race", {"result": race.state.result_state.value, "tasks": facts(race)})

# An install that fails: the run fails, the task says why.
broken_job = w.jobs.create(
    name="broken",
    environments=[
        jobs.JobEnvironment(
            environment_key="broken",
            spec=compute.Environment(environment_version="2", dependencies=["djobs-no-such-package-anywhere==0.0.1"]),
        )
    ],
    tasks=[
        jobs.Task(
            task_key="never_runs",
            environment_key="broken",
            python_wheel_task=jobs.PythonWheelTask(package_name="hello-wheel", entry_point="hello"),
        )
    ],
)
waiter = w.jobs.run_now(job_id=broken_job.job_id)
try:
    waiter.result(timeout=wait)
    raise AssertionError("the run with a failed install did not fail")
except OperationFailed:
    pass
broken = w.jobs.get_run(run_id=waiter.response.run_id)
report("broken", {"result": broken.state.result_state.value, "tasks": facts(broken)})

# A job cluster's spark_env_vars and the task's environment_variables reach a task on that cluster.
cluster = compute.ClusterSpec(
    spark_version="15.4.x-scala2.12",
    num_workers=0,
    spark_env_vars={"MY_VAR": "from spark_env_vars", "CLUSTER_ONLY": "cluster"},
    spark_conf={"spark.sql.shuffle.partitions": "4"},
)
with open(os.path.join(workdir, "show_env.py"), "w") as f:
    f.write('import os\nfor k in ("MY_VAR", "CLUSTER_ONLY", "DJOBS_SPARK_CONF"):\n    print(k, "=", os.environ.get(k))\n')
vars_job = w.jobs.create(
    name="variables",
    job_clusters=[jobs.JobCluster(job_cluster_key="c", new_cluster=cluster)],
    environment_variables=[
        jobs.JobEnvironmentVariables(
            environment_variables_key="vars", spec=jobs.JobEnvironmentVariablesSpec(variables={"MY_VAR": "from environment_variables"})
        )
    ],
    tasks=[
        jobs.Task(task_key="cluster_only", job_cluster_key="c", spark_python_task=jobs.SparkPythonTask(python_file="show_env.py")),
        jobs.Task(
            task_key="both",
            job_cluster_key="c",
            environment_variables_key="vars",
            spark_python_task=jobs.SparkPythonTask(python_file="show_env.py"),
        ),
    ],
)
variables = w.jobs.run_now(job_id=vars_job.job_id).result(timeout=wait)
report("variables", {"result": variables.state.result_state.value, "tasks": facts(variables)})

# An environment_key no environment declares is refused with its path.
try:
    w.jobs.create(
        name="unknown environment",
        tasks=[
            jobs.Task(
                task_key="t",
                environment_key="nope",
                python_wheel_task=jobs.PythonWheelTask(package_name="hello-wheel", entry_point="hello"),
            )
        ],
    )
    raise AssertionError("an unknown environment_key was accepted")
except BadRequest as err:
    report("unknown_environment", {"error": str(err)})

print("OK")
