"""PostgreSQL column types as Debezium maps them (its defaults: `decimal.handling.mode=precise`,
`time.precision.mode=adaptive`, `binary.handling.mode=bytes`), from the type's text output.

`column_type(pg_type, typmod, optional)` gives a column's Connect schema and the function that
turns PostgreSQL's text for a value into Debezium's value. The snapshot and the stream both read
text (`::text` in the snapshot, pgoutput's text tuples in the stream, on sessions with
TimeZone=UTC, DateStyle=ISO, IntervalStyle=iso_8601), so a row gives the same event either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from kaspar.connect.data import DECIMAL, Schema, struct

Parse = Callable[[str], Any]
EPOCH_DATE = date(1970, 1, 1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNAVAILABLE = "__debezium_unavailable_value"
"""What Debezium puts for an unchanged TOASTed value pgoutput does not send."""
DAY_US = 86_400_000_000
MONTH_DAYS = 365.25 / 12
INTERVAL = re.compile(
    r"P(?:(?P<y>-?\d+)Y)?(?:(?P<mo>-?\d+)M)?(?:(?P<w>-?\d+)W)?(?:(?P<d>-?\d+)D)?"
    r"(?:T(?:(?P<h>-?\d+)H)?(?:(?P<mi>-?\d+)M)?(?:(?P<s>-?[\d.]+)S)?)?"
)


@dataclass(frozen=True)
class PgType:
    """A row of pg_type, with an enum's labels."""

    oid: int
    name: str
    kind: str = "b"  # typtype: b base, e enum, d domain, ...
    element: int = 0  # typelem of an array type
    labels: tuple[str, ...] = ()


def _logical(kind: str, name: str, **parameters: str) -> Schema:
    return Schema(kind, name=name, version=1, parameters=parameters or None)


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return None if not value.is_finite() else value


def _variable_decimal(text: str) -> dict[str, Any] | None:
    value = _decimal(text)
    if value is None:
        return None
    sign, digits, exponent = value.as_tuple()
    unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    scale = -int(exponent)
    length = max(1, (unscaled.bit_length() + 8) // 8)
    return {"scale": scale, "value": unscaled.to_bytes(length, "big", signed=True)}


def _micros(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _timestamp_us(text: str) -> int | None:
    try:
        return _micros(datetime.fromisoformat(text).replace(tzinfo=UTC))
    except ValueError:
        return None  # infinity, BC dates


def _zoned(text: str) -> str | None:
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None
    return _iso_utc(moment.strftime("%Y-%m-%dT%H:%M:%S"), moment.microsecond)


def _iso_utc(base: str, micros: int) -> str:
    """Java's ISO_OFFSET_DATE_TIME in UTC: the fraction only as long as it needs, then `Z`."""
    fraction = f".{micros:06d}".rstrip("0") if micros else ""
    return f"{base}{fraction}Z"


def _time_us(text: str) -> int:
    hours, minutes, seconds = text[:8].split(":")
    fraction = text[9:15] if len(text) > 8 and text[8] == "." else ""
    micros = int(fraction.ljust(6, "0")) if fraction else 0
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1_000_000 + micros


def _zoned_time(text: str) -> str:
    split = max(text.rfind("+"), text.rfind("-"))
    local, offset = text[:split], text[split:]
    sign = -1 if offset[0] == "-" else 1
    parts = [int(p) for p in offset[1:].split(":")] + [0, 0]
    shift = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]) * 1_000_000
    micros = (_time_us(local) - shift) % DAY_US
    seconds, rest = divmod(micros, 1_000_000)
    base = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return _iso_utc(base, rest)


def _interval_us(text: str) -> int | None:
    match = INTERVAL.fullmatch(text)
    if match is None:
        return None
    g = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    days = (g["y"] * 12 + g["mo"]) * MONTH_DAYS + g["w"] * 7 + g["d"]
    seconds = g["h"] * 3600 + g["mi"] * 60 + g["s"]
    return round(days * DAY_US + seconds * 1_000_000)


def _bytea(text: str) -> bytes:
    return bytes.fromhex(text[2:]) if text.startswith("\\x") else text.encode()


def _money(text: str) -> Decimal | None:
    cleaned = re.sub(r"[^\d.\-]", "", text)
    negative = text.strip().startswith("(")  # some locales write ($1.00)
    value = _decimal(cleaned)
    return -value if negative and value is not None else value


def _bits(length: int) -> Parse:
    def parse(text: str) -> bytes:
        return int(text or "0", 2).to_bytes(max(1, (length + 7) // 8), "little")

    return parse


SIMPLE: dict[str, tuple[Schema, Parse]] = {
    "bool": (Schema("boolean"), lambda t: t in ("t", "true")),  # output function; ::text cast
    "int2": (Schema("int16"), int),
    "int4": (Schema("int32"), int),
    "int8": (Schema("int64"), int),
    "oid": (Schema("int64"), int),
    "float4": (Schema("float32"), float),
    "float8": (Schema("float64"), float),
    "uuid": (_logical("string", "io.debezium.data.Uuid"), str),
    "json": (_logical("string", "io.debezium.data.Json"), str),
    "jsonb": (_logical("string", "io.debezium.data.Json"), str),
    "xml": (_logical("string", "io.debezium.data.Xml"), str),
    "date": (
        _logical("int32", "io.debezium.time.Date"),
        lambda t: (date.fromisoformat(t) - EPOCH_DATE).days,
    ),
    "timestamptz": (_logical("string", "io.debezium.time.ZonedTimestamp"), _zoned),
    "timetz": (_logical("string", "io.debezium.time.ZonedTime"), _zoned_time),
    "interval": (_logical("int64", "io.debezium.time.MicroDuration"), _interval_us),
    "bytea": (Schema("bytes"), _bytea),
    "money": (_logical("bytes", DECIMAL, scale="2"), _money),
}


def _precision(typmod: int) -> int:
    return typmod if typmod >= 0 else 6


def _numeric(typmod: int) -> tuple[Schema, Parse]:
    if typmod < 4:
        schema = struct(
            "io.debezium.data.VariableScaleDecimal",
            {"scale": Schema("int32"), "value": Schema("bytes")},
        )
        return replace(schema, version=1, doc="Variable scaled decimal"), _variable_decimal
    precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
    schema = _logical(
        "bytes", DECIMAL, scale=str(scale), **{"connect.decimal.precision": str(precision)}
    )
    return schema, _decimal


def _temporal(name: str, typmod: int) -> tuple[Schema, Parse] | None:
    millis = _precision(typmod) <= 3
    if name == "time":
        if millis:
            return _logical("int32", "io.debezium.time.Time"), lambda t: _time_us(t) // 1000
        return _logical("int64", "io.debezium.time.MicroTime"), _time_us
    if name == "timestamp":
        if millis:
            return _logical("int64", "io.debezium.time.Timestamp"), lambda t: _ms(_timestamp_us(t))
        return _logical("int64", "io.debezium.time.MicroTimestamp"), _timestamp_us
    return None


def _ms(micros: int | None) -> int | None:
    return None if micros is None else micros // 1000


def scalar_type(pg_type: PgType, typmod: int) -> tuple[Schema, Parse]:
    """Schema and parser of a non-array type."""
    if pg_type.kind == "e":
        enum = _logical("string", "io.debezium.data.Enum", allowed=",".join(pg_type.labels))
        return enum, str
    if pg_type.name == "numeric":
        return _numeric(typmod)
    if pg_type.name in ("bit", "varbit"):
        length = typmod if typmod > 0 else 1
        if pg_type.name == "bit" and length == 1:
            return Schema("boolean"), lambda t: t == "1"
        return _logical("bytes", "io.debezium.data.Bits", length=str(length)), _bits(length)
    return SIMPLE.get(pg_type.name) or _temporal(pg_type.name, typmod) or (Schema("string"), str)


def parse_array(text: str, element: Parse) -> list[Any]:
    """PostgreSQL's array literal (`{1,2,NULL}`, `{"a b","c"}`, nested braces) as a list."""
    items, _ = _array_items(text, 1, element)
    return items


def _array_items(text: str, pos: int, element: Parse) -> tuple[list[Any], int]:
    items: list[Any] = []
    while pos < len(text):
        char = text[pos]
        if char == "}":
            return items, pos + 1
        if char == ",":
            pos += 1
        elif char == "{":
            nested, pos = _array_items(text, pos + 1, element)
            items.append(nested)
        elif char == '"':
            value, pos = _quoted(text, pos + 1)
            items.append(element(value))
        else:
            end = min(i for i in (text.find(",", pos), text.find("}", pos), len(text)) if i >= 0)
            raw = text[pos:end]
            items.append(None if raw == "NULL" else element(raw))
            pos = end
    return items, pos


def _quoted(text: str, pos: int) -> tuple[str, int]:
    out = []
    while text[pos] != '"':
        if text[pos] == "\\":
            pos += 1
        out.append(text[pos])
        pos += 1
    return "".join(out), pos + 1


def column_type(
    pg_type: PgType, typmod: int, optional: bool, element: PgType | None = None
) -> tuple[Schema, Parse]:
    """A column's Connect schema and text parser (`element`: an array's element type)."""
    if element is not None:
        item_schema, item_parse = scalar_type(element, typmod)
        schema = Schema("array", value_schema=item_schema.as_optional())
        parse: Parse = lambda text: parse_array(text, item_parse)  # noqa: E731
    else:
        schema, parse = scalar_type(pg_type, typmod)
    return replace(schema, optional=optional), parse
