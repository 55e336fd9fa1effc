"""``spark.read`` and ``df.write``: options collected here, executed by ``kaspar.engine``.

Formats dispatch through the ``SOURCES`` and ``SINKS`` dicts: files go to DuckDB table functions
and ``COPY``, ``kafka`` to the Kafka batch source and sink, ``delta`` to deltalake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sinks.delta import write_delta
from kaspar.engine.sinks.files import FILE_FORMATS, write_files
from kaspar.engine.sinks.kafka import write_kafka
from kaspar.engine.sinks.xml_files import write_xml
from kaspar.engine.sources.delta import delta_relation
from kaspar.engine.sources.files import READERS, file_scan
from kaspar.engine.sources.jdbc import jdbc_relation, write_jdbc
from kaspar.engine.sources.kafka import kafka_relation
from kaspar.engine.type_conversion import parse_data_type
from kaspar.errors import AnalysisException, IllegalArgumentException
from kaspar.sql import _text_formats  # noqa: F401 - registers the JSON and CSV line writers

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession


def _require_path(path: str | list[str] | None, options: dict[str, str]) -> str | list[str]:
    found = path if path is not None else options.get("path")
    if found is None:
        raise IllegalArgumentException("'path' is not specified")
    return found


def _kafka_source(
    session: SparkSession, path: Any, options: dict[str, str], schema: T.StructType | None
) -> L.LogicalPlan:
    if schema is not None:
        raise IllegalArgumentException(
            "Kafka source has a fixed schema and cannot be set with a custom one"
        )
    return kafka_relation(options)


def _delta_source(
    session: SparkSession, path: Any, options: dict[str, str], schema: T.StructType | None
) -> L.LogicalPlan:
    location = _require_path(path, options)
    if not isinstance(location, str):
        raise IllegalArgumentException("Delta source takes one path, got a list")
    time_zone = str(session.conf.get("spark.sql.session.timeZone"))
    return delta_relation(location, options, time_zone)


def _jdbc_source(
    session: SparkSession, path: Any, options: dict[str, str], schema: T.StructType | None
) -> L.LogicalPlan:
    if schema is not None:
        raise AnalysisException(
            "[UNSUPPORTED_FEATURE] jdbc does not allow user-specified schemas. Use the "
            "customSchema option to set the types of columns.",
            "UNSUPPORTED_FEATURE",
        )
    return jdbc_relation(options, str(session.conf.get("spark.sql.session.timeZone")))


Source = Callable[["SparkSession", Any, dict[str, str], T.StructType | None], L.LogicalPlan]
SOURCES: dict[str, Source] = {
    "kafka": _kafka_source,
    "delta": _delta_source,
    "jdbc": _jdbc_source,
}


def _jdbc_options(
    url: str, table: str, properties: dict[str, Any] | None, **extra: Any
) -> dict[str, str]:
    """``spark.read.jdbc`` / ``df.write.jdbc``'s arguments as the jdbc source's options."""
    options = {k.lower(): str(v) for k, v in (properties or {}).items()}
    options.update({k: str(v) for k, v in extra.items() if v is not None})
    options["url"], options["dbtable"] = url, table
    return options


class OptionsBuilder:
    """``format`` and ``option(s)``, shared by ``spark.read``, ``spark.readStream`` and
    ``df.writeStream``. Option names are case-insensitive (kept lower-cased)."""

    _format: str
    _options: dict[str, str]

    def format(self, source: str) -> Self:
        self._format = source.lower()
        return self

    def option(self, key: str, value: Any) -> Self:
        self._options[key.lower()] = str(value).lower() if isinstance(value, bool) else str(value)
        return self

    def options(self, **options: Any) -> Self:
        for k, v in options.items():
            self.option(k, v)
        return self


class ReaderOptions(OptionsBuilder):
    """What ``spark.read`` and ``spark.readStream`` collect before ``load``: options and a
    schema."""

    def __init__(self, session: SparkSession, default_format: str) -> None:
        self._session = session
        self._format = default_format
        self._options = {}
        self._schema: T.StructType | None = None

    def schema(self, schema: T.StructType | str) -> Self:
        parsed = parse_data_type(schema) if isinstance(schema, str) else schema
        if not isinstance(parsed, T.StructType):
            raise IllegalArgumentException(f"Schema must be a struct type: {schema}")
        self._schema = parsed
        return self


class DataFrameReader(ReaderOptions):
    """``spark.read``: ``format``, ``option(s)``, ``schema``, then ``load`` or a format method."""

    def __init__(self, session: SparkSession) -> None:
        super().__init__(session, "parquet")

    def load(
        self,
        path: str | list[str] | None = None,
        format: str | None = None,
        schema: Any = None,
        **options: Any,
    ) -> DataFrame:
        from kaspar.sql.dataframe import DataFrame

        if format:
            self.format(format)
        if schema is not None:
            self.schema(schema)
        self.options(**{k: v for k, v in options.items() if v is not None})
        python_source = self._session._python_sources.get(self._format)
        if python_source is not None:
            from kaspar.sql._python_source import read_relation

            plan = read_relation(self._session, python_source, path, self._options, self._schema)
            return DataFrame(self._session, plan)
        source = SOURCES.get(self._format)
        if source is not None:
            plan = source(self._session, path, self._options, self._schema)
            return DataFrame(self._session, plan)
        if self._format not in READERS:
            raise AnalysisException(
                f"Failed to find the data source: {self._format}.", "DATA_SOURCE_NOT_FOUND"
            )
        location = _require_path(path, self._options)
        scan = file_scan(
            self._session._executor, self._format, location, self._options, self._schema
        )
        return DataFrame(self._session, scan)

    def parquet(self, *paths: str, **options: Any) -> DataFrame:
        return self.format("parquet").load(list(paths), **options)

    def csv(
        self,
        path: str | list[str],
        schema: Any = None,
        sep: str | None = None,
        header: Any = None,
        inferSchema: Any = None,
        **options: Any,
    ) -> DataFrame:
        return self.format("csv").load(
            path, schema=schema, sep=sep, header=header, inferSchema=inferSchema, **options
        )

    def json(
        self,
        path: str | list[str] | DataFrame,
        schema: Any = None,
        multiLine: Any = None,
        **options: Any,
    ) -> DataFrame:
        """JSON files, or the JSON records in a DataFrame's string column."""
        from kaspar.sql.dataframe import DataFrame

        if isinstance(path, DataFrame):
            from kaspar.sql._json_strings import json_lines_dir

            path = json_lines_dir(path)
        return self.format("json").load(path, schema=schema, multiLine=multiLine, **options)

    def text(self, paths: str | list[str], **options: Any) -> DataFrame:
        return self.format("text").load(paths, **options)

    def xml(
        self,
        path: str | list[str] | DataFrame,
        rowTag: str | None = None,
        schema: Any = None,
        **options: Any,
    ) -> DataFrame:
        """XML files (``rowTag`` names the record element), or the XML documents in a
        DataFrame's string column (engine/sources/xml_scan.py)."""
        from kaspar.sql.dataframe import DataFrame

        if rowTag is not None:
            options["rowTag"] = rowTag
        if not isinstance(path, DataFrame):
            return self.format("xml").load(path, schema=schema, **options)
        from kaspar.engine.sources.xml_scan import xml_texts_scan

        if schema is not None:
            self.schema(schema)
        self.options(**{k: v for k, v in options.items() if v is not None})
        texts = [str(v) for v in path.toArrow().column(0).to_pylist() if v is not None]
        scan = xml_texts_scan(self._session._executor, texts, self._options, self._schema)
        return DataFrame(self._session, scan)

    def orc(self, path: str | list[str], **options: Any) -> DataFrame:
        return self.format("orc").load(path, **options)

    def changes(self, tableName: str) -> DataFrame:
        """Spark 4.2's row-level changes of a table: for a Delta table of the catalog, its
        change data feed between the ``startingVersion``/``startingTimestamp`` and
        ``endingVersion``/``endingTimestamp`` options (``_change_type``, ``_commit_version``,
        ``_commit_timestamp`` after the table's columns)."""
        from kaspar.engine.sources.delta import is_delta_table

        location = str(self._session.catalog._warehouse.location(tableName))
        if not self._session.catalog.tableExists(tableName):
            raise AnalysisException(
                f"The table or view `{tableName}` cannot be found. Verify the spelling and "
                "correctness of the schema and catalog.",
                "TABLE_OR_VIEW_NOT_FOUND",
            )
        if not is_delta_table(location):
            raise AnalysisException(
                f"Table `{tableName}` does not support reading its changes (kaspar reads the "
                "change data feed of Delta tables).",
                "UNSUPPORTED_FEATURE.TABLE_OPERATION",
            )
        options = {**self._options, "readchangefeed": "true"}
        plan = _delta_source(self._session, location, options, None)
        from kaspar.sql.dataframe import DataFrame

        return DataFrame(self._session, plan)

    def table(self, tableName: str) -> DataFrame:
        return self._session.table(tableName)

    def jdbc(  # noqa: PLR0917 - PySpark signature
        self,
        url: str,
        table: str,
        column: str | None = None,
        lowerBound: int | str | None = None,
        upperBound: int | str | None = None,
        numPartitions: int | None = None,
        predicates: list[str] | None = None,
        properties: dict[str, Any] | None = None,
    ) -> DataFrame:
        """A table (or ``(subquery) alias``) of a PostgreSQL database (engine/sources/jdbc.py)."""
        if column is not None and None in (lowerBound, upperBound, numPartitions):
            raise IllegalArgumentException(
                "lowerBound, upperBound and numPartitions must be given with column"
            )
        options = _jdbc_options(
            url,
            table,
            properties,
            partitioncolumn=column,
            lowerbound=lowerBound,
            upperbound=upperBound,
            numpartitions=numPartitions,
        )
        if predicates:
            # Spark reads one partition per predicate: their union, each row once per predicate
            parts = [
                self._session.read.format("jdbc")
                .options(**{**options, "dbtable": f"(SELECT * FROM {table} WHERE {p}) q"})  # noqa: S608 - Spark's predicates are SQL
                .load()
                for p in predicates
            ]
            result = parts[0]
            for part in parts[1:]:
                result = result.union(part)
            return result
        return self.format("jdbc").options(**options).load()


@dataclass(frozen=True)
class _Save:
    """One ``save`` / ``saveAsTable`` call: where, how and with which options."""

    fmt: str
    path: str
    mode: str
    options: dict[str, str]
    partition_by: list[str]


def _file_sink(df: DataFrame, save: _Save) -> None:
    target = Path(save.path.removeprefix("file://").removeprefix("file:"))
    executor = df.sparkSession._executor
    write_files(
        executor,
        df.plan,
        target,
        fmt=save.fmt,
        mode=save.mode,
        options=save.options,
        partition_by=save.partition_by,
    )


def _xml_sink(df: DataFrame, save: _Save) -> None:
    target = Path(save.path.removeprefix("file://").removeprefix("file:"))
    executor = df.sparkSession._executor
    write_xml(
        executor,
        df.plan,
        target,
        mode=save.mode,
        options=save.options,
        partition_by=save.partition_by,
    )


def _delta_sink(df: DataFrame, save: _Save) -> None:
    write_delta(df.toArrow(), save.path, save.mode, save.partition_by, save.options)


def _kafka_sink(df: DataFrame, save: _Save) -> None:
    write_kafka(df.toArrow(), save.options, save.mode)


def _jdbc_sink(df: DataFrame, save: _Save) -> None:
    time_zone = str(df.sparkSession.conf.get("spark.sql.session.timeZone"))
    write_jdbc(df.toArrow(), df.schema, save.options, save.mode, time_zone)


Sink = Callable[["DataFrame", _Save], None]
SINKS: dict[str, Sink] = {
    **dict.fromkeys(FILE_FORMATS, _file_sink),
    "delta": _delta_sink,
    "kafka": _kafka_sink,
    "jdbc": _jdbc_sink,
    "xml": _xml_sink,
}
_PATHLESS = ("kafka", "jdbc")


def _names(col: str | list[str] | tuple[str, ...], cols: tuple[Any, ...]) -> list[str]:
    return [*col] if isinstance(col, list | tuple) else [col, *map(str, cols)]


class DataFrameWriter:
    """``df.write``: ``mode``, ``format``, ``option(s)``, ``partitionBy``, then ``save``."""

    def __init__(self, df: DataFrame) -> None:
        self._df = df
        self._format: str | None = None
        self._mode = "errorifexists"
        self._options: dict[str, str] = {}
        self._partition_by: list[str] = []

    def mode(self, saveMode: str | None) -> DataFrameWriter:
        mode = (saveMode or "errorifexists").lower()
        if mode == "default":
            mode = "errorifexists"
        if mode not in ("append", "overwrite", "error", "errorifexists", "ignore"):
            raise IllegalArgumentException(
                f"Unknown save mode: {saveMode}. Accepted save modes are 'overwrite', 'append', "
                "'ignore', 'error', 'errorifexists', 'default'."
            )
        self._mode = mode
        return self

    def format(self, source: str) -> DataFrameWriter:
        self._format = source.lower()
        return self

    def option(self, key: str, value: Any) -> DataFrameWriter:
        self._options[key.lower()] = str(value).lower() if isinstance(value, bool) else str(value)
        return self

    def options(self, **options: Any) -> DataFrameWriter:
        for k, v in options.items():
            if v is not None:
                self.option(k, v)
        return self

    def bucketBy(self, numBuckets: int, col: str | list[str], *cols: str) -> DataFrameWriter:
        """Kept for ``saveAsTable`` (written without buckets); ``save`` refuses it, as Spark."""
        self._bucket_by = (numBuckets, _names(col, cols))
        return self

    def sortBy(self, col: str | list[str], *cols: str) -> DataFrameWriter:
        self._sort_by = _names(col, cols)
        return self

    def clusterBy(self, *cols: str | list[str]) -> DataFrameWriter:
        """Kept for ``saveAsTable`` (kaspar does not cluster files)."""
        self._cluster_by = _names(cols[0], cols[1:]) if cols else []
        return self

    def _refuse_layout(self, operation: str) -> None:
        """Spark: bucketing and sorting are for tables (``saveAsTable``) only."""
        bucketed = getattr(self, "_bucket_by", None) is not None
        sorted_ = bool(getattr(self, "_sort_by", None))
        if bucketed:
            what, code = ("bucketBy and sortBy", "1313") if sorted_ else ("bucketBy", "1312")
            raise AnalysisException(
                f"'{operation}' does not support {what} right now.", f"_LEGACY_ERROR_TEMP_{code}"
            )
        if sorted_:
            raise AnalysisException(
                "sortBy must be used together with bucketBy.", "_LEGACY_ERROR_TEMP_1311"
            )

    def partitionBy(self, *cols: str | list[str]) -> DataFrameWriter:
        first = cols[0] if len(cols) == 1 else None
        self._partition_by = list(first) if isinstance(first, list) else [str(c) for c in cols]
        return self

    def _apply(self, format: str | None, mode: str | None, partitionBy: Any, options: Any) -> None:
        if format:
            self.format(format)
        if mode:
            self.mode(mode)
        if partitionBy:
            self.partitionBy(partitionBy)
        self.options(**options)

    def _sink(self, fmt: str) -> Sink:
        sink = SINKS.get(fmt)
        if sink is None:
            raise AnalysisException(
                f"Failed to find the data source: {fmt}.", "DATA_SOURCE_NOT_FOUND"
            )
        return sink

    def save(
        self,
        path: str | None = None,
        format: str | None = None,
        mode: str | None = None,
        partitionBy: Any = None,
        **options: Any,
    ) -> None:
        self._apply(format, mode, partitionBy, options)
        self._refuse_layout("save")
        fmt = self._format or "parquet"
        python_source = self._df.sparkSession._python_sources.get(fmt)
        if python_source is not None:
            from kaspar.sql._python_source import write_frame

            write_frame(self._df, python_source, path, self._mode, self._options)
            return
        target = "" if fmt in _PATHLESS else str(_require_path(path, self._options))
        self._sink(fmt)(self._df, _Save(fmt, target, self._mode, self._options, self._partition_by))

    def saveAsTable(
        self,
        name: str,
        format: str | None = None,
        mode: str | None = None,
        partitionBy: Any = None,
        **options: Any,
    ) -> None:
        """Write a table into ``spark.sql.warehouse.dir`` (parquet unless a format is set)."""
        self._apply(format, mode, partitionBy, options)
        warehouse = self._df.sparkSession.catalog._warehouse
        exists = warehouse.exists(name)
        if exists and self._mode in ("error", "errorifexists"):
            raise AnalysisException(
                f"Cannot create table or view `spark_catalog`.`default`.`{name}` because it "
                "already exists. Choose a different name, drop or replace the existing object, "
                "or add the IF NOT EXISTS clause to tolerate pre-existing objects.",
                "TABLE_OR_VIEW_ALREADY_EXISTS",
            )
        if exists and self._mode == "ignore":
            return
        fmt = warehouse.table_format(name) if exists else (self._format or "parquet")
        mode = "append" if self._mode == "append" else "overwrite"
        location = str(warehouse.location(name))
        self._sink(fmt)(self._df, _Save(fmt, location, mode, self._options, self._partition_by))

    def insertInto(self, tableName: str, overwrite: bool | None = None) -> None:
        """Rows go into the existing table by position, as Spark's ``insertInto``."""
        from kaspar.sql._table_ddl import insert_into

        overwrite = self._mode == "overwrite" if overwrite is None else overwrite
        insert_into(self._df.sparkSession, tableName, self._df, overwrite=overwrite)

    def parquet(
        self, path: str, mode: str | None = None, partitionBy: Any = None, **kw: Any
    ) -> None:
        self.format("parquet").save(path, mode=mode, partitionBy=partitionBy, **kw)

    def json(self, path: str, mode: str | None = None, **kw: Any) -> None:
        self.format("json").save(path, mode=mode, **kw)

    def orc(self, path: str, mode: str | None = None, **kw: Any) -> None:
        self.format("orc").save(path, mode=mode, **kw)

    def xml(self, path: str, rowTag: str | None = None, mode: str | None = None, **kw: Any) -> None:
        """One XML file of ``rowTag`` records under ``rootTag`` (engine/sinks/xml_files.py)."""
        self.format("xml").save(path, mode=mode, rowTag=rowTag, **kw)

    def text(
        self,
        path: str,
        compression: str | None = None,
        lineSep: str | None = None,
    ) -> None:
        """One line per row of the single string column (a NULL is an empty line)."""
        options = {k: v for k, v in {"compression": compression, "lineSep": lineSep}.items() if v}
        self.format("text").save(path, **options)

    def csv(
        self,
        path: str,
        mode: str | None = None,
        header: Any = None,
        sep: str | None = None,
        **kw: Any,
    ) -> None:
        self.format("csv").save(path, mode=mode, header=header, sep=sep, **kw)

    def jdbc(
        self,
        url: str,
        table: str,
        mode: str | None = None,
        properties: dict[str, Any] | None = None,
    ) -> None:
        """Write the rows to a PostgreSQL table (engine/sources/jdbc.py)."""
        if mode is not None:
            self.mode(mode)
        self.format("jdbc").options(**_jdbc_options(url, table, properties)).save()
