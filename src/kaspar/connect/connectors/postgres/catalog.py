"""Tables as the CDC source sees them, read from PostgreSQL's catalog: columns with their
Debezium schemas and parsers, the primary key, the topic, the key and envelope schemas."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kaspar.connect.connectors.postgres.envelope import envelope_schema
from kaspar.connect.connectors.postgres.pgoutput import UNCHANGED
from kaspar.connect.connectors.postgres.types import UNAVAILABLE, Parse, PgType, column_type
from kaspar.connect.data import Schema, struct

COLUMNS_SQL = """
SELECT a.attname, a.atttypid, a.atttypmod, NOT a.attnotnull,
       COALESCE(a.attnum = ANY(i.indkey), false)
FROM pg_attribute a
LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
TYPE_SQL = """
SELECT t.oid, t.typname, t.typtype, t.typcategory, t.typelem, t.typbasetype,
       COALESCE(array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
                FILTER (WHERE e.enumlabel IS NOT NULL), '{}')
FROM pg_type t LEFT JOIN pg_enum e ON e.enumtypid = t.oid
WHERE t.oid = %s GROUP BY t.oid
"""
TABLES_SQL = """
SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'
ORDER BY n.nspname, c.relname
"""
NAME_SQL = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = %s
"""


@dataclass(frozen=True)
class Column:
    name: str
    schema: Schema
    parse: Parse
    key: bool


@dataclass(frozen=True)
class Table:
    oid: int
    schema: str
    name: str
    topic: str
    columns: tuple[Column, ...]
    key_schema: Schema | None
    value_schema: Schema

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def row(self, values: Sequence[object]) -> dict[str, Any]:
        """A tuple of text values as the row struct of Debezium's `before` / `after`."""
        row: dict[str, Any] = {}
        for column, value in zip(self.columns, values, strict=False):
            if value is None:
                row[column.name] = None
            elif value is UNCHANGED:
                row[column.name] = _unavailable(column.schema)
            else:
                row[column.name] = column.parse(value)  # type: ignore[arg-type]
        return row

    def key(self, row: dict[str, Any]) -> dict[str, Any] | None:
        if self.key_schema is None:
            return None
        return {f.name: row.get(f.name) for f in self.key_schema.fields}


def _unavailable(schema: Schema) -> Any:
    if schema.type == "string":
        return UNAVAILABLE
    if schema.type == "bytes":
        return UNAVAILABLE.encode()
    return None


class TableFilter:
    """Debezium's `schema.include.list` / `table.include.list` / `table.exclude.list`:
    comma-separated regular expressions matched against `schema` and `schema.table`."""

    def __init__(self, props: dict[str, str]) -> None:
        def patterns(key: str) -> list[re.Pattern[str]]:
            return [re.compile(p.strip()) for p in props.get(key, "").split(",") if p.strip()]

        self.schemas = patterns("schema.include.list")
        self.include = patterns("table.include.list")
        self.exclude = patterns("table.exclude.list")

    def __call__(self, schema: str, table: str) -> bool:
        name = f"{schema}.{table}"
        if self.schemas and not any(p.fullmatch(schema) for p in self.schemas):
            return False
        if self.include and not any(p.fullmatch(name) for p in self.include):
            return False
        return not any(p.fullmatch(name) for p in self.exclude)


class Catalog:
    """Reads tables and types over one ordinary connection; types are cached."""

    def __init__(self, connection: Any, topic_prefix: str) -> None:
        self.connection, self.prefix = connection, topic_prefix
        self._types: dict[int, PgType] = {}

    def _query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, args)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows

    def pg_type(self, oid: int) -> PgType:
        if oid not in self._types:
            rows = self._query(TYPE_SQL, oid)
            if not rows:
                return PgType(oid, "unknown")
            _, name, kind, category, element, base, labels = rows[0]
            if kind == "d" and base:
                return self.pg_type(base)
            element = element if category == "A" else 0
            self._types[oid] = PgType(oid, name, kind, element, tuple(labels))
        return self._types[oid]

    def tables(self, accept: TableFilter) -> list[Table]:
        return [
            self.table(oid) for oid, schema, name in self._query(TABLES_SQL) if accept(schema, name)
        ]

    def table(self, oid: int) -> Table:
        (schema_name, table_name), *_ = self._query(NAME_SQL, oid)
        columns = []
        for name, type_oid, typmod, optional, key in self._query(COLUMNS_SQL, oid):
            pg_type = self.pg_type(type_oid)
            element = self.pg_type(pg_type.element) if pg_type.element else None
            schema, parse = column_type(pg_type, typmod, optional and not key, element)
            columns.append(Column(name, schema, parse, key))
        base = f"{self.prefix}.{schema_name}.{table_name}"
        keys = {c.name: c.schema for c in columns if c.key}
        key_schema = struct(f"{base}.Key", keys) if keys else None
        row_schema = struct(f"{base}.Value", {c.name: c.schema for c in columns}, optional=True)
        return Table(
            oid,
            schema_name,
            table_name,
            base,
            tuple(columns),
            key_schema,
            envelope_schema(base, row_schema),
        )
