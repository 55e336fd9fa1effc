"""``spark.read`` and ``df.write`` for files, executed by DuckDB.

Formats dispatch through the ``READERS`` and ``WRITERS`` dicts so that delta and kafka plug in
as one entry each.
"""

from __future__ import annotations

import glob
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.type_conversion import parse_data_type
from kaspar.errors import AnalysisException, IllegalArgumentException

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession

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


def _truthy(value: Any) -> bool:
    return str(value).lower() == "true"


def _paths(path: str | list[str]) -> list[str]:
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
        "header": _b(_truthy(opts.get("header", "false"))),
        "delim": exp.Literal.string(opts.get("sep", opts.get("delimiter", ","))),
        "quote": exp.Literal.string(opts.get("quote", '"')),
        "escape": exp.Literal.string(opts.get("escape", '"')),
    }
    if "nullvalue" in opts:
        named["nullstr"] = exp.Literal.string(opts["nullvalue"])
    if schema is not None:
        named["columns"] = _columns_arg(schema)
    elif not _truthy(opts.get("inferschema", "false")):
        named["all_varchar"] = _b(True)
    return _call("read_csv", [p for p in paths if not p.endswith("_SUCCESS")], **named)


def _read_json(paths: list[str], opts: dict[str, str], schema: T.StructType | None) -> exp.Expr:
    fmt = "array" if _truthy(opts.get("multiline", "false")) else "newline_delimited"
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
}


class DataFrameReader:
    """``spark.read``: ``format``, ``option(s)``, ``schema``, then ``load`` or a format method."""

    def __init__(self, session: SparkSession) -> None:
        self._session = session
        self._format = "parquet"
        self._options: dict[str, str] = {}
        self._schema: T.StructType | None = None

    def format(self, source: str) -> DataFrameReader:
        self._format = source.lower()
        return self

    def option(self, key: str, value: Any) -> DataFrameReader:
        self._options[key.lower()] = str(value).lower() if isinstance(value, bool) else str(value)
        return self

    def options(self, **options: Any) -> DataFrameReader:
        for k, v in options.items():
            self.option(k, v)
        return self

    def schema(self, schema: T.StructType | str) -> DataFrameReader:
        parsed = parse_data_type(schema) if isinstance(schema, str) else schema
        if not isinstance(parsed, T.StructType):
            raise IllegalArgumentException(f"Schema must be a struct type: {schema}")
        self._schema = parsed
        return self

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
        reader = READERS.get(self._format)
        if reader is None:
            raise AnalysisException(
                f"Failed to find the data source: {self._format}.", "DATA_SOURCE_NOT_FOUND"
            )
        if path is None:
            path = self._options.get("path")
        if path is None:
            raise IllegalArgumentException("'path' is not specified")
        source = reader(_paths(path), self._options, self._schema)
        names = self._session._executor.describe(exp.select("*").from_(source))
        if self._format == "json" and self._schema is None:
            names = sorted(names)
        if (
            self._format == "csv"
            and not _truthy(self._options.get("header", "false"))
            and self._schema is None
        ):
            spark_names = [f"_c{i}" for i in range(len(names))]
            renamed = [
                exp.Alias(this=exp.column(n, quoted=True), alias=exp.to_identifier(s, quoted=True))
                for n, s in zip(names, spark_names, strict=True)
            ]
            source = exp.select(*renamed).from_(source).subquery("_src")
            names = spark_names
        return DataFrame(self._session, L.Scan(source, tuple(names), self._format))

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
        path: str | list[str],
        schema: Any = None,
        multiLine: Any = None,
        **options: Any,
    ) -> DataFrame:
        return self.format("json").load(path, schema=schema, multiLine=multiLine, **options)

    def text(self, paths: str | list[str], **options: Any) -> DataFrame:
        return self.format("text").load(paths, **options)

    def table(self, tableName: str) -> DataFrame:
        return self._session.table(tableName)


def _copy_options(fmt: str, opts: dict[str, str], partition_by: list[str]) -> str:
    parts = [{"parquet": "FORMAT parquet", "json": "FORMAT json", "csv": "FORMAT csv"}[fmt]]
    if fmt == "csv":
        parts.append(f"HEADER {'true' if _truthy(opts.get('header', 'false')) else 'false'}")
        sep = opts.get("sep", opts.get("delimiter", ","))
        parts.append("DELIMITER " + exp.Literal.string(sep).sql())
    if partition_by:
        cols = ", ".join(exp.to_identifier(c, quoted=True).sql() for c in partition_by)
        parts.append(f"PARTITION_BY ({cols})")
        parts.append(f"FILENAME_PATTERN 'part-{{i}}-{uuid.uuid4()}'")
    return ", ".join(parts)


class DataFrameWriter:
    """``df.write``: ``mode``, ``format``, ``option(s)``, ``partitionBy``, then ``save``."""

    WRITERS: tuple[str, ...] = ("parquet", "json", "csv")

    def __init__(self, df: DataFrame) -> None:
        self._df = df
        self._format = "parquet"
        self._mode = "errorifexists"
        self._options: dict[str, str] = {}
        self._partition_by: list[str] = []

    def mode(self, saveMode: str | None) -> DataFrameWriter:
        mode = (saveMode or "errorifexists").lower()
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

    def partitionBy(self, *cols: str | list[str]) -> DataFrameWriter:
        first = cols[0] if len(cols) == 1 else None
        self._partition_by = list(first) if isinstance(first, list) else [str(c) for c in cols]
        return self

    def save(
        self,
        path: str | None = None,
        format: str | None = None,
        mode: str | None = None,
        partitionBy: Any = None,
        **options: Any,
    ) -> None:
        if format:
            self.format(format)
        if mode:
            self.mode(mode)
        if partitionBy:
            self.partitionBy(partitionBy)
        self.options(**options)
        if self._format not in self.WRITERS:
            raise AnalysisException(
                f"Failed to find the data source: {self._format}.", "DATA_SOURCE_NOT_FOUND"
            )
        target = Path((path or self._options["path"]).removeprefix("file://"))
        if target.exists():
            if self._mode in ("error", "errorifexists"):
                raise AnalysisException(
                    f"[PATH_ALREADY_EXISTS] Path file:{target} already exists.",
                    "PATH_ALREADY_EXISTS",
                )
            if self._mode == "ignore":
                return
            if self._mode == "overwrite":
                shutil.rmtree(target) if target.is_dir() else target.unlink()
        target.mkdir(parents=True, exist_ok=True)
        self._copy(target)
        (target / "_SUCCESS").touch()

    def _copy(self, target: Path) -> None:
        executor = self._df.sparkSession._executor
        sql = executor.sql(self._df.plan)
        ext = {"parquet": ".snappy.parquet", "json": ".json", "csv": ".csv"}[self._format]
        dest = target if self._partition_by else target / f"part-00000-{uuid.uuid4()}-c000{ext}"
        options = _copy_options(self._format, self._options, self._partition_by)
        if self._partition_by:
            options += ", OVERWRITE_OR_IGNORE true"
        statement = f"COPY ({sql}) TO {exp.Literal.string(str(dest)).sql()} ({options})"
        executor.run_plan_statement(self._df.plan, statement)

    def parquet(
        self, path: str, mode: str | None = None, partitionBy: Any = None, **kw: Any
    ) -> None:
        self.format("parquet").save(path, mode=mode, partitionBy=partitionBy, **kw)

    def json(self, path: str, mode: str | None = None, **kw: Any) -> None:
        self.format("json").save(path, mode=mode, **kw)

    def csv(
        self,
        path: str,
        mode: str | None = None,
        header: Any = None,
        sep: str | None = None,
        **kw: Any,
    ) -> None:
        self.format("csv").save(path, mode=mode, header=header, sep=sep, **kw)


_ = sqlglot
