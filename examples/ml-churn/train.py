# Databricks notebook source
# Training: a scaled logistic regression on the engineered features, logged to MLflow with its
# parameters.
import mlflow
import mlflow.sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common import load_features, split

features_run_id = dbutils.jobs.taskValues.get(taskKey="feature_engineering", key="features_run_id")
regularization = float(dbutils.widgets.get("C"))
X_train, X_test, y_train, y_test = split(load_features(features_run_id))

with mlflow.start_run(run_name="train") as run:
    mlflow.log_params({"C": regularization, "train_rows": len(X_train)})
    model = make_pipeline(StandardScaler(), LogisticRegression(C=regularization)).fit(X_train, y_train)
    info = mlflow.sklearn.log_model(model, name="model", input_example=X_train.head(3))

dbutils.jobs.taskValues.set(key="model_uri", value=info.model_uri)
dbutils.jobs.taskValues.set(key="train_run_id", value=run.info.run_id)
print(f"trained {info.model_uri} in MLflow run {run.info.run_id}")
