"""`TimestampConverter`: a timestamp field (or the whole key/value) converted between unix
numbers, formatted strings and Connect's `Timestamp` / `Date` / `Time` logical types.

Connect's logical types are carried as numbers (milliseconds since the epoch, days since the
epoch, milliseconds of the day), as JsonConverter writes them. `format` takes Java's
SimpleDateFormat letters (yyyy, MM, dd, HH, mm, ss, SSS, X/Z and quoted literals).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from kaspar.connect.data import DATE, TIME, TIMESTAMP, ConnectRecord, DataError, Schema
from kaspar.connect.transforms.base import RecordPart, require_map

PACKAGE = "org.apache.kafka.connect.transforms."
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PRECISION = {"seconds": 1, "milliseconds": 1_000, "microseconds": 1_000_000, "nanoseconds": 10**9}
JAVA_LETTERS = {
    "yyyy": "%Y",
    "yy": "%y",
    "MM": "%m",
    "dd": "%d",
    "HH": "%H",
    "mm": "%M",
    "ss": "%S",
    "SSS": "%f",
    "XXX": "%z",
    "Z": "%z",
    "X": "%z",
}
JAVA_TOKEN = re.compile(r"'([^']*)'|yyyy|yy|MM|dd|HH|mm|ss|SSS|XXX|Z|X")
TARGET_SCHEMAS = {
    "string": Schema("string"),
    "unix": Schema("int64"),
    "Timestamp": Schema("int64", name=TIMESTAMP, version=1),
    "Date": Schema("int32", name=DATE, version=1),
    "Time": Schema("int32", name=TIME, version=1),
}


def strftime_pattern(java: str) -> str:
    def token(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1).replace("%", "%%")
        return JAVA_LETTERS[match.group(0)]

    return JAVA_TOKEN.sub(token, java)


class TimestampConverter(RecordPart):
    names: ClassVar[tuple[str, ...]] = (
        PACKAGE + "TimestampConverter$Value",
        "TimestampConverter$Value",
    )

    def configure(self, props: Mapping[str, str]) -> None:
        self.field = props.get("field", "")
        self.target = props.get("target.type", "")
        if self.target not in TARGET_SCHEMAS:
            raise DataError(
                f"Invalid value {self.target} for configuration target.type:"
                f" must be one of {', '.join(TARGET_SCHEMAS)}"
            )
        self.format = strftime_pattern(props.get("format", ""))
        if self.target == "string" and not self.format:
            raise DataError(
                "TimestampConverter requires format option to be specified"
                " when using string timestamps"
            )
        self.precision = PRECISION[props.get("unix.precision", "milliseconds")]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        value, schema = self.value_of(record), self.schema_of(record)
        if not self.field:
            converted = None if value is None else self._convert(value, schema)
            return self.with_part(record, TARGET_SCHEMAS[self.target], converted)
        if value is None:
            return record
        out = dict(require_map(value, "timestamp conversion"))
        field_schema = None
        if schema is not None:
            found = schema.field(self.field)
            field_schema = found.schema if found else None
            target = TARGET_SCHEMAS[self.target]
            if field_schema is not None:
                target = replace(target, optional=field_schema.optional)
            fields = tuple(
                replace(f, schema=target) if f.name == self.field else f for f in schema.fields
            )
            schema = replace(schema, fields=fields)
        if out.get(self.field) is not None:
            out[self.field] = self._convert(out[self.field], field_schema)
        return self.with_part(record, schema, out)

    def _instant(self, value: Any, schema: Schema | None) -> datetime:
        name = schema.name if schema is not None else None
        if isinstance(value, str):
            parsed = datetime.strptime(value, self.format)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if not isinstance(value, int):
            raise DataError(f"TimestampConverter cannot convert {type(value).__name__}")
        if name == DATE:
            return EPOCH + timedelta(days=value)
        if name in (TIMESTAMP, TIME):
            return EPOCH + timedelta(milliseconds=value)
        return EPOCH + timedelta(microseconds=value * 1_000_000 // self.precision)

    def _convert(self, value: Any, schema: Schema | None) -> Any:
        instant = self._instant(value, schema)
        micros = (instant - EPOCH) // timedelta(microseconds=1)
        if self.target == "string":
            # Java's SSS is milliseconds, strftime's %f microseconds
            return instant.strftime(self.format.replace("%f", f"{instant.microsecond // 1000:03d}"))
        if self.target == "unix":
            return micros * self.precision // 1_000_000
        if self.target == "Timestamp":
            return micros // 1000
        if self.target == "Date":
            return micros // 86_400_000_000
        return (micros % 86_400_000_000) // 1000


class TimestampConverterKey(TimestampConverter):
    part = "key"
    names = (PACKAGE + "TimestampConverter$Key", "TimestampConverter$Key")
