"""PySpark's ``pyspark.sql.protobuf``: ``from_protobuf`` and ``to_protobuf`` (``functions``)."""

from kaspar.sql.protobuf import functions

__all__ = ["functions"]
