"""``DataFrame.show()`` text, byte for byte as Spark's ``Dataset.showString`` prints it."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from contextvars import ContextVar
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.compile.ansi_interval_text import interval_text
from kaspar.sql.row import Row

# The zone ``show`` prints timestamps in (None: as the rows hold them, in local time).
_SHOW_ZONE: ContextVar[dt.tzinfo | None] = ContextVar("show_zone", default=None)


def cell_string(value: Any, dtype: T.DataType | None = None) -> str:
    """Spark's cast-to-string of a value, as ``show`` prints it."""
    typed = _typed_string(value, dtype)
    if typed is not None:
        return typed
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_string(value, isinstance(dtype, T.FloatType))
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, dt.date | dt.time):
        zone = _SHOW_ZONE.get()
        if (
            zone is not None
            and isinstance(dtype, T.TimestampType)
            and isinstance(value, dt.datetime)
        ):
            value = value.astimezone(zone).replace(tzinfo=None)
        return _temporal_string(value)
    if isinstance(value, bytes | bytearray):
        return "[" + " ".join(f"{b:02X}" for b in value) + "]"
    if isinstance(value, Row):
        fields = dtype.fields if isinstance(dtype, T.StructType) else [None] * len(value)
        inner = [
            cell_string(v, f.dataType if f else None) for v, f in zip(value, fields, strict=False)
        ]
        return "{" + ", ".join(inner) + "}"
    if isinstance(value, dict):
        kt = dtype.keyType if isinstance(dtype, T.MapType) else None
        vt = dtype.valueType if isinstance(dtype, T.MapType) else None
        items = (f"{cell_string(k, kt)} -> {cell_string(v, vt)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        et = dtype.elementType if isinstance(dtype, T.ArrayType) else None
        return "[" + ", ".join(cell_string(v, et) for v in value) + "]"
    if isinstance(value, pa.MonthDayNano):
        return interval_string(value.months, value.days, value.nanoseconds // 1000)
    return str(value)


def _typed_string(value: Any, dtype: T.DataType | None) -> str | None:
    """NULL, and the values whose text depends on their type (ANSI intervals), else None."""
    if value is None:
        return "NULL"
    if isinstance(dtype, T.AnsiIntervalType):
        return ansi_interval_string(value, dtype)
    if isinstance(dtype, T.TimestampNanosType):
        return nanos_timestamp_string(value, isinstance(dtype, T.TimestampLTZNanosType))
    return None


def nanos_timestamp_string(value: Any, instant: bool) -> str:
    """Spark's text of a nanosecond timestamp (a pandas ``Timestamp``; an instant is shown in
    the session time zone): the fraction without trailing zeros."""
    if isinstance(value, dict):  # timestamp_ltz(9)'s carrier
        value = next(iter(value.values()))
    zone = _SHOW_ZONE.get()
    if instant and zone is not None:
        value = value.tz_localize("UTC").tz_convert(zone).tz_localize(None)
    nanos = value.microsecond * 1000 + getattr(value, "nanosecond", 0)
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{nanos:09d}".rstrip("0") if nanos else text


def ansi_interval_string(value: Any, dtype: T.AnsiIntervalType) -> str:
    """Spark's text of an ANSI interval (``INTERVAL '1 02:03:04.5' DAY TO SECOND``)."""
    if isinstance(value, dt.timedelta):
        value = value // dt.timedelta(microseconds=1)
    return interval_text(int(value), dtype)


def _temporal_string(value: dt.date | dt.time) -> str:
    if isinstance(value, dt.datetime):
        return _timestamp_string(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return time_string(value)


def time_string(value: dt.time) -> str:
    """Spark's text of a TIME: ``HH:mm:ss`` and the fraction without trailing zeros."""
    text = value.strftime("%H:%M:%S")
    return f"{text}.{value.microsecond:06d}".rstrip("0") if value.microsecond else text


def _java_div(a: int, b: int) -> tuple[int, int]:
    """Java's ``/`` and ``%`` on longs (truncated toward zero)."""
    q = abs(a) // b * (1 if a >= 0 else -1)
    return q, a - q * b


def interval_string(months: int, days: int, micros: int) -> str:
    """Spark's ``IntervalUtils.toMultiUnitsString``: ``1 years 2 days 3.5 seconds``."""
    if months == 0 and days == 0 and micros == 0:
        return "0 seconds"
    years, months = _java_div(months, 12)
    hours, rest = _java_div(micros, 3_600_000_000)
    minutes, rest = _java_div(rest, 60_000_000)
    units = [(years, "years"), (months, "months"), (days, "days"), (hours, "hours")]
    parts = [f"{v} {unit}" for v, unit in [*units, (minutes, "minutes")] if v != 0]
    if rest != 0:
        seconds = decimal.Decimal(rest).scaleb(-6).normalize()
        parts.append(f"{seconds:f} seconds")
    return " ".join(parts)


def _float_string(value: float, single: bool) -> str:
    """Java's ``Double.toString`` / ``Float.toString``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    text = str(np.float32(value)) if single else repr(value)
    magnitude = abs(value)
    if value == 0 or 1e-3 <= magnitude < 1e7:
        if "e" in text:
            text = format(decimal.Decimal(text), "f")
        return text if "." in text else text + ".0"
    mantissa, _, exponent = format(decimal.Decimal(text), "E").partition("E")
    mantissa = mantissa.rstrip("0")
    mantissa = mantissa + "0" if mantissa.endswith(".") else mantissa
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}E{int(exponent)}"


def _timestamp_string(value: dt.datetime) -> str:
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


_META_ESCAPES = str.maketrans(
    {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f", "\b": "\\b", "\v": "\\v", "\a": "\\a"}
)

# Spark's ``Utils.fullWidthRegex``: characters that take two columns in a terminal.
_FULL_WIDTH = re.compile(
    "[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f"
    "\uff00-\uff60\uffe0-\uffe6]"
)


def _java_length(text: str) -> int:
    """``String.length`` in Java: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _half_width(text: str) -> int:
    """Spark's ``Utils.stringHalfWidth``: the columns ``text`` takes in a terminal."""
    return _java_length(text) + len(_FULL_WIDTH.findall(text))


def _truncate(text: str, truncate: int) -> str:
    if truncate > 0 and _java_length(text) > truncate:
        return _java_prefix(text, truncate if truncate < 4 else truncate - 3) + (
            "" if truncate < 4 else "..."
        )
    return text


def _java_prefix(text: str, units: int) -> str:
    """``text.substring(0, units)`` counted in UTF-16 code units."""
    encoded = text.encode("utf-16-le", "surrogatepass")[: 2 * units]
    return encoded.decode("utf-16-le", "replace")


def _pad(text: str, width: int, left: bool) -> str:
    fill = " " * max(0, width - _half_width(text))
    return fill + text if left else text + fill


def show_string(
    rows: list[Row],
    schema: T.StructType,
    n: int,
    truncate: int,
    vertical: bool,
    *,
    time_zone: str | None = None,
) -> str:
    """The text ``show(n, truncate, vertical)`` prints (``rows`` may hold n + 1 rows).

    As Spark 4 prints it: headers in full, values with meta characters escaped (``\\n``) and
    cut at ``truncate`` UTF-16 units, columns as wide as their text in a terminal (CJK
    characters take two columns), timestamps in ``time_zone`` (the session's; rows hold
    them in the process's local time, as ``collect`` returns them).
    """
    token = _SHOW_ZONE.set(_zone(time_zone))
    try:
        return _show_string(rows, schema, n, truncate, vertical)
    finally:
        _SHOW_ZONE.reset(token)


def _zone(name: str | None) -> dt.tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        offset = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", name.strip())
        if offset is None:
            return None
        sign = -1 if offset[1] == "-" else 1
        minutes = int(offset[2]) * 60 + int(offset[3] or 0)
        return dt.timezone(sign * dt.timedelta(minutes=minutes))


def _show_string(
    rows: list[Row], schema: T.StructType, n: int, truncate: int, vertical: bool
) -> str:
    has_more = len(rows) > n
    data = rows[:n]
    types = [f.dataType for f in schema.fields]
    header = [name.translate(_META_ESCAPES) for name in schema.names]
    cells = [
        [
            _truncate(cell_string(v, t).translate(_META_ESCAPES), truncate)
            for v, t in zip(row, types, strict=True)
        ]
        for row in data
    ]
    out = _vertical(header, cells) if vertical else _horizontal(header, cells, truncate)
    if vertical and not cells:
        out += "(0 rows)\n"
    if has_more:
        out += f"only showing top {n} {'row' if n == 1 else 'rows'}"
    return out


def _horizontal(header: list[str], cells: list[list[str]], truncate: int) -> str:
    widths = [
        max(3, _half_width(h), *(_half_width(r[i]) for r in cells)) for i, h in enumerate(header)
    ]

    def line(values: list[str]) -> str:
        padded = [_pad(v, w, truncate > 0) for v, w in zip(values, widths, strict=True)]
        return "|" + "|".join(padded) + "|\n"

    sep = "+" + "+".join("-" * w for w in widths) + "+\n"
    return sep + line(header) + sep + "".join(line(r) for r in cells) + sep


def _vertical(header: list[str], cells: list[list[str]]) -> str:
    name_width = max([3, *(_half_width(h) for h in header)])
    data_width = max([3, *(_half_width(c) for r in cells for c in r)])
    parts = []
    for i, row in enumerate(cells):
        parts.append(f"-RECORD {i}".ljust(name_width + data_width + 5, "-") + "\n")
        for name, value in zip(header, row, strict=True):
            parts.append(f" {_pad(name, name_width, False)} | {_pad(value, data_width, False)} \n")
    return "".join(parts)
