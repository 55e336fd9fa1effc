"""Tables defined by DDL: ``CREATE TABLE``, ``INSERT INTO``, ``TRUNCATE``, partitions.

1. ``define_table`` records a table's definition (format, schema with the partition columns
   last, options, location, properties) and makes a managed table's directory.
2. ``insert_into`` writes rows into a table by position, as Spark's ``INSERT INTO`` and
   ``insertInto`` do: the query's columns fill the table's columns in order (static
   ``PARTITION (p = v)`` values are added), each cast to the column's type, then written in
   the table's format and options, each partition as a ``p=v`` directory, which the table's
   definition then lists.
3. ``recover_partitions`` registers the ``p=v`` directories found under the table's location.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaspar.engine import types as T
from kaspar.engine.sinks.files import write_files
from kaspar.engine.sinks.partition_paths import escape_path_name
from kaspar.engine.sources.files import file_scan
from kaspar.engine.type_conversion import parse_data_type
from kaspar.errors import AnalysisException
from kaspar.sql._table_definition import TableDefinition, schema_ddl
from kaspar.sql._warehouse import SESSION_CATALOG

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession


def _already_exists(database: str, name: str) -> AnalysisException:
    return AnalysisException(
        f"Cannot create table or view `{SESSION_CATALOG}`.`{database}`.`{name}` because it "
        "already exists. Choose a different name, drop or replace the existing object, or add "
        "the IF NOT EXISTS clause to tolerate pre-existing objects.",
        "TABLE_OR_VIEW_ALREADY_EXISTS",
    )


def _as_struct(schema: Any) -> T.StructType | None:
    if schema is None:
        return None
    parsed = parse_data_type(schema) if isinstance(schema, str) else schema
    if not isinstance(parsed, T.StructType):
        raise AnalysisException(f"The table schema must be a struct: {schema}", "INVALID_SCHEMA")
    return parsed


def define_table(
    session: SparkSession,
    name: str,
    *,
    source: str | None,
    schema: Any,
    path: str | None = None,
    options: dict[str, str] | None = None,
    partition_by: list[str] | None = None,
    properties: dict[str, str] | None = None,
    comment: str | None = None,
    if_not_exists: bool = False,
) -> bool:
    """Record table ``name``; False when it existed and ``if_not_exists`` was given."""
    warehouse = session.catalog._warehouse
    database, table = warehouse.split(name)
    if warehouse.exists(name) or (database, table) in session.catalog._persistent_views:
        if if_not_exists:
            return False
        raise _already_exists(database, table)
    if not warehouse.database_exists(database):
        raise AnalysisException(f"The schema `{database}` cannot be found.", "SCHEMA_NOT_FOUND")
    opts = {k.lower(): str(v) for k, v in (options or {}).items()}
    location = path or opts.pop("path", None)
    fmt = (source or str(session.conf.get("spark.sql.sources.default", "parquet"))).lower()
    struct = _as_struct(schema)
    if struct is None:
        if location is None:
            raise AnalysisException(
                f"Unable to infer schema for table `{table}`: give a schema or a path.",
                "UNABLE_TO_INFER_SCHEMA",
            )
        struct = session._executor.schema(file_scan(session._executor, fmt, location, opts, None))
    parts = [p.lower() for p in partition_by or []]
    fields = [f for f in struct.fields if f.name.lower() not in parts]
    fields += [f for p in parts for f in struct.fields if f.name.lower() == p]
    definition = TableDefinition(
        name=table,
        database=database,
        format=fmt,
        schema_ddl=schema_ddl(T.StructType(fields)),
        partition_by=tuple(parts),
        location=str(Path(location).resolve()) if location else None,
        options=opts,
        properties=dict(properties or {}),
        comment=comment,
    )
    warehouse.define(definition)
    if location is None:
        warehouse.location(name).mkdir(parents=True, exist_ok=True)
    return True


def _partition_dirs(df: DataFrame, partition_by: tuple[str, ...]) -> list[str]:
    """The ``p=v`` directories the rows of ``df`` go to (Spark's partition path escaping)."""
    rows = df.select(*partition_by).distinct().collect()

    def text(value: Any) -> str:
        return "__HIVE_DEFAULT_PARTITION__" if value is None else escape_path_name(str(value))

    return [
        "/".join(f"{c}={text(v)}" for c, v in zip(partition_by, row, strict=True)) for row in rows
    ]


def insert_into(
    session: SparkSession,
    name: str,
    df: DataFrame,
    *,
    overwrite: bool = False,
    static: dict[str, Any] | None = None,
) -> None:
    """Write ``df``'s rows into table ``name`` by position (see the module docstring)."""
    from kaspar.sql.functions import col, lit

    warehouse = session.catalog._warehouse
    if not warehouse.exists(name):
        raise AnalysisException(
            f"The table or view `{name}` cannot be found.", "TABLE_OR_VIEW_NOT_FOUND"
        )
    definition = warehouse.definition(name)
    if definition is None:  # a saveAsTable table: by position, in its own format
        target = session.table(name).schema
        definition = TableDefinition(name, "", warehouse.table_format(name), schema_ddl(target))
    schema = definition.schema
    static = {k.lower(): v for k, v in (static or {}).items()}
    filled = [f for f in schema.fields if f.name.lower() not in static]
    if len(df.columns) != len(filled):
        raise AnalysisException(
            f"Cannot write to `{name}`: the table has {len(filled)} column(s) to fill but the "
            f"query gives {len(df.columns)}.",
            "INSERT_COLUMN_ARITY_MISMATCH.NOT_ENOUGH_DATA_COLUMNS"
            if len(df.columns) < len(filled)
            else "INSERT_COLUMN_ARITY_MISMATCH.TOO_MANY_DATA_COLUMNS",
        )
    by_name = dict(zip((f.name for f in filled), df.columns, strict=True))
    columns = [
        (lit(static[f.name.lower()]) if f.name.lower() in static else col(by_name[f.name]))
        .cast(f.dataType)
        .alias(f.name)
        for f in schema.fields
    ]
    rows = df.select(*columns)
    location = warehouse.location(name)
    if definition.format == "delta":
        from kaspar.engine.sinks.delta import write_delta

        write_delta(rows.toArrow(), str(location), "overwrite" if overwrite else "append", [], {})
        return
    if overwrite:
        truncate(location)
    write_files(
        session._executor,
        rows.plan,
        location,
        fmt=definition.format,
        mode="append",
        options=definition.options,
        partition_by=list(definition.partition_by),
    )
    if definition.partition_by and definition.database:
        written = _partition_dirs(rows, definition.partition_by)
        kept = [] if overwrite else list(definition.partitions)
        warehouse.define(definition.with_partitions(kept + written))
    session.catalog._cached.pop(session.catalog._cache_key(name), None)


def truncate(location: Path) -> None:
    """Remove a table's data, keeping its directory."""
    if not location.is_dir():
        return
    for entry in location.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def recover_partitions(definition: TableDefinition, location: Path) -> TableDefinition:
    found: list[str] = []
    depth = len(definition.partition_by)
    if location.is_dir():
        for directory in location.glob("/".join(["*"] * depth)):
            relative = directory.relative_to(location).parts
            names = [part.split("=", 1)[0].lower() for part in relative]
            if directory.is_dir() and names == list(definition.partition_by):
                found.append("/".join(relative))
    return definition.with_partitions(found)


def create_table_string(
    key: tuple[str, str], schema: T.StructType, definition: TableDefinition | None
) -> str:
    """``SHOW CREATE TABLE``'s text, as Spark writes it."""
    columns = ",\n".join(f"  {f.name} {f.dataType.simpleString().upper()}" for f in schema)
    lines = [f"CREATE TABLE {SESSION_CATALOG}.{key[0]}.{key[1]} (\n{columns})"]
    fmt = definition.format if definition else "parquet"
    lines.append(f"USING {fmt}")
    if definition is not None:
        if definition.options:
            opts = ",\n".join(f"  '{k}' = '{v}'" for k, v in sorted(definition.options.items()))
            lines.append(f"OPTIONS (\n{opts})")
        if definition.partition_by:
            lines.append(f"PARTITIONED BY ({', '.join(definition.partition_by)})")
        if definition.comment:
            lines.append(f"COMMENT '{definition.comment}'")
        if definition.location:
            lines.append(f"LOCATION 'file:{definition.location}'")
        if definition.properties:
            props = ",\n".join(f"  '{k}' = '{v}'" for k, v in sorted(definition.properties.items()))
            lines.append(f"TBLPROPERTIES (\n{props})")
    return "\n".join(lines) + "\n"
