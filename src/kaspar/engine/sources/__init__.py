"""Batch sources that are not DuckDB table functions: Kafka topics and Delta tables."""
