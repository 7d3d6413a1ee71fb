# Databricks notebook source
# A notebook that would call a service with a token from the `demo` scope. It prints the token to
# show that the value never reaches a log: the line reads "calling with [REDACTED]".
token = dbutils.secrets.get("demo", "api-token")
assert token, "the demo scope has no api-token"
print("calling with", token)
dbutils.notebook.exit("called with " + token)
