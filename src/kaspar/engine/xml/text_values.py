"""XML text as Spark's values and types: one value's conversion to a field's type, the type
schema inference gives a value, and dates and times written as Spark writes them.

Spark's rules (its XML parser and ``XmlInferSchema``):

* integers (an optional sign and digits) that fit a long are ``bigint``, larger ones and other
  decimal numbers (``1.5``, ``1e3``) ``double``; ``NaN`` and ``Infinity`` are strings when
  inferred, numbers when the schema says double;
* ``true`` / ``false`` in any case are booleans;
* ``yyyy-MM-dd`` is a date; a time as Spark's string cast reads it (``2024-01-02T10:11``,
  ``2024-01-02 10:11:12.5+01:00``, ``2024-1-2``) a timestamp, in the session's time zone when
  it names none; ``dateFormat`` / ``timestampFormat`` (Java patterns) replace these forms;
* anything else is a string.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any
from zoneinfo import ZoneInfo

from kaspar.engine import types as T

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_SPECIAL = {"nan": float("nan"), "infinity": float("inf"), "+infinity": float("inf")}
_SPECIAL["-infinity"] = float("-inf")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE = re.compile(r"([+-]?\d{4,})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?")
_TIMESTAMP = re.compile(
    r"([+-]?\d{4,})(?:-(\d{1,2})(?:-(\d{1,2}))?)?"
    r"(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{1,2}(?::?\d{2})?|UTC|GMT|[A-Za-z]+/[A-Za-z_/]+)?"
)
_PATTERN_TOKEN = re.compile(r"'[^']*'|y+|M+|d+|H+|h+|m+|s+|S+|X+|Z+|x+|a|.")
_STRPTIME = {"y": "%Y", "M": "%m", "d": "%d", "H": "%H", "h": "%I", "m": "%M", "s": "%S"}
_RANGES: dict[type, int] = {T.ByteType: 8, T.ShortType: 16, T.IntegerType: 32, T.LongType: 64}


class BadValue(ValueError):
    """A value does not fit its field's type (the record is malformed)."""


def _strptime_pattern(pattern: str) -> str:
    """A Java date-time pattern as a ``strptime`` pattern."""
    out = []
    for token in _PATTERN_TOKEN.findall(pattern):
        head = token[0]
        if token.startswith("'"):
            out.append(token[1:-1].replace("%", "%%") or "'")
        elif head == "y" and len(token) == 2:
            out.append("%y")
        elif head in _STRPTIME:
            out.append(_STRPTIME[head])
        elif head == "S":
            out.append("%f")
        elif head in "XZx":
            out.append("%z")
        elif head == "a":
            out.append("%p")
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)


def _zone(name: str | None, default: dt.tzinfo) -> dt.tzinfo:
    if not name:
        return default
    if name in ("Z", "UTC", "GMT"):
        return dt.UTC
    if name[0] in "+-":
        digits = name[1:].replace(":", "")
        hours = int(digits[:-2]) if len(digits) > 2 else int(digits)
        minutes = int(digits[-2:]) if len(digits) > 2 else 0
        offset = dt.timedelta(hours=hours, minutes=minutes)
        return dt.timezone(-offset if name[0] == "-" else offset)
    return ZoneInfo(name)


def parse_timestamp(text: str, zone: dt.tzinfo, pattern: str | None = None) -> dt.datetime | None:
    """The instant ``text`` names (aware), or None; a time without a zone is in ``zone``."""
    if pattern is not None:
        try:
            parsed = dt.datetime.strptime(text, _strptime_pattern(pattern))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    found = _TIMESTAMP.fullmatch(text)
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, name = found.groups()
    try:
        micros = int((fraction or "0")[:6].ljust(6, "0"))
        value = dt.datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0), micros,
        )  # fmt: skip
        return value.replace(tzinfo=_zone(name, zone))
    except (ValueError, KeyError):
        return None


def parse_date(text: str, pattern: str | None = None) -> dt.date | None:
    """The date ``text`` names, or None."""
    if pattern is not None:
        try:
            return dt.datetime.strptime(text, _strptime_pattern(pattern)).date()
        except ValueError:
            return None
    found = _DATE.fullmatch(text)
    if found is None:
        return None
    year, month, day = found.groups()
    try:
        return dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None


def _number(text: str, dtype: T.DataType) -> Any:
    if isinstance(dtype, T.DoubleType | T.FloatType):
        if _NUMBER.fullmatch(text):
            return float(text)
        if text.lower() in _SPECIAL:
            return _SPECIAL[text.lower()]
        raise BadValue(text)
    if isinstance(dtype, T.DecimalType):
        try:
            value = decimal.Decimal(text)
        except decimal.InvalidOperation:
            raise BadValue(text) from None
        digits = value.quantize(decimal.Decimal(1).scaleb(-dtype.scale)).as_tuple().digits
        if not value.is_finite() or len(digits) > dtype.precision:
            raise BadValue(text)
        return value
    if not _INTEGER.fullmatch(text):
        raise BadValue(text)
    bits = _RANGES.get(type(dtype), 64)
    number = int(text)
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise BadValue(text)
    return number


def convert(text: str, dtype: T.DataType, zone: dt.tzinfo, formats: tuple[Any, Any]) -> Any:
    """``text`` as a value of the scalar type ``dtype``; ``BadValue`` when it does not fit.
    ``formats`` is ``(dateFormat, timestampFormat)``, None for Spark's default forms."""
    if isinstance(dtype, T.StringType):
        return text
    if isinstance(dtype, T.NumericType):
        return _number(text, dtype)
    if isinstance(dtype, T.BooleanType):
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise BadValue(text)
        return lowered == "true"
    if isinstance(dtype, T.DateType):
        date = parse_date(text, formats[0])
        if date is None:
            raise BadValue(text)
        return date
    if isinstance(dtype, T.TimestampType | T.TimestampNTZType):
        stamp = parse_timestamp(text, zone, formats[1])
        if stamp is None:
            raise BadValue(text)
        if isinstance(dtype, T.TimestampNTZType):
            return stamp.replace(tzinfo=None)
        return stamp
    if isinstance(dtype, T.BinaryType):
        return text.encode()
    raise BadValue(text)


def infer(text: str, zone: dt.tzinfo, timestamp_format: str | None) -> str:
    """The kind of type Spark's inference gives the value ``text``: ``null`` (empty text),
    ``long``, ``double``, ``boolean``, ``date``, ``timestamp`` or ``string``."""
    if not text:
        return "null"
    if not (text[0].isdigit() or text[0] in "+-."):  # no number, date or time
        return "boolean" if text.lower() in ("true", "false") else "string"
    if _INTEGER.fullmatch(text):
        return "long" if -(2**63) <= int(text) < 2**63 else "double"
    if _NUMBER.fullmatch(text):
        return "double"
    if text.lower() in ("true", "false"):
        return "boolean"
    if _ISO_DATE.fullmatch(text) and parse_date(text) is not None:
        return "date"
    if parse_timestamp(text, zone, timestamp_format) is not None:
        return "timestamp"
    return "string"


def _fraction(value: dt.datetime | dt.time, width: int) -> str:
    return f"{value.microsecond:06d}"[:width].ljust(width, "0")


def _offset(value: dt.datetime) -> str:
    delta = value.utcoffset() or dt.timedelta(0)
    if not delta:
        return "Z"
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def format_temporal(value: dt.date, pattern: str) -> str:
    """``value`` written with a Java date-time pattern (the tokens dates and times use)."""
    out = []
    for token in _PATTERN_TOKEN.findall(pattern):
        head = token[0]
        if token.startswith("'"):
            out.append(token[1:-1] or "'")
        elif head == "y":
            out.append(f"{value.year % 100:02d}" if len(token) == 2 else f"{value.year:04d}")
        elif head == "M":
            out.append(f"{value.month:0{len(token)}d}")
        elif head == "d":
            out.append(f"{value.day:0{len(token)}d}")
        elif isinstance(value, dt.datetime) and head in "HhmsSXZx":
            out.append(_time_token(value, token))
        else:
            out.append(token)
    return "".join(out)


def _time_token(value: dt.datetime, token: str) -> str:
    head, width = token[0], len(token)
    if head == "H":
        return f"{value.hour:0{width}d}"
    if head == "h":
        return f"{(value.hour % 12) or 12:0{width}d}"
    if head == "m":
        return f"{value.minute:0{width}d}"
    if head == "s":
        return f"{value.second:0{width}d}"
    if head == "S":
        return _fraction(value, width)
    return _offset(value)
