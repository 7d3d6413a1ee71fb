-- Databricks notebook source
-- MAGIC %md
-- MAGIC A SQL notebook: its cells are SQL, a `%python` cell reads `_sqldf`.

-- COMMAND ----------

SELECT count(*) AS orders, sum(amount) AS total FROM orders

-- COMMAND ----------

-- MAGIC %python
-- MAGIC row = (_sqldf if isinstance(_sqldf, list) else _sqldf.to_dict("records"))[0]
-- MAGIC print(f"{row['orders']} orders, {row['total']} in total, labelled {dbutils.jobs.taskValues.get('report', 'label')}")
