"""`JdbcSinkConnector` for PostgreSQL: topics into tables, configured like Confluent's JDBC sink
(`io.confluent.connect.jdbc.JdbcSinkConnector`; psycopg2 underneath, no JVM).

Config: `connection.url` (`jdbc:postgresql://host:port/db` or a libpq URI),
`connection.user`, `connection.password`, `table.name.format` (`${topic}`), `insert.mode`
(`insert`, `upsert`: INSERT ... ON CONFLICT DO UPDATE on the primary key), `pk.mode` (`none`,
`record_key`, `record_value`), `pk.fields`, `delete.enabled` (a tombstone deletes its key's
row; needs `pk.mode=record_key`), `auto.create` (a missing table is created from the first
record's fields).

Each flush writes what was put in one database transaction: per table, the last change of
each key (upsert) as one multi-row INSERT ... ON CONFLICT and one DELETE, then COMMIT; the
runtime commits the consumer offsets after it. Replays after a crash are idempotent in upsert
mode (at least once in `insert` mode, as Confluent's).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from kaspar.connect.config_def import ConfigDef, ConfigKey, one_of
from kaspar.connect.connector import SinkConnector, SinkTask
from kaspar.connect.data import SinkRecord

DELETE = object()
SQL_TYPES = {bool: "boolean", int: "bigint", float: "double precision", str: "text"}


class JdbcSinkConnector(SinkConnector):
    aliases = ("io.confluent.connect.jdbc.JdbcSinkConnector",)

    @classmethod
    def config_def(cls) -> ConfigDef:
        def key(name: str, kind: str, default: Any, doc: str, **kw: Any) -> ConfigKey:
            return ConfigKey(name, kind, default, "HIGH", doc, "Connection", **kw)

        return ConfigDef(
            (
                ConfigKey("connection.url", documentation="jdbc:postgresql://host:port/db"),
                key("connection.user", "STRING", None, "Database user."),
                key("connection.password", "PASSWORD", None, "Database password."),
                key("table.name.format", "STRING", "${topic}", "Table name; ${topic}."),
                key(
                    "insert.mode",
                    "STRING",
                    "insert",
                    "insert or upsert",
                    validator=one_of("insert", "upsert"),
                ),
                key(
                    "pk.mode",
                    "STRING",
                    "none",
                    "Where the primary key comes from.",
                    validator=one_of("none", "record_key", "record_value"),
                ),
                key("pk.fields", "LIST", "", "Primary key columns."),
                key("delete.enabled", "BOOLEAN", False, "Tombstones delete rows."),
                key("auto.create", "BOOLEAN", False, "Create missing tables."),
            )
        )

    def start(self, props: Mapping[str, str]) -> None:
        self.config_def().parse(props)
        self.props = dict(props)

    def task_class(self) -> type[SinkTask]:
        return JdbcSinkTask


def connect_args(url: str, user: str | None, password: str | None) -> dict[str, Any]:
    """psycopg2.connect arguments from a JDBC URL (or a libpq URI)."""
    parts = urlsplit(url.removeprefix("jdbc:"))
    args: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "dbname": parts.path.lstrip("/") or "postgres",
    }
    for name, value in (("user", user or parts.username), ("password", password or parts.password)):
        if value:
            args[name] = value
    return args


class JdbcSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        import psycopg2

        parsed = JdbcSinkConnector.config_def().parse(props)
        self.settings = parsed
        self.upsert = parsed["insert.mode"] == "upsert"
        args = connect_args(
            parsed["connection.url"], parsed["connection.user"], parsed["connection.password"]
        )
        self.connection = psycopg2.connect(**args)
        self.changes: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
        self.created: set[str] = set()

    def table(self, topic: str) -> str:
        return str(self.settings["table.name.format"]).replace("${topic}", topic)

    def put(self, records: list[SinkRecord]) -> None:
        for record in records:
            key = self._key(record)
            if record.value is None:
                if self.settings["delete.enabled"] and key is not None:
                    self.changes[self.table(record.topic)].append((key, DELETE))
                continue
            row = record.value if isinstance(record.value, dict) else {"value": record.value}
            if self.settings["pk.mode"] == "record_key" and isinstance(record.key, dict):
                row = {**record.key, **row}
            self.changes[self.table(record.topic)].append((key, row))

    def _key(self, record: SinkRecord) -> tuple[Any, ...] | None:
        fields, mode = self.settings["pk.fields"], self.settings["pk.mode"]
        source = record.key if mode == "record_key" else record.value
        if mode == "none" or not isinstance(source, dict):
            return None
        return tuple(source.get(f) for f in fields or list(source))

    def flush(self, offsets: Mapping[tuple[str, int], int]) -> None:
        if not self.changes:
            return
        with self.connection, self.connection.cursor() as cursor:
            for table, changes in self.changes.items():
                self._write(cursor, table, changes)
        self.changes.clear()

    def _write(self, cursor: Any, table: str, changes: list[tuple[Any, Any]]) -> None:
        from psycopg2 import sql
        from psycopg2.extras import execute_values

        if self.upsert:  # the last change of a key wins
            changes = list({key: (key, change) for key, change in changes}.values())
        rows = [change for _, change in changes if change is not DELETE]
        deletes = [key for key, change in changes if change is DELETE]
        pk = [sql.Identifier(f) for f in self._pk_fields(rows)]
        if rows:
            columns = list(dict.fromkeys(c for row in rows for c in row))
            if self.settings["auto.create"] and table not in self.created:
                self._create(cursor, table, columns, rows, pk)
            statement = sql.SQL("INSERT INTO {} ({}) VALUES %s").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            if self.upsert and pk:
                updates = sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns
                )
                statement += sql.SQL(" ON CONFLICT ({}) DO UPDATE SET {}").format(
                    sql.SQL(", ").join(pk), updates
                )
            values = [tuple(_value(row.get(c)) for c in columns) for row in rows]
            execute_values(cursor, statement.as_string(cursor), values, page_size=1000)
        if deletes and pk:
            statement = sql.SQL("DELETE FROM {} WHERE ({}) IN %s").format(
                sql.Identifier(table), sql.SQL(", ").join(pk)
            )
            cursor.execute(statement, (tuple(deletes),))

    def _pk_fields(self, rows: list[dict[str, Any]]) -> list[str]:
        fields: list[str] = self.settings["pk.fields"]
        if fields or self.settings["pk.mode"] == "none" or not rows:
            return fields
        return list(rows[0])[:1]

    def _create(
        self, cursor: Any, table: str, columns: list[str], rows: list[dict[str, Any]], pk: list[Any]
    ) -> None:
        from psycopg2 import sql

        def sql_type(column: str) -> str:
            sample = next((r[column] for r in rows if r.get(column) is not None), "")
            return SQL_TYPES.get(type(sample), "jsonb")

        definitions = [
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(sql_type(c))) for c in columns
        ]
        if pk:
            definitions.append(sql.SQL("PRIMARY KEY ({})").format(sql.SQL(", ").join(pk)))
        cursor.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
                sql.Identifier(table), sql.SQL(", ").join(definitions)
            )
        )
        self.created.add(table)

    def stop(self) -> None:
        self.connection.close()


def _value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value
