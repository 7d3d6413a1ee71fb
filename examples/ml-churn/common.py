# Shared by the notebooks: the features table and its deterministic train/test split.
import pandas as pd
import mlflow
from sklearn.model_selection import train_test_split

LABEL = "churned"


def load_features(features_run_id):
    """The features the feature_engineering task logged to its MLflow run."""
    path = mlflow.artifacts.download_artifacts(run_id=features_run_id, artifact_path="features.csv")
    return pd.read_csv(path)


def split(df):
    X = df.drop(columns=[LABEL])
    y = df[LABEL]
    return train_test_split(X, y, test_size=0.25, random_state=7, stratify=y)
