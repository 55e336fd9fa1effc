"""CSV files as a lazy DuckDB scan with Spark's parse modes (Spark's ``FailureSafeParser``).

Nothing is read when the plan is built, except to infer the schema when none is given
(``csv_infer``: the header line, and every record with ``inferSchema``; cached per process for
unchanged files by ``schema_cache``). The query:

1. Splits the records into fields (``csv_records``): DuckDB's parallel CSV reader, or, when the
   schema has a ``columnNameOfCorruptRecord`` column (it needs each record's text), the lines
   split by SQL string functions. With ``header`` the first line of each file is skipped.
2. Converts each field to its column's type (``csv_values``); a field that does not convert is
   NULL.
3. A record is malformed when its field count differs from the schema's (missing fields are
   NULL, extra ones dropped) or a field did not convert. PERMISSIVE keeps it and puts the
   record's text in the corrupt-record column when the schema has one; DROPMALFORMED drops it;
   FAILFAST fails the query with ``SparkException`` (``FAILED_READ_FILE.NO_HINT``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sources.csv_infer import infer_schema
from kaspar.engine.sources.csv_options import CsvOptions
from kaspar.engine.sources.csv_records import line_records, native_records
from kaspar.engine.sources.csv_values import check_schema, convert, lit, name
from kaspar.engine.sources.schema_cache import inferred_schema
from kaspar.engine.sources.sql_view import view_scan

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

MODES = ("PERMISSIVE", "DROPMALFORMED", "FAILFAST")
FAILFAST_ERROR = "[FAILED_READ_FILE.NO_HINT] "


def parse_mode(options: dict[str, str]) -> str:
    mode = options.get("mode", "PERMISSIVE").upper()
    return mode if mode in MODES else "PERMISSIVE"


def corrupt_column(options: dict[str, str]) -> str:
    return options.get("columnnameofcorruptrecord", "_corrupt_record")


def _is_corrupt(field: T.StructField, corrupt: str) -> bool:
    return field.name == corrupt and isinstance(field.dataType, T.StringType)


def _converted(data: list[T.StructField], o: CsvOptions, records: str) -> str:
    """Step 2: ``x{i}`` the converted fields, ``_bad`` whether the record is malformed."""
    xs = [f"{convert(f'v{i}', f.dataType, o)} AS x{i}" for i, f in enumerate(data)]
    failed = [
        f"(v{i} IS NOT NULL AND x{i} IS NULL)"
        for i, f in enumerate(data)
        if not isinstance(f.dataType, T.StringType)
    ]
    bad = " OR ".join(["NOT _fits", *failed])
    inner = f"SELECT {', '.join([*xs, '*'])} FROM ({records})"  # noqa: S608
    return f"SELECT *, {bad} AS _bad FROM ({inner})"  # noqa: S608


def _failfast(path_column: str) -> str:
    message = (
        f"{lit(FAILFAST_ERROR + 'Encountered error while reading file ')} || {path_column} || "
        f"{lit('. Malformed records are detected in record parsing. Parse Mode: FAILFAST.')}"
    )
    return f"WHERE CASE WHEN _bad THEN error({message}) ELSE true END"


def csv_sql(
    paths: list[str], options: dict[str, str], schema: T.StructType, *, with_file: bool = False
) -> str:
    """The query reading ``paths`` with ``schema`` (see the module docstring); ``with_file``
    adds each record's file as a last column (``FILE_COLUMN``)."""
    o = CsvOptions.parse(options)
    mode, corrupt = parse_mode(options), corrupt_column(options)
    data = [f for f in schema.fields if not _is_corrupt(f, corrupt)]
    check_schema(T.StructType(data))
    has_corrupt = len(data) < len(schema.fields)
    exact = has_corrupt and mode == "PERMISSIVE" and not o.multiline
    records = (line_records if exact else native_records)(paths, len(data), o)
    converted = _converted(data, o, records)
    columns, it = [], iter(range(len(data)))
    for f in schema.fields:
        if _is_corrupt(f, corrupt):
            column = "CASE WHEN _bad THEN _line END" if mode == "PERMISSIVE" else "NULL::VARCHAR"
        else:
            column = f"x{next(it)}"
        columns.append(f"{column} AS {name(f.name)}")
    if with_file:
        columns.append(f"_file AS {name(L.FILE_COLUMN)}")
    where = ""
    if mode == "DROPMALFORMED":
        where = "WHERE NOT _bad"
    elif mode == "FAILFAST":
        where = _failfast("_file")
    return f"SELECT {', '.join(columns)} FROM ({converted}) {where}"  # noqa: S608


def csv_scan(
    executor: Executor, paths: list[str], options: dict[str, str], schema: T.StructType | None
) -> L.Scan:
    """The plan leaf for a CSV read: a lazy query named as the schema names the columns."""
    if schema is None:
        schema = inferred_schema(
            "csv", paths, options, lambda: infer_schema(executor, paths, options)
        )
    names = tuple(schema.names)
    read: T.StructType = schema
    return view_scan(
        csv_sql(paths, options, schema),
        names,
        "csv",
        files=tuple(paths),
        with_file=lambda: view_scan(
            csv_sql(paths, options, read, with_file=True), (*names, L.FILE_COLUMN), "csv"
        ),
    )
