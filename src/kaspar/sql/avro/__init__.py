"""PySpark's ``pyspark.sql.avro``: ``from_avro`` and ``to_avro`` (``functions``)."""

from kaspar.sql.avro import functions

__all__ = ["functions"]
