# Databricks notebook source
# Registration (only when the condition task found the accuracy good enough): a new version of the
# model in the MLflow Model Registry. With model_store = s3://bucket/prefix the model files are
# copied there first (MLFLOW_S3_ENDPOINT_URL points at any S3-compatible store) and the version is
# registered from its s3:// URI.
import os

import mlflow

model_uri = dbutils.jobs.taskValues.get(taskKey="train", key="model_uri")
model_name = dbutils.widgets.get("model_name")
model_store = dbutils.widgets.get("model_store")

if model_store.startswith("s3://"):
    import boto3

    local = mlflow.artifacts.download_artifacts(artifact_uri=model_uri)
    bucket, _, prefix = model_store[len("s3://") :].partition("/")
    key_prefix = "/".join(p for p in [prefix.strip("/"), f"run-{os.environ['DJOBS_RUN_ID']}", "model"] if p)
    s3 = boto3.client("s3", endpoint_url=os.environ.get("MLFLOW_S3_ENDPOINT_URL"))
    for directory, _, files in os.walk(local):
        for name in files:
            path = os.path.join(directory, name)
            s3.upload_file(path, bucket, f"{key_prefix}/{os.path.relpath(path, local)}")
    model_uri = f"s3://{bucket}/{key_prefix}"

version = mlflow.register_model(model_uri, model_name)
dbutils.jobs.taskValues.set(key="model_version", value=int(version.version))
print(f"registered {model_name} version {version.version} from {model_uri}")
