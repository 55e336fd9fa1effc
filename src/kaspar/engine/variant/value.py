"""``VariantVal``: a collected variant, as PySpark's ``pyspark.sql.types.VariantVal``.

It holds the variant's binary encoding (``value`` and ``metadata``, the Parquet variant
encoding that Spark and DuckDB share) and reads it on demand: ``toPython()`` gives dicts,
lists, ints, ``Decimal``s, floats, strings, booleans and ``None``; ``toJson()`` Spark's JSON
text (fields by name, decimals without trailing zeros, Java's double notation). Values reach
Python one at a time only when collected, so this reader is plain Python.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import struct
from typing import Any

from kaspar.errors import PySparkValueError

_PRIMITIVE_INT = {3: 1, 4: 2, 5: 4, 6: 8}
_DECIMAL = {8: 4, 9: 8, 10: 16}
_EPOCH = dt.datetime(1970, 1, 1)


def _le(data: bytes, at: int, size: int, signed: bool = False) -> int:
    return int.from_bytes(data[at : at + size], "little", signed=signed)


class _Reader:
    def __init__(self, metadata: bytes) -> None:
        header = metadata[0]
        if header & 0x0F != 1:
            raise PySparkValueError("MALFORMED_VARIANT", "MALFORMED_VARIANT")
        size = (header >> 6) + 1
        count = _le(metadata, 1, size)
        start = 1 + size * (count + 2)
        offsets = [_le(metadata, 1 + size * (i + 1), size) for i in range(count + 1)]
        self.keys = [
            metadata[start + offsets[i] : start + offsets[i + 1]].decode() for i in range(count)
        ]

    def read(self, data: bytes, at: int) -> Any:
        header = data[at]
        basic, info = header & 3, header >> 2
        if basic == 1:
            return data[at + 1 : at + 1 + info].decode()
        if basic == 2:
            return self._object(data, at, info)
        if basic == 3:
            return self._array(data, at, info)
        return self._primitive(data, at + 1, info)

    def _object(self, data: bytes, at: int, info: int) -> dict[str, Any]:
        off_size, id_size, large = (info & 3) + 1, ((info >> 2) & 3) + 1, info >> 4 & 1
        count_size = 4 if large else 1
        count = _le(data, at + 1, count_size)
        ids_at = at + 1 + count_size
        offs_at = ids_at + count * id_size
        values_at = offs_at + (count + 1) * off_size
        return {
            self.keys[_le(data, ids_at + i * id_size, id_size)]: self.read(
                data, values_at + _le(data, offs_at + i * off_size, off_size)
            )
            for i in range(count)
        }

    def _array(self, data: bytes, at: int, info: int) -> list[Any]:
        off_size, large = (info & 3) + 1, info >> 2 & 1
        count_size = 4 if large else 1
        count = _le(data, at + 1, count_size)
        offs_at = at + 1 + count_size
        values_at = offs_at + (count + 1) * off_size
        return [
            self.read(data, values_at + _le(data, offs_at + i * off_size, off_size))
            for i in range(count)
        ]

    def _primitive(self, data: bytes, at: int, kind: int) -> Any:
        if kind in _PRIMITIVE_INT:
            return _le(data, at, _PRIMITIVE_INT[kind], signed=True)
        if kind in _DECIMAL:
            unscaled = _le(data, at + 1, _DECIMAL[kind], signed=True)
            return decimal.Decimal(unscaled).scaleb(-data[at])
        simple: dict[int, Any] = {0: None, 1: True, 2: False}
        if kind in simple:
            return simple[kind]
        if kind == 7:
            return struct.unpack_from("<d", data, at)[0]
        if kind == 14:
            return struct.unpack_from("<f", data, at)[0]
        if kind == 11:
            return dt.date(1970, 1, 1) + dt.timedelta(days=_le(data, at, 4, signed=True))
        if kind in (12, 13):
            stamp = _EPOCH + dt.timedelta(microseconds=_le(data, at, 8, signed=True))
            return stamp.replace(tzinfo=dt.UTC) if kind == 12 else stamp
        if kind in (15, 16):
            size = _le(data, at, 4)
            raw = data[at + 4 : at + 4 + size]
            return bytes(raw) if kind == 15 else raw.decode()
        raise PySparkValueError(
            f"[MALFORMED_VARIANT] unknown variant type {kind}", "MALFORMED_VARIANT"
        )


def java_double(value: float) -> str:
    """Java's ``Double.toString``: ``1.0E7``, ``1.0E-4``, ``1000.0``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    power = int(exponent) + len(text) - 1
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


def _pyspark_json(value: Any) -> str:
    """PySpark's ``VariantVal.toJson`` text: numbers as Python prints them, ASCII escapes."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_pyspark_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_pyspark_json(v) for v in value) + "]"
    if value is None or isinstance(value, bool):
        return _json(value)
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def _json(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_json(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(_json(v) for v in value) + "]"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, decimal.Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, dt.datetime | dt.date):
        return json.dumps(value.isoformat())
    if isinstance(value, bytes):
        import base64

        return json.dumps(base64.b64encode(value).decode())
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class VariantVal:
    """A variant value in Python: its ``value`` and ``metadata`` bytes (Spark's encoding)."""

    def __init__(self, value: bytes, metadata: bytes) -> None:
        self.value = value
        self.metadata = metadata

    def __str__(self) -> str:
        """Spark's JSON text (what ``show`` prints: Java's double notation)."""
        return _json(self.toPython())

    def __repr__(self) -> str:
        return f"VariantVal({self.value!r}, {self.metadata!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VariantVal) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def toPython(self) -> Any:
        """The value as Python data (dict, list, int, Decimal, float, str, bool, None)."""
        return _Reader(bytes(self.metadata)).read(bytes(self.value), 0)

    def toJson(self, zone_id: str = "UTC") -> str:
        """The JSON text PySpark's ``toJson`` writes (numbers as Python prints them)."""
        del zone_id  # kaspar's variants hold no timestamps (parse_json makes none)
        return _pyspark_json(self.toPython())

    @classmethod
    def parseJson(cls, json_str: str) -> VariantVal:
        """The variant of a JSON text (as ``parse_json``)."""
        import pyarrow as pa

        from kaspar.engine.variant.encoding import parse_json

        encoded = parse_json(pa.array([json_str], pa.string()))[0].as_py()
        return from_bytes(encoded)


def from_bytes(encoded: bytes) -> VariantVal:
    """A ``VariantVal`` from metadata followed by value (``parse_json``'s encoding)."""
    header = encoded[0]
    size = (header >> 6) + 1
    count = _le(encoded, 1, size)
    end_of_offsets = 1 + size * (count + 2)
    dictionary = _le(encoded, 1 + size * (count + 1), size)
    split = end_of_offsets + dictionary
    return VariantVal(encoded[split:], encoded[:split])
