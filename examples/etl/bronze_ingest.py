# Databricks notebook source
# Bronze: land every raw customer file as-is, with lineage columns, in one bronze file.
import csv
import glob
import os
from datetime import datetime, timezone

# COMMAND ----------

dbutils.widgets.text("landing_dir", "./data")
dbutils.widgets.text("bronze_dir", "./_output/bronze")
landing_dir = dbutils.widgets.get("landing_dir")
bronze_dir = dbutils.widgets.get("bronze_dir")
os.makedirs(bronze_dir, exist_ok=True)

# COMMAND ----------

rows = []
for path in sorted(glob.glob(os.path.join(landing_dir, "customers_*.csv"))):
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            row["_source_file"] = os.path.basename(path)
            row["_ingested_at"] = datetime.now(timezone.utc).isoformat()
            rows.append(row)

out = os.path.join(bronze_dir, "customers.csv")
with open(out, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    writer.writeheader()
    writer.writerows(rows)

print(f"bronze: {len(rows)} rows from {landing_dir} -> {out}")
dbutils.jobs.taskValues.set("bronze_rows", len(rows))
