# Databricks notebook source
# Feature engineering: a customer table (synthetic and seeded, so every run sees the same data)
# with a derived feature, logged as an artifact of this task's MLflow run for the training task.
import os
import tempfile

import mlflow
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

rows = int(dbutils.widgets.get("rows"))
X, y = make_classification(n_samples=rows, n_features=6, n_informative=4, class_sep=1.2, random_state=7)
columns = ["tenure_months", "monthly_charges", "support_calls", "usage_gb", "contract_length", "late_payments"]
features = pd.DataFrame(X, columns=columns)
features["charges_per_tenure"] = features.monthly_charges / (np.abs(features.tenure_months) + 1)
features["churned"] = y

with mlflow.start_run(run_name="feature_engineering") as run:
    path = os.path.join(tempfile.mkdtemp(), "features.csv")
    features.to_csv(path, index=False)
    mlflow.log_artifact(path)
    mlflow.log_param("rows", rows)

dbutils.jobs.taskValues.set(key="features_run_id", value=run.info.run_id)
print(f"{rows} customers, churn rate {features.churned.mean():.2f}, MLflow run {run.info.run_id}")
