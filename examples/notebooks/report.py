# Databricks notebook source
# MAGIC %md
# MAGIC # Orders report
# MAGIC Loads the shared setup, aggregates on the warehouse, writes a file and asks a child notebook.

# COMMAND ----------

# MAGIC %run ./setup

# COMMAND ----------

# MAGIC %sql
# MAGIC CREATE OR REPLACE TABLE orders AS
# MAGIC   SELECT * FROM (VALUES ('north', 30), ('south', 10), ('north', 20)) t(region, amount);
# MAGIC SELECT region, sum(amount) AS total FROM orders GROUP BY region ORDER BY region

# COMMAND ----------

rows = _sqldf if isinstance(_sqldf, list) else _sqldf.to_dict("records")
totals = {r["region"]: int(r["total"]) for r in rows}
whole = sum(totals.values())
for region in REGIONS:
    print(f"{region}: {totals[region]} ({share(totals[region], whole)}%)")

# COMMAND ----------

dbutils.fs.put("dbfs:/reports/orders/latest.txt", f"{whole}", True)
print([f.name for f in dbutils.fs.ls("dbfs:/reports/orders")])

# COMMAND ----------

label = dbutils.notebook.run("./label", 60, {"total": str(whole)})
print("label:", label)
dbutils.jobs.taskValues.set("label", label)
