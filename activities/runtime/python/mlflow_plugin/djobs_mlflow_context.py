"""MLflow run-context provider: every MLflow run a durable-jobs task starts carries tags that link
it to the job run, the task run, the task key and the attempt.

MLflow finds providers through the `mlflow.run_context_provider` entry point. The worker puts this
directory on PYTHONPATH for every task, and the `.dist-info` beside this file declares the entry
point, so no install is needed and no task code changes: `mlflow.start_run()` adds the tags.
"""
import os

from mlflow.tracking.context.abstract_context import RunContextProvider

# Environment variable set by the worker for each task attempt -> MLflow tag.
TAGS = {
    "DJOBS_JOB_ID": "djobs.job_id",
    "DJOBS_JOB_NAME": "djobs.job_name",
    "DJOBS_RUN_ID": "djobs.job_run_id",
    "DJOBS_TASK_RUN_ID": "djobs.task_run_id",
    "DJOBS_TASK_KEY": "djobs.task_key",
    "DJOBS_ATTEMPT_NUMBER": "djobs.attempt_number",
}


class DjobsRunContext(RunContextProvider):
    def in_context(self):
        return bool(os.environ.get("DJOBS_TASK_RUN_ID"))

    def tags(self):
        tags = {tag: os.environ[var] for var, tag in TAGS.items() if os.environ.get(var)}
        tags["mlflow.source.type"] = "JOB"
        return tags
