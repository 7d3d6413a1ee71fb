# Databricks notebook source
# MAGIC %run ./setup

# COMMAND ----------

print("before the failing cell")

# COMMAND ----------

def total_of(values):
    return sum(double(v) for v in values)


total_of([1, None])

# COMMAND ----------

print("never printed")
