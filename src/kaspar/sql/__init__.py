"""PySpark's ``pyspark.sql``, executed by kaspar's engine on DuckDB."""

from kaspar.sql import functions, types
from kaspar.sql.catalog import Catalog
from kaspar.sql.column import Column
from kaspar.sql.conf import RuntimeConfig
from kaspar.sql.dataframe import DataFrame
from kaspar.sql.group import GroupedData
from kaspar.sql.na import DataFrameNaFunctions
from kaspar.sql.observation import Observation
from kaspar.sql.readwriter import DataFrameReader, DataFrameWriter
from kaspar.sql.row import Row
from kaspar.sql.session import SparkSession
from kaspar.sql.window import Window, WindowSpec

__all__ = [
    "Catalog",
    "Column",
    "DataFrame",
    "DataFrameNaFunctions",
    "DataFrameReader",
    "DataFrameWriter",
    "GroupedData",
    "Observation",
    "Row",
    "RuntimeConfig",
    "SparkSession",
    "Window",
    "WindowSpec",
    "functions",
    "types",
]
