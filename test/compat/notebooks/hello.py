# Databricks notebook source
print("hello, shared notebook")
