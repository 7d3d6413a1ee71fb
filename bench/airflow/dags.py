# The DAGs `npm run bench -- --vs airflow` runs on Apache Airflow 3, the same shapes as the
# durable-jobs jobs beside them (bench/sections/airflow.ts): a chain of 100 shell tasks, a
# 100-wide fan-out of shell tasks, a chain of 20 no-op Python tasks.
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

START = datetime(2024, 1, 1)


def noop():
    pass


with DAG("djobs_bench_shell_chain_100", schedule=None, start_date=START, catchup=False):
    previous = None
    for i in range(100):
        task = BashOperator(task_id=f"t{i}", bash_command="true")
        if previous is not None:
            previous >> task
        previous = task

with DAG("djobs_bench_shell_fan_out_100", schedule=None, start_date=START, catchup=False):
    root = BashOperator(task_id="root", bash_command="true")
    sink = BashOperator(task_id="sink", bash_command="true")
    for i in range(100):
        root >> BashOperator(task_id=f"m{i}", bash_command="true") >> sink

with DAG("djobs_bench_python_chain_20", schedule=None, start_date=START, catchup=False):
    previous = None
    for i in range(20):
        task = PythonOperator(task_id=f"t{i}", python_callable=noop)
        if previous is not None:
            previous >> task
        previous = task
