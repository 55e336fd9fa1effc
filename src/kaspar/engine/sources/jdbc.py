"""Spark's ``jdbc`` data source for PostgreSQL: ``spark.read.jdbc`` / ``format("jdbc")`` and
``df.write.jdbc``, through PostgreSQL's ``COPY`` in bulk (no row passes through Python).

Reading (lazy, as Spark's ``JDBCRelation``):

1. At ``load()``, the options are checked and the schema is read from the database: the query
   (``dbtable`` or ``query``) is described with ``WHERE 1=0``, and each column's type maps to
   Spark's type as Spark's PostgreSQL dialect maps it (int4 → int, numeric(p,s) → decimal(p,s),
   bare numeric → decimal(38,18), timestamp and timestamptz → timestamp, arrays → arrays, ...).
   ``customSchema`` overrides columns' types.
2. Each time a query over the DataFrame runs, ``COPY (SELECT ...) TO STDOUT (FORMAT csv)``
   streams the rows as CSV text from a writer thread into a pipe; pyarrow's streaming CSV reader
   turns them into batches of text columns, and DuckDB casts the text to the Spark types inside
   the query (timestamps are sent as UTC instants; a timestamp without time zone is read in the
   session time zone, as Spark's reader does; bytea as hex; arrays as JSON).

Writing (``mode``: errorifexists/error (the default), append, overwrite, ignore): the table is
created from the DataFrame's schema with Spark's PostgreSQL type names (``createTableColumnTypes``
and ``createTableOptions`` as in Spark), overwrite drops and recreates it, or truncates it with
``truncate=true``; the rows go in with one ``COPY ... FROM STDIN (FORMAT csv)`` of the Arrow
table's CSV text, in one transaction: a failed write leaves the table as it was.

Only ``jdbc:postgresql:`` URLs are served (psycopg2, already a dependency for Connect's CDC);
other drivers get an error naming what is supported. ``partitionColumn``/``lowerBound``/
``upperBound``/``numPartitions``/``predicates`` are accepted and checked as Spark checks them;
kaspar reads the rows in one stream, so every row is read exactly once either way.
"""

# The SQL sent to PostgreSQL quotes every identifier it builds (_quote) and takes the user's
# dbtable/query text as Spark does: as SQL.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import io
import os
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.deferred_errors import defer
from kaspar.engine.plan import logical as L
from kaspar.engine.type_conversion import parse_data_type, to_sqlglot
from kaspar.errors import (
    AnalysisException,
    IllegalArgumentException,
    PySparkException,
    SparkRuntimeException,
)

_TEXT_OIDS = {25, 1042, 1043, 18, 19, 2950, 114, 3802, 142, 869, 650, 829, 774, 1186, 1083, 1266}
_SCALAR_OIDS: dict[int, T.DataType] = {
    16: T.BooleanType(),
    20: T.LongType(),
    21: T.ShortType(),
    23: T.IntegerType(),
    26: T.LongType(),  # oid
    700: T.FloatType(),
    701: T.DoubleType(),
    1082: T.DateType(),
    1114: T.TimestampType(),
    1184: T.TimestampType(),
    17: T.BinaryType(),
    1560: T.BooleanType(),  # bit: Spark reads bit(1) as boolean
}
_ARRAY_OIDS = {  # array type oid -> element type oid
    1000: 16,
    1005: 21,
    1007: 23,
    1016: 20,
    1021: 700,
    1022: 701,
    1231: 1700,
    1009: 25,
    1015: 1043,
    1014: 1042,
    1182: 1082,
    1115: 1114,
    1185: 1184,
    2951: 2950,
}
_INSTANT_OIDS = (1114, 1184)
_SAVE_MODES = ("append", "overwrite", "ignore", "error", "errorifexists", "default")


@dataclass(frozen=True)
class JdbcOptions:
    """The options of a ``jdbc`` read or write, checked as Spark checks them."""

    url: str
    connect_kwargs: dict[str, str]
    table: str | None
    query: str | None
    options: dict[str, str] = field(default_factory=dict)

    @property
    def relation(self) -> str:
        """What a SELECT reads from: the table, or the query as a subquery (Spark's alias)."""
        if self.query is not None:
            return f"({self.query}) SPARK_GEN_SUBQ_0"
        assert self.table is not None
        return self.table

    def connect(self) -> Any:
        import psycopg2

        try:
            return psycopg2.connect(**self.connect_kwargs)
        except psycopg2.Error as e:
            raise SparkRuntimeException(
                f"[JDBC] could not connect to {self.url}: {str(e).strip()}", "JDBC_CONNECTION"
            ) from None


def parse_options(options: dict[str, str], *, writing: bool = False) -> JdbcOptions:
    """Spark's ``JDBCOptions``: ``url`` and one of ``dbtable``/``query`` (only ``dbtable`` for a
    write), user and password from the options or the URL."""
    url = options.get("url")
    if not url:
        raise IllegalArgumentException("Option 'url' is required.")
    table, query = options.get("dbtable"), options.get("query")
    if table is not None and query is not None:
        raise IllegalArgumentException(
            "Both 'dbtable' and 'query' can not be specified at the same time."
        )
    if table is None and query is None:
        raise IllegalArgumentException("Option 'dbtable' or 'query' is required.")
    if writing and table is None:
        raise IllegalArgumentException("Option 'dbtable' is required.")
    if query is not None and not query.strip():
        raise IllegalArgumentException("Option `query` can not be empty.")
    if query is not None and "partitioncolumn" in options:
        raise IllegalArgumentException(
            "Options 'query' and 'partitionColumn' can not be specified together. Please define "
            "the query using `dbtable` option instead and make sure to qualify the partition "
            "columns using the supplied subquery alias to resolve any ambiguity."
        )
    _check_partitioning(options)
    return JdbcOptions(url, _connect_kwargs(url, options), table, query, dict(options))


def _check_partitioning(options: dict[str, str]) -> None:
    keys = ("partitioncolumn", "lowerbound", "upperbound", "numpartitions")
    given = [k for k in keys[:3] if k in options]
    if given and len(given) != 3:
        raise IllegalArgumentException(
            "When reading JDBC data sources, users need to specify all or none for the "
            "following options: 'partitionColumn', 'lowerBound', 'upperBound', and "
            "'numPartitions'"
        )
    if given and "numpartitions" not in options:
        raise IllegalArgumentException(
            "When reading JDBC data sources, users need to specify all or none for the "
            "following options: 'partitionColumn', 'lowerBound', 'upperBound', and "
            "'numPartitions'"
        )


def _connect_kwargs(url: str, options: dict[str, str]) -> dict[str, str]:
    """psycopg2's keywords from ``jdbc:postgresql://host:port/db?user=..&password=..``."""
    if not url.startswith("jdbc:postgresql:"):
        driver = url.split(":")[1] if url.startswith("jdbc:") and ":" in url[5:] else url
        raise IllegalArgumentException(
            f"kaspar's jdbc source serves PostgreSQL URLs (jdbc:postgresql://host:port/database),"
            f" not '{driver}'. For other databases, read them with their Python driver into "
            "pandas or Arrow and call spark.createDataFrame."
        )
    rest = url.removeprefix("jdbc:postgresql:")
    parsed = urllib.parse.urlsplit(rest if rest.startswith("//") else "//localhost/" + rest)
    kwargs: dict[str, str] = {
        "host": parsed.hostname or "localhost",
        "port": str(parsed.port or 5432),
        "dbname": urllib.parse.unquote(parsed.path.lstrip("/")) or "postgres",
    }
    for key, values in urllib.parse.parse_qs(parsed.query).items():
        if key in ("user", "password", "sslmode", "connect_timeout", "options"):
            kwargs[key] = values[-1]
        elif key == "ssl" and values[-1] == "true":
            kwargs["sslmode"] = "require"
        elif key == "currentSchema":
            kwargs["options"] = f"-c search_path={values[-1]}"
    for key in ("user", "password", "sslmode"):
        if key in options:
            kwargs[key] = options[key]
    kwargs.setdefault("connect_timeout", "10")
    return kwargs


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True)
class _Column:
    name: str
    oid: int
    dtype: T.DataType
    precision: int | None
    scale: int | None


def _spark_type(oid: int, precision: int | None, scale: int | None) -> T.DataType:
    """Spark's PostgresDialect mapping of a column's type (unknown types read as strings)."""
    if oid == 1700:  # numeric
        if precision is None or precision <= 0 or precision > 38:
            return T.DecimalType(38, 18)
        return T.DecimalType(precision, scale or 0)
    if oid in _ARRAY_OIDS:
        return T.ArrayType(_spark_type(_ARRAY_OIDS[oid], None, None), True)
    return _SCALAR_OIDS.get(oid, T.StringType())


def describe(options: JdbcOptions) -> list[_Column]:
    """The query's columns (Spark's ``JDBCRDD.resolveTable``: the query with ``WHERE 1=0``)."""
    import psycopg2

    with contextlib.closing(options.connect()) as conn, conn.cursor() as cur:
        try:
            cur.execute(f"SELECT * FROM {options.relation} WHERE 1=0")
        except psycopg2.Error as e:
            raise AnalysisException(
                f"[JDBC] could not read the schema of {options.table or 'the query'}: "
                f"{str(e).strip()}",
                "TABLE_OR_VIEW_NOT_FOUND" if e.pgcode == "42P01" else "JDBC_SCHEMA",
            ) from None
        columns = []
        for d in cur.description or ():
            precision = d.precision if d.type_code == 1700 else None
            scale = d.scale if d.type_code == 1700 else None
            dtype = _spark_type(d.type_code, precision, scale)
            columns.append(_Column(d.name, d.type_code, dtype, precision, scale))
    return _apply_custom_schema(columns, options.options.get("customschema"))


def _apply_custom_schema(columns: list[_Column], custom: str | None) -> list[_Column]:
    if not custom:
        return columns
    parsed = parse_data_type(custom)
    if not isinstance(parsed, T.StructType):
        raise IllegalArgumentException(f"customSchema is not a list of columns: {custom}")
    by_name = {f.name.lower(): f.dataType for f in parsed.fields}
    known = {c.name.lower() for c in columns}
    for name in by_name:
        if name not in known:
            raise AnalysisException(
                f"[JDBC] customSchema names column {name!r}, which the table does not have.",
                "COLUMN_NOT_FOUND",
            )
    return [
        _Column(c.name, c.oid, by_name.get(c.name.lower(), c.dtype), c.precision, c.scale)
        for c in columns
    ]


def _select_item(column: _Column, time_zone: str) -> str:
    """How the column travels as CSV text: what DuckDB can cast back without loss."""
    q = _quote(column.name)
    tz = time_zone.replace("'", "''")
    utc = '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\''  # read by pyarrow as timestamp[us, UTC]
    if column.oid == 1114:  # wall-clock time in the session's zone -> the UTC instant
        return f"to_char(({q} AT TIME ZONE '{tz}') AT TIME ZONE 'UTC', {utc})"
    if column.oid == 1184:
        return f"to_char({q} AT TIME ZONE 'UTC', {utc})"
    if column.oid == 1082:
        return f"to_char({q}, 'YYYY-MM-DD')"
    if column.oid == 17:
        return f"encode({q}, 'hex')"
    if column.oid == 1560:
        return f"({q} = B'1')::text"
    if column.oid in _ARRAY_OIDS:
        return f"array_to_json({q})::text"
    return f"{q}::text"


def _duck_cast(name: str, column: _Column) -> exp.Expr:
    """DuckDB's cast of the text column back to the Spark type."""
    col = exp.column(name, quoted=True)
    dtype = column.dtype
    if column.oid in _INSTANT_OIDS:  # already timestamp[us, UTC] from the CSV reader
        return col
    if column.oid == 17:
        return exp.Anonymous(this="unhex", expressions=[col])
    target = to_sqlglot(dtype)
    if isinstance(dtype, T.ArrayType):
        return exp.cast(exp.cast(col, "JSON"), target)
    return exp.cast(col, target)


def _wire_type(column: _Column) -> pa.DataType:
    """The Arrow type a column is read as from the CSV text (text, but for instants)."""
    return pa.timestamp("us", tz="UTC") if column.oid in _INSTANT_OIDS else pa.string()


class _JdbcRead:
    """What DuckDB scans: text columns streamed from ``COPY ... TO STDOUT``, each time a query
    asks for the Arrow stream (so an action sees the table as it is then)."""

    def __init__(self, options: JdbcOptions, columns: list[_Column], time_zone: str) -> None:
        self.options, self.columns, self.time_zone = options, columns, time_zone
        self.schema = pa.schema([pa.field(f"c{i}", _wire_type(c)) for i, c in enumerate(columns)])

    def __arrow_c_schema__(self) -> object:
        return self.schema.__arrow_c_schema__()

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        try:
            reader = self._reader()
        except PySparkException as e:
            raise defer(e) from None
        except Exception as e:  # noqa: BLE001 - any failure of the read fails the query
            raise defer(SparkRuntimeException(f"[JDBC] read failed: {e}")) from None
        return reader.__arrow_c_stream__(requested_schema)

    def _copy_sql(self) -> str:
        items = ", ".join(_select_item(c, self.time_zone) for c in self.columns)
        return f"COPY (SELECT {items} FROM {self.options.relation}) TO STDOUT (FORMAT csv)"

    def _reader(self) -> pa.RecordBatchReader:
        if not self.columns:
            return pa.RecordBatchReader.from_batches(self.schema, iter(()))
        read_fd, write_fd = os.pipe()
        errors: list[BaseException] = []
        conn = self.options.connect()

        def copy_out() -> None:
            with os.fdopen(write_fd, "wb", buffering=1 << 20) as sink:
                try:
                    with conn.cursor() as cur:
                        cur.execute("SET TIME ZONE 'UTC'")
                        cur.copy_expert(self._copy_sql(), sink, size=1 << 20)
                except Exception as e:  # noqa: BLE001 - handed to the reading side
                    errors.append(e)
                finally:
                    with contextlib.suppress(Exception):
                        conn.close()

        thread = threading.Thread(target=copy_out, name="kaspar-jdbc-copy", daemon=True)
        thread.start()
        source = os.fdopen(read_fd, "rb")  # closed when the stream ends
        names = [f"c{i}" for i in range(len(self.columns))]
        csv = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict(zip(names, self.schema.types, strict=True)),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from csv
            except pa.ArrowInvalid as e:
                if not errors:
                    raise SparkRuntimeException(f"[JDBC] read failed: {e}") from None
            finally:
                source.close()
                thread.join()
            if errors:
                raise SparkRuntimeException(f"[JDBC] read failed: {str(errors[0]).strip()}")

        return pa.RecordBatchReader.from_batches(self.schema, batches())


def jdbc_relation(options: dict[str, str], time_zone: str) -> L.Scan:
    """The plan leaf of a ``jdbc`` read (see the module docstring)."""
    parsed = parse_options(options)
    columns = describe(parsed)
    read = _JdbcRead(parsed, columns, time_zone)
    name = L.next_relation_name()
    select = exp.select(
        *(exp.alias_(_duck_cast(f"c{i}", c), c.name, quoted=True) for i, c in enumerate(columns))
    ).from_(exp.to_table(f'"{name}"'))
    names = tuple(c.name for c in columns)
    return L.Scan(exp.paren(select), names, "jdbc", tables=((name, read),))


# ---------------------------------------------------------------------------------------------
# writing


_PG_TYPES: tuple[tuple[type[T.DataType], str], ...] = (
    (T.StringType, "TEXT"),
    (T.BinaryType, "BYTEA"),
    (T.BooleanType, "BOOLEAN"),
    (T.FloatType, "FLOAT4"),
    (T.DoubleType, "FLOAT8"),
    (T.ShortType, "SMALLINT"),
    (T.ByteType, "SMALLINT"),
    (T.IntegerType, "INTEGER"),
    (T.LongType, "BIGINT"),
    (T.DateType, "DATE"),
    (T.TimestampType, "TIMESTAMP"),
    (T.TimestampNTZType, "TIMESTAMP"),
)


def _pg_type(dtype: T.DataType) -> str:
    """Spark's PostgresDialect (and JdbcUtils') type for a column of a created table."""
    for spark_type, pg_type in _PG_TYPES:
        if isinstance(dtype, spark_type):
            return pg_type
    if isinstance(dtype, T.DecimalType):
        return f"NUMERIC({dtype.precision},{dtype.scale})"
    if isinstance(dtype, T.ArrayType) and not isinstance(dtype.elementType, T.ArrayType):
        return _pg_type(dtype.elementType) + "[]"
    raise AnalysisException(
        f"[UNSUPPORTED_DATATYPE] Can't get JDBC type for {dtype.simpleString()}.",
        "UNSUPPORTED_DATATYPE",
    )


def _column_types(schema: T.StructType, custom: str | None) -> list[str]:
    types = {f.name: _pg_type(f.dataType) for f in schema.fields}
    if custom:
        for part in custom.split(","):
            name, _, type_text = part.strip().partition(" ")
            matches = [n for n in types if n.lower() == name.strip('"`').lower()]
            if not matches:
                raise AnalysisException(
                    f"createTableColumnTypes option column {name} not found in schema "
                    f"{schema.simpleString()}.",
                    "COLUMN_NOT_FOUND",
                )
            types[matches[0]] = type_text.strip()
    return [f"{_quote(n)} {t}" for n, t in types.items()]


def _csv_text(table: pa.Table, schema: T.StructType, session_time_zone: str) -> bytes:
    """The rows as PostgreSQL's COPY CSV reads them, built by DuckDB over the Arrow table."""
    import duckdb

    items = []
    for f in schema.fields:
        q = '"' + f.name.replace('"', '""') + '"'
        dtype = f.dataType
        if isinstance(dtype, T.BinaryType):
            items.append(f"'\\x' || lower(hex({q}))")
        elif isinstance(dtype, T.TimestampType):
            zone = session_time_zone.replace("'", "''")
            items.append(f"strftime(timezone('{zone}', {q}), '%Y-%m-%d %H:%M:%S.%f')")
        elif isinstance(dtype, T.ArrayType):
            items.append(
                f"'{{' || array_to_string(list_transform({q}, lambda x: "
                "CASE WHEN x IS NULL THEN 'NULL' ELSE '\"' || replace(replace("
                "CAST(x AS VARCHAR), '\\', '\\\\'), '\"', '\\\"') || '\"' END), ',')"
                " || '}'"
            )
        elif isinstance(dtype, T.BooleanType):
            items.append(f"CASE WHEN {q} THEN 'true' WHEN NOT {q} THEN 'false' END")
        else:
            items.append(f"CAST({q} AS VARCHAR)")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("__rows", table)
        text = con.sql(f"SELECT {', '.join(items)} FROM __rows").to_arrow_table()
    finally:
        con.close()
    out = io.BytesIO()
    pacsv.write_csv(
        text,
        out,
        write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    return out.getvalue()


def write_jdbc(
    table: pa.Table, schema: T.StructType, options: dict[str, str], mode: str, time_zone: str
) -> None:
    """``df.write.jdbc`` (see the module docstring)."""
    import psycopg2

    mode = (mode or "errorifexists").lower()
    if mode not in _SAVE_MODES:
        raise IllegalArgumentException(
            f"Unknown save mode: {mode}. Accepted save modes are 'overwrite', 'append', "
            "'ignore', 'error', 'errorifexists', 'default'."
        )
    parsed = parse_options(options, writing=True)
    assert parsed.table is not None
    target = parsed.table
    columns = ", ".join(_quote(f.name) for f in schema.fields)
    with contextlib.closing(parsed.connect()) as conn:
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT to_regclass(%s) IS NOT NULL", (target,))
                row = cur.fetchone()
                exists = bool(row and row[0])
                if exists and mode in ("error", "errorifexists", "default"):
                    raise AnalysisException(
                        f"[TABLE_OR_VIEW_ALREADY_EXISTS] Table or view '{target}' already "
                        "exists. SaveMode: ErrorIfExists.",
                        "TABLE_OR_VIEW_ALREADY_EXISTS",
                    )
                if exists and mode == "ignore":
                    return
                if exists and mode == "overwrite":
                    if parsed.options.get("truncate", "false").lower() == "true":
                        cascade = parsed.options.get("cascadetruncate", "false").lower()
                        suffix = " CASCADE" if cascade == "true" else ""
                        cur.execute(f"TRUNCATE TABLE ONLY {target}{suffix}")
                    else:
                        cur.execute(f"DROP TABLE {target}")
                        exists = False
                if not exists:
                    ddl = ", ".join(
                        _column_types(schema, parsed.options.get("createtablecolumntypes"))
                    )
                    extra = parsed.options.get("createtableoptions", "")
                    cur.execute(f"CREATE TABLE {target} ({ddl}) {extra}")
                if table.num_rows:
                    data = _csv_text(table, schema, time_zone)
                    cur.execute(f"SET LOCAL TIME ZONE '{time_zone.replace(chr(39), '')}'")
                    cur.copy_expert(
                        f"COPY {target} ({columns}) FROM STDIN (FORMAT csv)",
                        io.BytesIO(data),
                        size=1 << 20,
                    )
        except psycopg2.Error as e:
            raise SparkRuntimeException(
                f"[JDBC] write to {target} failed (nothing was written): {str(e).strip()}",
                "JDBC_WRITE",
            ) from None
