"""Structured Streaming (PySpark ``pyspark.sql.streaming``)."""

from kaspar.errors import StreamingQueryException
from kaspar.sql.streaming.listener import StreamingQueryListener
from kaspar.sql.streaming.memory import MemoryStream
from kaspar.sql.streaming.query import StreamingQuery, StreamingQueryManager
from kaspar.sql.streaming.readwriter import DataStreamReader, DataStreamWriter
from kaspar.sql.streaming.stateful_processor import StatefulProcessor, StatefulProcessorHandle

__all__ = [
    "DataStreamReader",
    "DataStreamWriter",
    "MemoryStream",
    "StatefulProcessor",
    "StatefulProcessorHandle",
    "StreamingQuery",
    "StreamingQueryException",
    "StreamingQueryListener",
    "StreamingQueryManager",
]
