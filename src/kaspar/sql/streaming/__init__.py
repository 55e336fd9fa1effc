"""Structured Streaming (PySpark ``pyspark.sql.streaming``)."""

from kaspar.errors import StreamingQueryException
from kaspar.sql.streaming.listener import StreamingQueryListener
from kaspar.sql.streaming.memory import MemoryStream
from kaspar.sql.streaming.query import StreamingQuery, StreamingQueryManager
from kaspar.sql.streaming.readwriter import DataStreamReader, DataStreamWriter

__all__ = [
    "DataStreamReader",
    "DataStreamWriter",
    "MemoryStream",
    "StreamingQuery",
    "StreamingQueryException",
    "StreamingQueryListener",
    "StreamingQueryManager",
]
