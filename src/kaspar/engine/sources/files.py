"""Files as a batch source: parquet, csv, json and text, read by DuckDB table functions.

Each reader turns ``(paths, options, schema)`` into a DuckDB table-function call
(``read_parquet([...], hive_partitioning=true)``); ``file_scan`` wraps it in a ``Scan`` plan
leaf with Spark's column names. JSON goes through ``json_modes`` (a lazy scan with parse modes), CSV
through ``csv_modes`` (Spark's tokenizer and parse modes) unless ``inferSchema`` is set; ORC is
read by pyarrow into a ``LocalRelation``.
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from pyarrow import orc
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sources import csv_modes
from kaspar.engine.sources.json_modes import json_scan
from kaspar.engine.streaming.sinks.file_sink_log import committed_files
from kaspar.engine.type_conversion import to_arrow
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


def data_paths(path: str | list[str]) -> list[str]:
    paths = [path] if isinstance(path, str) else list(path)
    out = []
    for given in paths:
        p = given.removeprefix("file://")
        if Path(p).is_dir():
            files = sorted(
                str(f)
                for f in Path(p).rglob("*")
                if f.is_file()
                and not f.name.startswith(("_", "."))
                and not any(part.startswith(("_", ".")) for part in f.relative_to(p).parts[:-1])
            )
            if len(paths) == 1 and (logged := committed_files(Path(p))) is not None:
                files = logged  # a streaming file sink's output: only what its log committed
            if not files:
                raise AnalysisException(
                    f"Unable to infer schema: no data files in file:{p}.", "UNABLE_TO_INFER_SCHEMA"
                )
            out.extend(files)
        elif not glob.glob(p):  # noqa: PTH207 (a user's glob pattern)
            raise AnalysisException(f"Path does not exist: file:{p}.", "PATH_NOT_FOUND")
        else:
            out.append(p)
    return out


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
    return _call("read_parquet", paths, hive_partitioning=_b(True), union_by_name=_b(True))


def _read_csv(paths: list[str], opts: dict[str, str], schema: T.StructType | None) -> exp.Expr:
    named: dict[str, exp.Expr] = {
        "header": _b(truthy(opts.get("header", "false"))),
        "delim": exp.Literal.string(opts.get("sep", opts.get("delimiter", ","))),
        "quote": exp.Literal.string(opts.get("quote", '"')),
        "escape": exp.Literal.string(opts.get("escape", '"')),
    }
    if "nullvalue" in opts:
        named["nullstr"] = exp.Literal.string(opts["nullvalue"])
    if schema is not None:
        named["columns"] = _columns_arg(schema)
    elif not truthy(opts.get("inferschema", "false")):
        named["all_varchar"] = _b(True)
    return _call("read_csv", [p for p in paths if not p.endswith("_SUCCESS")], **named)


def _read_json(paths: list[str], opts: dict[str, str], schema: T.StructType | None) -> exp.Expr:
    fmt = "auto" if truthy(opts.get("multiline", "false")) else "newline_delimited"
    named: dict[str, exp.Expr] = {"format": exp.Literal.string(fmt)}
    if schema is not None:
        named["columns"] = _columns_arg(schema)
    return _call("read_json", paths, **named)


def _read_text(paths: list[str], opts: dict[str, str], schema: T.StructType | None) -> exp.Expr:
    columns = exp.Struct(
        expressions=[
            exp.PropertyEQ(
                this=exp.Literal.string("value"), expression=exp.Literal.string("VARCHAR")
            )
        ]
    )
    return _call(
        "read_csv",
        paths,
        columns=columns,
        header=_b(False),
        delim=exp.Literal.string("\x1f"),
        quote=exp.Literal.string(""),
        escape=exp.Literal.string(""),
    )


Reader = Callable[[list[str], dict[str, str], T.StructType | None], exp.Expr]
READERS: dict[str, Reader] = {
    "parquet": _read_parquet,
    "csv": _read_csv,
    "json": _read_json,
    "text": _read_text,
    "orc": _read_text,  # read by pyarrow in ``file_scan``
}


def _orc_relation(paths: list[str], schema: T.StructType | None) -> L.LocalRelation:
    """ORC files read by pyarrow (with the given schema's types when there is one)."""
    table = pa.concat_tables(
        orc.read_table(p) for p in paths if not p.endswith(("_SUCCESS", ".crc"))
    )
    names = table.column_names if schema is None else schema.names
    if schema is not None:
        table = pa.table(
            [table[n].cast(to_arrow(f.dataType)) for n, f in zip(names, schema, strict=True)],
            names=names,
        )
    plain = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    columns = [c.cast(plain[c.type]) if c.type in plain else c for c in table.columns]
    return L.LocalRelation(
        pa.table(columns, names=[f"c{i}" for i in range(len(names))]), tuple(names)
    )


def _distinct_names(schema: T.StructType) -> bool:
    lowered = [n.lower() for n in schema.names]
    return bool(lowered) and len(set(lowered)) == len(lowered)


def file_scan(
    executor: Executor,
    fmt: str,
    path: str | list[str],
    options: dict[str, str],
    schema: T.StructType | None,
) -> L.LogicalPlan:
    """The plan leaf reading ``path`` in ``fmt``, named as Spark names the columns."""
    reader = READERS.get(fmt)
    if reader is None:
        raise AnalysisException(f"Failed to find the data source: {fmt}.", "DATA_SOURCE_NOT_FOUND")
    paths = data_paths(path)
    if fmt == "orc":
        return _orc_relation(paths, schema)
    if fmt == "json":
        return json_scan(executor, paths, options, schema)
    if fmt == "csv" and csv_modes.handles(options, schema):
        data = [p for p in paths if not p.endswith("_SUCCESS")]
        return csv_modes.csv_relation(data, options, schema)
    source = reader(paths, options, schema)
    if fmt == "csv" and schema is not None and _distinct_names(schema):
        # read_csv(columns=...) names the columns as the schema does: no need to bind it here.
        return L.Scan(source, tuple(schema.names), fmt)
    names = executor.describe(exp.select("*").from_(source))
    if fmt == "csv" and not truthy(options.get("header", "false")) and schema is None:
        spark_names = [f"_c{i}" for i in range(len(names))]
        renamed = [
            exp.Alias(this=exp.column(n, quoted=True), alias=exp.to_identifier(s, quoted=True))
            for n, s in zip(names, spark_names, strict=True)
        ]
        source = exp.select(*renamed).from_(source).subquery("_src")
        names = spark_names
    return L.Scan(source, tuple(names), fmt)
