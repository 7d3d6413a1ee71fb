# Databricks notebook source
# MAGIC %md
# MAGIC Shared setup: loaded by `%run ./setup` into the caller's namespace.

# COMMAND ----------

GREETING = "hello from setup"


def double(x):
    return 2 * x
