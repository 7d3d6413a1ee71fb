# Databricks notebook source
# Evaluation: accuracy on the held-out split, logged to MLflow and handed to the condition task.
import mlflow
import mlflow.sklearn
from sklearn.metrics import accuracy_score

from common import load_features, split

features_run_id = dbutils.jobs.taskValues.get(taskKey="feature_engineering", key="features_run_id")
model_uri = dbutils.jobs.taskValues.get(taskKey="train", key="model_uri")
_, X_test, _, y_test = split(load_features(features_run_id))

model = mlflow.sklearn.load_model(model_uri)
model_accuracy = float(accuracy_score(y_test, model.predict(X_test)))
with mlflow.start_run(run_name="evaluate"):
    mlflow.log_param("model_uri", model_uri)
    mlflow.log_metric("accuracy", model_accuracy)

dbutils.jobs.taskValues.set(key="accuracy", value=round(model_accuracy, 4))
print(f"accuracy {model_accuracy:.4f}")
