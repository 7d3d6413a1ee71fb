# Databricks notebook source
print("never printed: a Scala cell is refused before any cell runs")

# COMMAND ----------

# MAGIC %scala
# MAGIC println("hello from Scala")
