"""Debezium's `ExtractNewRecordState` ("unwrap"): a change event's envelope replaced by its
`after` row, so sinks that want plain rows (JDBC, Delta append) read CDC topics.

* `delete.tombstone.handling.mode`: `tombstone` (default: delete events dropped, the tombstones
  that follow them kept), `drop` (both dropped), `rewrite` (a delete becomes its `before` row
  with `__deleted=true`, tombstones dropped), `rewrite-with-tombstone` (and tombstones kept).
  The older `delete.handling.mode` (drop/none/rewrite) and `drop.tombstones` are honoured.
* `add.fields=op,table,lsn,source.ts_ms,...`: envelope or `source` fields added to the row,
  named with `add.fields.prefix` (default `__`); `add.headers` adds them as headers.
* Events with neither `after` nor a delete (truncate, messages) are dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from kaspar.connect.data import ConnectRecord, Field, Schema

MODES = ("drop", "tombstone", "rewrite", "rewrite-with-tombstone")


class ExtractNewRecordState:
    names: ClassVar[tuple[str, ...]] = (
        "io.debezium.transforms.ExtractNewRecordState",
        "ExtractNewRecordState",
    )

    def configure(self, props: Mapping[str, str]) -> None:
        mode = props.get("delete.tombstone.handling.mode")
        if mode is None and ("delete.handling.mode" in props or "drop.tombstones" in props):
            legacy = props.get("delete.handling.mode", "drop")
            self.delete_action = {"none": "tombstone"}.get(legacy, legacy)
            self.keep_tombstones = props.get("drop.tombstones", "true").lower() != "true"
        else:
            mode = mode or "tombstone"
            if mode not in MODES:
                raise ValueError(
                    f"Invalid value {mode} for configuration delete.tombstone.handling.mode:"
                    f" must be one of {', '.join(MODES)}"
                )
            self.delete_action = "drop" if mode == "tombstone" else mode.split("-")[0]
            self.keep_tombstones = mode in ("tombstone", "rewrite-with-tombstone")
        self.prefix = props.get("add.fields.prefix", "__")
        self.fields = [f.strip() for f in props.get("add.fields", "").split(",") if f.strip()]
        self.headers = [f.strip() for f in props.get("add.headers", "").split(",") if f.strip()]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        envelope = record.value
        if envelope is None:
            return record if self.keep_tombstones else None
        if not isinstance(envelope, dict) or "op" not in envelope:
            return record  # not a change event: passed on as it is
        op = envelope.get("op")
        row_schema = _row_schema(record.value_schema)
        if op == "d":
            return self._delete(record, envelope, row_schema)
        if envelope.get("after") is None:
            return None
        return self._row(record, envelope, envelope["after"], row_schema, deleted=False)

    def _delete(
        self, record: ConnectRecord, envelope: dict[str, Any], schema: Schema | None
    ) -> ConnectRecord | None:
        if self.delete_action == "drop":
            return None
        if self.delete_action == "tombstone":
            return replace(record, value=None, value_schema=None)
        return self._row(record, envelope, envelope.get("before") or {}, schema, deleted=True)

    def _row(
        self,
        record: ConnectRecord,
        envelope: dict[str, Any],
        row: dict[str, Any],
        schema: Schema | None,
        deleted: bool,
    ) -> ConnectRecord:
        out = dict(row)
        extra: list[Field] = []
        for name in self.fields:
            value, field_schema = _envelope_field(envelope, record.value_schema, name)
            out[self.prefix + name.replace(".", "_")] = value
            extra.append(Field(self.prefix + name.replace(".", "_"), field_schema))
        if self.delete_action == "rewrite":
            out[self.prefix + "deleted"] = "true" if deleted else "false"
            extra.append(Field(self.prefix + "deleted", Schema("string", optional=True)))
        if schema is not None:
            schema = replace(schema, fields=schema.fields + tuple(extra))
        headers = list(record.headers)
        for name in self.headers:
            value, _ = _envelope_field(envelope, record.value_schema, name)
            encoded = None if value is None else json.dumps(value).encode()
            headers.append((self.prefix + name.replace(".", "_"), encoded))
        return replace(record, value=out, value_schema=schema, headers=headers)


def _row_schema(envelope: Schema | None) -> Schema | None:
    if envelope is None:
        return None
    after = envelope.field("after") or envelope.field("before")
    return after.schema if after is not None else None


def _envelope_field(
    envelope: dict[str, Any], schema: Schema | None, name: str
) -> tuple[Any, Schema]:
    """`op`, `ts_ms` (envelope) or `source.x` / `x` (source) with an optional schema."""
    path = name.split(".", 1)
    source = envelope.get("source") or {}
    value = envelope.get(path[0]) if len(path) == 1 and path[0] in envelope else None
    if len(path) == 2 or (value is None and path[-1] in source):
        value = source.get(path[-1])
    found = None
    if schema is not None:
        holder = schema if len(path) == 1 and schema.field(path[0]) else None
        if holder is None and schema.field("source") is not None:
            holder = schema.field("source").schema  # type: ignore[union-attr]
        found = holder.field(path[-1]) if holder is not None else None
    field_schema = found.schema if found else Schema("string")
    return value, field_schema.as_optional()
