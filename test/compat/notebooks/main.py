# Databricks notebook source
# MAGIC %md
# MAGIC # Sales report
# MAGIC Shared setup, a notebook-scoped library, SQL on the warehouse, files, and a child notebook.

# COMMAND ----------

# MAGIC %pip install cowsay==6.1

# COMMAND ----------

marker = "set before the restart"

# COMMAND ----------

dbutils.library.restartPython()

# COMMAND ----------

# MAGIC %run ./setup

# COMMAND ----------

import cowsay

assert "marker" not in globals(), "restartPython kept the namespace"
print(GREETING, double(21))
print("cowsay imported from", cowsay.__file__)

# COMMAND ----------

# MAGIC %sql
# MAGIC CREATE OR REPLACE TABLE sales AS SELECT * FROM (VALUES (1, 10), (2, 32)) t(id, amount);
# MAGIC SELECT sum(amount) AS total FROM sales

# COMMAND ----------

rows = _sqldf if isinstance(_sqldf, list) else _sqldf.to_dict("records")
total = int(rows[0]["total"])
print("total from _sqldf:", total)
assert total == 42

# COMMAND ----------

# dbutils.fs over the workspace, a volume, DBFS and S3: the shapes Databricks returns.
me = dbutils.widgets.get("me")
bucket = dbutils.widgets.get("bucket")
dbutils.fs.mkdirs("/Volumes/main/default/reports/out")
assert dbutils.fs.put("/Volumes/main/default/reports/out/total.txt", str(total), True) is True
listed = dbutils.fs.ls("/Volumes/main/default/reports/out")
print("volume listing:", listed)
assert [f.name for f in listed] == ["total.txt"] and listed[0].size == 2 and listed[0].isFile()
assert dbutils.fs.head("/Volumes/main/default/reports/out/total.txt") == "42"
dbutils.fs.cp("/Volumes/main/default/reports/out/total.txt", f"s3://{bucket}/reports/total.txt")
print("s3 listing:", dbutils.fs.ls(f"s3://{bucket}/reports"))
assert dbutils.fs.head(f"s3://{bucket}/reports/total.txt") == "42"
dbutils.fs.cp(f"s3://{bucket}/reports/total.txt", "dbfs:/tmp/reports/total.txt")
dbutils.fs.mv("dbfs:/tmp/reports/total.txt", "dbfs:/tmp/reports/moved.txt")
print("dbfs listing:", dbutils.fs.ls("dbfs:/tmp/reports/"))
dbutils.fs.put(f"/Workspace/Users/{me}/etl/notes.txt", "written by the notebook", True)
print("workspace listing:", [f.name for f in dbutils.fs.ls(f"/Workspace/Users/{me}/etl")])
assert dbutils.fs.rm("dbfs:/tmp/reports", True) is True
try:
    dbutils.fs.ls("dbfs:/tmp/reports")
    raise AssertionError("a removed folder was listed")
except Exception as e:
    assert "java.io.FileNotFoundException" in str(e), e

# COMMAND ----------

squared = dbutils.notebook.run("./child", 60, {"x": "5"})
print("child notebook returned", squared)
assert squared == "25"
dbutils.jobs.taskValues.set("total", total)
