# Databricks notebook source
# MAGIC %md
# MAGIC Shared definitions: `%run ./setup` loads them into the calling notebook.

# COMMAND ----------

REGIONS = ["north", "south"]


def share(part, whole):
    return round(100 * part / whole, 1)
