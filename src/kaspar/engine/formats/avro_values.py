"""Python values between fastavro and Arrow, in Spark's shapes.

fastavro reads records as dicts, arrays as lists, maps as dicts and logical types as dates,
datetimes and Decimals: Arrow builds Spark's columns from those directly. Only unions of several
non-null types need a change: Spark reads them as ``struct<member0, ...>`` with the branch that
was written set (``shape_for_spark``). Writing, Arrow's maps (lists of pairs) become dicts and a
``member`` struct becomes the value of its set member (``shape_for_avro``). Each returns None
when no value needs a change, so the common schemas cost nothing.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from typing import Any

Shape = Callable[[Any], Any]

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "int": (int,),
    "long": (int,),
    "float": (float,),
    "double": (float,),
    "string": (str,),
    "bytes": (bytes,),
}


def _named(schema: Any, named: dict[str, Any]) -> Any:
    if isinstance(schema, str) and schema in named:
        return named[schema]
    if (
        isinstance(schema, dict)
        and "name" in schema
        and schema.get("type") in ("record", "enum", "fixed")
    ):
        named.setdefault(schema["name"], schema)
    return schema


def shape_for_spark(schema: Any, named: dict[str, Any] | None = None) -> Shape | None:
    """How a value fastavro read becomes Spark's value (None: unchanged)."""
    return _shape(schema, {} if named is None else named, for_spark=True)


def shape_for_avro(schema: Any, named: dict[str, Any] | None = None) -> Shape | None:
    """How a value Arrow gives (``to_pylist``) becomes one fastavro writes (None: unchanged)."""
    return _shape(schema, {} if named is None else named, for_spark=False)


def _shape(schema: Any, named: dict[str, Any], for_spark: bool) -> Shape | None:
    schema = _named(schema, named)
    if isinstance(schema, list):
        union = _union_for_spark if for_spark else _union_for_avro
        return union(schema, named)
    if not isinstance(schema, dict):
        return None
    kind = schema["type"]
    if kind == "record":
        shapes = {f["name"]: _shape(f["type"], named, for_spark) for f in schema["fields"]}
        changed = {name: s for name, s in shapes.items() if s is not None}
        if not changed:
            return None
        return lambda r: None if r is None else _shaped_record(r, changed)
    if kind == "array":
        item = _shape(schema["items"], named, for_spark)
        return None if item is None else (lambda v: None if v is None else [item(x) for x in v])
    if kind == "map":
        value = _shape(schema["values"], named, for_spark)
        if value is None and for_spark:
            return None
        each = value or (lambda x: x)  # Arrow's maps are lists of pairs: always a dict to write
        return lambda m: None if m is None else {k: each(x) for k, x in _pairs(m)}
    return None


def _shaped_record(record: dict[str, Any], shapes: dict[str, Shape]) -> dict[str, Any]:
    out = dict(record)
    for name, shape in shapes.items():
        out[name] = shape(out[name])
    return out


def _union_for_spark(branches: list[Any], named: dict[str, Any]) -> Shape | None:
    others = [_named(b, named) for b in branches if b != "null"]
    simple = sorted(map(str, others))
    if len(others) == 1:
        return _shape(others[0], named, for_spark=True)
    if simple in (["int", "long"], ["double", "float"]):
        return None
    shapes = [_shape(b, named, for_spark=True) for b in others]
    names = [f"member{i}" for i in range(len(others))]

    def as_members(value: Any) -> Any:
        if value is None:
            return None
        index = branch_of(value, others)
        out: dict[str, Any] = dict.fromkeys(names)
        shape = shapes[index]
        out[names[index]] = value if shape is None else shape(value)
        return out

    return as_members


def branch_of(value: Any, branches: list[Any]) -> int:
    """The union branch a value fastavro read was written with (by its Python type; among
    records, the one with the same field names)."""
    for i, branch in enumerate(branches):
        if _fits(value, branch):
            return i
    return 0


def _fits(value: Any, branch: Any) -> bool:
    if isinstance(branch, str):
        return isinstance(value, _PYTHON_TYPES.get(branch, ())) and not (
            branch in ("int", "long") and isinstance(value, bool)
        )
    kind, logical = branch.get("type"), branch.get("logicalType")
    if logical == "decimal":
        return isinstance(value, decimal.Decimal)
    if logical == "date":
        return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
    if logical in (
        "timestamp-millis",
        "timestamp-micros",
        "local-timestamp-millis",
        "local-timestamp-micros",
    ):
        return isinstance(value, datetime.datetime)
    if kind == "record":
        return isinstance(value, dict) and set(value) == {f["name"] for f in branch["fields"]}
    if kind == "enum":
        return isinstance(value, str) and value in branch["symbols"]
    if kind == "fixed":
        return isinstance(value, bytes) and len(value) == branch["size"]
    if kind == "array":
        return isinstance(value, list)
    if kind == "map":
        return isinstance(value, dict)
    return _fits(value, kind) if isinstance(kind, str) else False


def _pairs(value: Any) -> Any:
    return value.items() if isinstance(value, dict) else value


def _union_for_avro(branches: list[Any], named: dict[str, Any]) -> Shape | None:
    others = [_named(b, named) for b in branches if b != "null"]
    if len(others) == 1:
        return _shape(others[0], named, for_spark=False)
    if sorted(map(str, others)) in (["int", "long"], ["double", "float"]):
        return None
    shapes = [_shape(b, named, for_spark=False) for b in others]

    def from_members(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        for i in range(len(others)):
            member = value.get(f"member{i}")
            if member is not None:
                shape = shapes[i]
                return member if shape is None else shape(member)
        return None

    return from_members
