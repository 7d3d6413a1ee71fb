# Databricks notebook source
# Read from the run's checkout of the repository: paths are the repository's.
import os

with open(os.path.join(os.path.dirname(os.getcwd()), "VERSION")) as f:
    version = f.read().strip()
print(f"report of version {version}")
dbutils.jobs.taskValues.set("version", version)
