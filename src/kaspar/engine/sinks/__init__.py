"""Batch sinks: files written by DuckDB ``COPY``, Delta tables written by deltalake, Kafka."""
