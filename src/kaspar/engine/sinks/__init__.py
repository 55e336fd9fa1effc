"""Batch sinks: files written by DuckDB ``COPY`` and Delta tables written by deltalake."""
