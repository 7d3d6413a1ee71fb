# Databricks notebook source
total = int(dbutils.widgets.get("total"))
dbutils.notebook.exit("big" if total >= 50 else "small")
