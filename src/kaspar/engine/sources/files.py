"""Files as a batch source: parquet, csv, json, orc, text and xml, each a lazy plan leaf.

``file_scan`` lists the files (``file_index``: folders, globs, ``k=v`` partitions, Spark's path
options) and returns a ``Scan`` leaf that reads them only when the query runs, in DuckDB:
parquet with ``read_parquet``, CSV through ``csv_modes`` (parse modes, Spark's options), JSON
through ``json_modes``, text with ``read_csv`` (one ``value`` column, or ``read_text`` with
``wholetext``), ORC as a pyarrow dataset DuckDB scans (projection and filters pushed down), and
XML through ``xml_scan`` (lxml, an Arrow stream DuckDB scans).
Partition columns are added per partition directory, after the data columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sources.csv_modes import csv_scan
from kaspar.engine.sources.file_index import list_data
from kaspar.engine.sources.json_modes import json_scan
from kaspar.engine.sources.orc_scan import orc_scan
from kaspar.engine.sources.partitions import partitioned_scan
from kaspar.engine.sources.text_scan import text_scan
from kaspar.engine.sources.xml_scan import xml_scan
from kaspar.engine.type_conversion import to_arrow, to_sqlglot
from kaspar.errors import AnalysisException

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "timestamp_ntz": "TIMESTAMP",
    "binary": "BLOB",
}


def truthy(value: Any) -> bool:
    return str(value).lower() == "true"


def _columns_arg(schema: T.StructType) -> exp.Expr:
    pairs = [
        exp.PropertyEQ(
            this=exp.Literal.string(f.name),
            expression=exp.Literal.string(
                _DUCKDB_TYPES.get(f.dataType.simpleString(), f.dataType.simpleString().upper())
            ),
        )
        for f in schema.fields
    ]
    return exp.Struct(expressions=pairs)


def _call(fn: str, paths: list[str], **named: exp.Expr) -> exp.Expr:
    args: list[exp.Expr] = [exp.Array(expressions=[exp.Literal.string(p) for p in paths])]
    args += [exp.EQ(this=exp.column(k), expression=v) for k, v in named.items()]
    return exp.Anonymous(this=fn, expressions=args)


def _b(value: bool) -> exp.Expr:
    return exp.Boolean(this=value)


def _read_parquet(paths: list[str], opts: dict[str, str], schema: T.StructType | None) -> exp.Expr:
    return _call("read_parquet", paths, hive_partitioning=_b(False), union_by_name=_b(True))


def _read_json(paths: list[str], opts: dict[str, str], schema: T.StructType | None) -> exp.Expr:
    fmt = "auto" if truthy(opts.get("multiline", "false")) else "newline_delimited"
    named: dict[str, exp.Expr] = {"format": exp.Literal.string(fmt)}
    if schema is not None:
        named["columns"] = _columns_arg(schema)
    return _call("read_json", paths, **named)


Reader = Callable[[list[str], dict[str, str], T.StructType | None], exp.Expr]
READERS: dict[str, Reader] = {
    "parquet": _read_parquet,
    "csv": _read_parquet,  # the csv, orc and text leaves are built by their modules
    "json": _read_json,
    "text": _read_parquet,
    "orc": _read_parquet,
    "xml": _read_parquet,  # built by xml_scan
}


def file_scan(
    executor: Executor,
    fmt: str,
    path: str | list[str],
    options: dict[str, str],
    schema: T.StructType | None,
    *,
    keep: Callable[[str], bool] | None = None,
) -> L.LogicalPlan:
    """The plan leaf reading ``path`` in ``fmt``, named as Spark names the columns; ``keep``
    chooses among the files listed (a table's registered partitions). With a schema and no
    file to read, the plan is an empty relation of that schema, as Spark reads it."""
    if fmt not in READERS:
        raise AnalysisException(f"Failed to find the data source: {fmt}.", "DATA_SOURCE_NOT_FOUND")
    listing = list_data(path, options, schema)
    if keep is not None:
        listing = replace(listing, files=[f for f in listing.files if keep(f)])
    if not listing.files and schema is not None:
        return empty_relation(schema)
    if not listing.partitions.fields:
        return _leaf(executor, fmt, listing.files, options, schema)
    return partitioned_scan(
        executor, listing, schema, lambda files, data: _leaf(executor, fmt, files, options, data)
    )


def empty_relation(schema: T.StructType) -> L.LogicalPlan:
    """No rows, with ``schema``'s columns."""
    fields = [pa.field(f"c{i}", to_arrow(f.dataType)) for i, f in enumerate(schema.fields)]
    return L.LocalRelation(pa.schema(fields).empty_table(), tuple(schema.names))


def _leaf(
    executor: Executor,
    fmt: str,
    paths: list[str],
    options: dict[str, str],
    schema: T.StructType | None,
) -> L.LogicalPlan:
    if fmt == "json":
        return json_scan(executor, paths, options, schema)
    if fmt == "csv":
        return csv_scan(executor, paths, options, schema)
    if fmt == "orc":
        return orc_scan(paths, schema)
    if fmt == "text":
        return text_scan(paths, options, schema)
    if fmt == "xml":
        return xml_scan(executor, paths, options, schema)
    source = _read_parquet(paths, options, schema)
    names = executor.describe(exp.select("*").from_(source))
    if schema is None:
        return L.Scan(
            source,
            tuple(names),
            fmt,
            files=tuple(paths),
            with_file=lambda: _parquet_with_file(paths, tuple(names), None),
        )
    return L.Scan(
        _user_schema(source, names, schema),
        tuple(schema.names),
        fmt,
        files=tuple(paths),
        with_file=lambda: _parquet_with_file(paths, tuple(names), schema),
    )


def _parquet_with_file(
    paths: list[str], names: tuple[str, ...], schema: T.StructType | None
) -> L.Scan:
    """The parquet read with each row's file and its index in the file (DuckDB's
    ``filename`` and ``file_row_number``)."""
    source = _call(
        "read_parquet",
        paths,
        hive_partitioning=_b(False),
        union_by_name=_b(True),
        filename=exp.Literal.string(L.FILE_COLUMN),
        file_row_number=_b(True),
    )
    row_index = exp.alias_(exp.column("file_row_number"), L.ROW_INDEX_COLUMN, quoted=True)
    hidden = (L.FILE_COLUMN, L.ROW_INDEX_COLUMN)
    if schema is not None:
        source = _user_schema(source, list(names), schema, (exp.column(L.FILE_COLUMN), row_index))
        return L.Scan(source, (*schema.names, *hidden), "parquet", files=tuple(paths))
    columns = [*(exp.column(n, quoted=True) for n in names), exp.column(L.FILE_COLUMN), row_index]
    source = exp.select(*columns).from_(source).subquery("_files")
    return L.Scan(source, (*names, *hidden), "parquet", files=tuple(paths))


def _user_schema(
    source: exp.Expr, names: list[str], schema: T.StructType, extra: tuple[exp.Expr, ...] = ()
) -> exp.Expr:
    """The columns of the user's schema, by name (case-insensitive) and cast to its types; a
    column the files lack is NULL, as Spark reads parquet with a given schema. ``extra``
    columns follow them."""
    found = {n.lower(): n for n in names}
    columns = [
        exp.alias_(
            exp.cast(
                exp.column(found[f.name.lower()], quoted=True)
                if f.name.lower() in found
                else exp.Null(),
                to_sqlglot(f.dataType),
            ),
            f.name,
            quoted=True,
        )
        for f in schema.fields
    ]
    return exp.select(*columns, *extra).from_(source).subquery("_schema")
