"""`DeltaSinkConnector`: topics into Delta Lake tables (deltalake, no JVM), exactly once.

Config: `topics` / `topics.regex`, `delta.table.path` (`${topic}` is replaced by the record's
topic), `insert.mode` (`append`, or `upsert`: a MERGE on `pk.fields`, the record key's fields by
default), `delete.enabled` (upsert: a tombstone deletes its key's row).

Each flush is one Delta commit per table, made in these steps:

1. The rows put since the last flush become one Arrow table (the last row of a key wins in
   upsert mode; tombstones become deletes).
2. The commit carries a `txn` action per Kafka partition, app id
   `kaspar-connect-<connector>-<topic>-<partition>`, version = the last offset written.
3. When partitions are assigned, the task reads those versions from the Delta log and has the
   consumer start after them, so a record is in the table once even when the consumer offsets
   were not committed (a crash between the Delta commit and the offset commit).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from kaspar.connect.config_def import ConfigDef, ConfigKey, one_of
from kaspar.connect.connector import SinkConnector, SinkTask
from kaspar.connect.data import SinkRecord

OP = "__kaspar_op"


class DeltaSinkConnector(SinkConnector):
    aliases = ("kaspar.connect.DeltaSinkConnector", "DeltaLakeSink")

    @classmethod
    def config_def(cls) -> ConfigDef:
        return ConfigDef(
            (
                ConfigKey(
                    "delta.table.path",
                    documentation="Where the table is: a path or URI; ${topic} is the topic",
                    importance="HIGH",
                    group="Delta",
                ),
                ConfigKey(
                    "insert.mode",
                    "STRING",
                    "append",
                    "HIGH",
                    "append, or upsert (MERGE on pk.fields)",
                    "Delta",
                    validator=one_of("append", "upsert"),
                ),
                ConfigKey("pk.fields", "LIST", "", "MEDIUM", "Key columns (upsert)", "Delta"),
                ConfigKey(
                    "delete.enabled", "BOOLEAN", False, "MEDIUM", "Tombstones delete", "Delta"
                ),
            )
        )

    def start(self, props: Mapping[str, str]) -> None:
        self.config_def().parse(props)
        self.props = dict(props)

    def task_class(self) -> type[SinkTask]:
        return DeltaSinkTask


def app_id(connector: str, topic: str, partition: int) -> str:
    return f"kaspar-connect-{connector}-{topic}-{partition}"


class DeltaSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        parsed = DeltaSinkConnector.config_def().parse(props)
        self.path_template: str = parsed["delta.table.path"]
        self.upsert = parsed["insert.mode"] == "upsert"
        self.pk_fields: list[str] = parsed["pk.fields"]
        self.delete_enabled: bool = parsed["delete.enabled"]
        self.connector = props.get("name", "delta")
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.last_offsets: dict[str, dict[tuple[str, int], int]] = defaultdict(dict)

    def path(self, topic: str) -> str:
        return self.path_template.replace("${topic}", topic)

    def open(self, partitions: list[tuple[str, int]]) -> None:
        """Step 3."""
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        for topic, partition in partitions:
            try:
                table = DeltaTable(self.path(topic))
            except TableNotFoundError:
                continue
            version = table.transaction_version(app_id(self.connector, topic, partition))
            if version is not None:
                self.context.offsets[(topic, partition)] = version + 1

    def put(self, records: list[SinkRecord]) -> None:
        for record in records:
            path = self.path(record.topic)
            self.last_offsets[path][(record.topic, record.kafka_partition)] = record.kafka_offset
            if record.value is None:
                if self.upsert and self.delete_enabled and isinstance(record.key, dict):
                    self.rows[path].append({**record.key, OP: "d"})
                continue
            row = record.value if isinstance(record.value, dict) else {"value": record.value}
            self.rows[path].append({**row, OP: "u"} if self.upsert else row)

    def flush(self, offsets: Mapping[tuple[str, int], int]) -> None:
        for path in list(self.rows):
            self._commit(path, self.rows.pop(path), self.last_offsets.pop(path, {}))

    def _commit(
        self, path: str, rows: list[dict[str, Any]], last: dict[tuple[str, int], int]
    ) -> None:
        """Steps 1-2."""
        from deltalake import CommitProperties, Transaction, write_deltalake

        transactions = [Transaction(app_id(self.connector, t, p), o) for (t, p), o in last.items()]
        commit = CommitProperties(app_transactions=transactions)
        if not rows:
            return
        data = _table(rows)
        if not self.upsert:
            write_deltalake(path, data, mode="append", commit_properties=commit)
            return
        keys = self.pk_fields or [k for k in rows[-1] if k != OP][:1]
        data = _last_per_key(data, keys)
        self._merge(path, data, keys, commit, write_deltalake)

    def _merge(self, path: str, data: pa.Table, keys: list[str], commit: Any, write: Any) -> None:
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        columns = [c for c in data.column_names if c != OP]
        try:
            table = DeltaTable(path)
        except TableNotFoundError:
            upserts = data.filter(pc.not_equal(data[OP], "d")).select(columns)
            write(path, upserts, mode="append", commit_properties=commit)
            return
        predicate = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
        assignments = {f"`{c}`": f"s.`{c}`" for c in columns}
        (
            table.merge(
                data, predicate, source_alias="s", target_alias="t", commit_properties=commit
            )
            .when_matched_delete(predicate=f"s.`{OP}` = 'd'")
            .when_matched_update(assignments, predicate=f"s.`{OP}` = 'u'")
            .when_not_matched_insert(assignments, predicate=f"s.`{OP}` = 'u'")
            .execute()
        )

    def stop(self) -> None:
        self.rows.clear()


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as one Arrow table whose columns are every field any row has (a tombstone's row
    has only the key; `from_pylist` would take the first row's fields)."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    return pa.table({name: [row.get(name) for row in rows] for name in names})


def _last_per_key(data: pa.Table, keys: list[str]) -> pa.Table:
    """The last row of each key (a MERGE source may hold a key once)."""
    numbered = data.append_column("__kaspar_row", pa.array(range(data.num_rows), pa.int64()))
    last = numbered.group_by(keys).aggregate([("__kaspar_row", "max")])
    return data.take(last["__kaspar_row_max"].combine_chunks()).sort_by(
        [(k, "ascending") for k in keys]
    )
