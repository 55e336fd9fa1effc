"""Avro binary values of a whole binary column decoded in C into Arrow buffers, for the reader
schemas that need no Python per value.

:func:`compile_program` turns a parsed reader schema into a *program*: its nodes in preorder,
each ``(kind, null_index, arg, arg2, children, symbols)``. It returns None for what the C
decoder does not cover (unions other than null + one type, ``[int, long]`` and ``[float,
double]``; decimals past 38 digits; logical types on other base types than the spec's), and
the caller keeps fastavro's path.
:func:`decode_column` runs the program over one column and assembles the buffers into the
Arrow type ``from_avro`` gives (``pa.Array.from_buffers``, no copy). It returns None when a
value is malformed or when the extension is not built: the caller then decodes the batch with
fastavro, so malformed values get exactly its mode semantics; and a schema id (an int) when a
framed value names an id not in ``ids``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import pyarrow as pa

__all__ = ["ACCELERATED", "Kind", "Program", "compile_program", "decode_column"]

try:
    from kaspar.engine.formats import _avro_columns
except ImportError:  # the optional extension was not built
    ACCELERATED = False
else:
    ACCELERATED = True


class Kind(IntEnum):
    """A program node's kind (the C decoder's enum, in the same order)."""

    NULL = 0
    BOOLEAN = 1
    INT = 2
    LONG = 3
    FLOAT = 4
    DOUBLE = 5
    BYTES = 6
    STRING = 7
    ENUM = 8
    FIXED = 9
    DATE = 10
    TIMESTAMP_MILLIS = 11
    TIMESTAMP_MICROS = 12
    DECIMAL_BYTES = 13
    DECIMAL_FIXED = 14
    RECORD = 15
    ARRAY = 16
    MAP = 17
    LONG_UNION = 18
    DOUBLE_UNION = 19


Node = tuple[int, int, int, int, int, tuple[bytes, ...] | None]
Program = list[Node]

_PRIMITIVES = {
    "null": Kind.NULL,
    "boolean": Kind.BOOLEAN,
    "int": Kind.INT,
    "long": Kind.LONG,
    "float": Kind.FLOAT,
    "double": Kind.DOUBLE,
    "bytes": Kind.BYTES,
    "string": Kind.STRING,
}
# (base type, logicalType) -> kind: the logical types fastavro converts and Spark types
_LOGICAL = {
    ("int", "date"): Kind.DATE,
    ("long", "timestamp-millis"): Kind.TIMESTAMP_MILLIS,
    ("long", "local-timestamp-millis"): Kind.TIMESTAMP_MILLIS,
    ("long", "timestamp-micros"): Kind.TIMESTAMP_MICROS,
    ("long", "local-timestamp-micros"): Kind.TIMESTAMP_MICROS,
}
_MAX_PRECISION = 38  # decimal128
# [int, long] and [float, double] (Spark's long and double, nullable with null): the kind and
# each branch's code (the C decoder's B_* enum)
_NUMBER_UNIONS = {
    ("int", "long"): (Kind.LONG_UNION, {"null": 0, "int": 1, "long": 2}),
    ("double", "float"): (Kind.DOUBLE_UNION, {"null": 0, "float": 3, "double": 4}),
}


class _Unsupported(Exception):
    """A schema the C decoder does not cover."""


def compile_program(schema: Any) -> Program | None:
    """The program of the fastavro-parsed reader ``schema``, or None (not covered)."""
    program: Program = []
    try:
        _compile(schema, -1, {}, program)
    except (_Unsupported, KeyError, TypeError, ValueError):
        return None
    return program


def _compile(schema: Any, null_index: int, named: dict[str, Any], out: Program) -> None:
    if isinstance(schema, list):
        _compile_union(schema, null_index, named, out)
    elif isinstance(schema, str):
        if schema in _PRIMITIVES:
            out.append((_PRIMITIVES[schema], null_index, 0, 0, 0, None))
        elif schema in named:
            _compile(named[schema], null_index, named, out)
        else:
            raise _Unsupported(schema)
    elif isinstance(schema, dict):
        _compile_complex(schema, null_index, named, out)
    else:
        raise _Unsupported(schema)


def _compile_union(
    branches: list[Any], null_index: int, named: dict[str, Any], out: Program
) -> None:
    if null_index != -1:
        raise _Unsupported("a union in a union")
    others = [b for b in branches if b != "null"]
    if len(others) == 1 and len(branches) == 2:
        if isinstance(others[0], list):
            raise _Unsupported("a union in a union")
        _compile(others[0], branches.index("null"), named, out)
        return
    names = tuple(sorted(map(str, others)))
    if names not in _NUMBER_UNIONS or len(set(map(str, branches))) != len(branches):
        raise _Unsupported("a union other than null and one type, [int, long], [float, double]")
    kind, codes = _NUMBER_UNIONS[names]
    packed = sum(codes[str(b)] << (4 * i) for i, b in enumerate(branches))
    out.append((kind, -1, len(branches), packed, 0, None))


def _compile_complex(
    schema: dict[str, Any], null_index: int, named: dict[str, Any], out: Program
) -> None:
    kind, logical = schema["type"], schema.get("logicalType")
    if kind in ("record", "enum", "fixed"):
        named.setdefault(schema["name"], schema)
    if logical == "decimal":
        _compile_decimal(schema, null_index, out)
    elif (str(kind), str(logical)) in _LOGICAL:
        out.append((_LOGICAL[str(kind), str(logical)], null_index, 0, 0, 0, None))
    elif logical in ("date", "timestamp-millis", "timestamp-micros") or (
        isinstance(logical, str) and logical.startswith("local-timestamp")
    ):
        raise _Unsupported(f"{logical} on {kind}")
    elif kind == "record":
        fields = schema["fields"]
        out.append((Kind.RECORD, null_index, 0, 0, len(fields), None))
        for field in fields:
            _compile(field["type"], -1, named, out)
    elif kind == "enum":
        symbols = tuple(s.encode() for s in schema["symbols"])
        out.append((Kind.ENUM, null_index, 0, 0, 0, symbols))
    elif kind == "fixed":
        out.append((Kind.FIXED, null_index, int(schema["size"]), 0, 0, None))
    elif kind in ("array", "map"):
        child = schema["items" if kind == "array" else "values"]
        out.append((Kind.ARRAY if kind == "array" else Kind.MAP, null_index, 0, 0, 1, None))
        _compile(child, -1, named, out)
    elif isinstance(kind, str) and kind in _PRIMITIVES:
        _compile(kind, null_index, named, out)
    else:
        raise _Unsupported(kind)


def _compile_decimal(schema: dict[str, Any], null_index: int, out: Program) -> None:
    precision, scale = int(schema["precision"]), int(schema.get("scale", 0))
    if not 0 < precision <= _MAX_PRECISION or not 0 <= scale <= precision:
        raise _Unsupported("decimal precision")
    if schema["type"] == "bytes":
        out.append((Kind.DECIMAL_BYTES, null_index, precision, 0, 0, None))
    elif schema["type"] == "fixed":
        out.append((Kind.DECIMAL_FIXED, null_index, int(schema["size"]), precision, 0, None))
    else:
        raise _Unsupported("decimal on " + str(schema["type"]))


def decode_column(
    program: Program,
    arrow_type: pa.DataType,
    column: pa.Array | pa.ChunkedArray,
    framed: bool,
    ids: tuple[int, ...],
) -> pa.Array | int | None:
    """``column``'s values decoded (an Arrow array of ``arrow_type``), or None (fall back), or
    the schema id of a framed value whose id is not in ``ids``."""
    if not ACCELERATED:
        return None
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.binary())
    if not (pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)):
        return None
    validity, offsets, data = column.buffers()
    width = 8 if pa.types.is_large_binary(column.type) else 4
    result = _avro_columns.decode(
        program,
        b"" if data is None else data,
        offsets,
        width,
        validity if column.null_count else None,
        column.offset,
        len(column),
        framed,
        ids,
    )
    if result is None or isinstance(result, int):
        return result
    array, _ = _assemble(arrow_type, result, 0)
    return array


Parts = tuple[int, int, bytes | None, bytes | None, bytes | None, bytes | None, Any, Any]


def _assemble(arrow_type: pa.DataType, parts: list[Parts], index: int) -> tuple[pa.Array, int]:
    """The array of node ``index`` (and its subtree), and the index after the subtree."""
    length, nulls, validity, values, offsets, data, key_offsets, key_data = parts[index]
    valid = pa.py_buffer(validity) if nulls and validity is not None else None
    count = nulls if valid is not None else 0
    if pa.types.is_null(arrow_type):
        return pa.nulls(length), index + 1
    if pa.types.is_struct(arrow_type):
        children, at = [], index + 1
        for field in arrow_type:
            child, at = _assemble(field.type, parts, at)
            children.append(child)
        return _from_buffers(arrow_type, length, [valid], count, children), at
    if pa.types.is_map(arrow_type):
        items, at = _assemble(arrow_type.item_type, parts, index + 1)
        keys = _from_buffers(
            pa.string(), len(items), [None, _buffer(key_offsets), _buffer(key_data)]
        )
        entries = pa.StructArray.from_arrays(
            [keys, items], fields=[arrow_type.key_field, arrow_type.item_field]
        )
        return _from_buffers(arrow_type, length, [valid, _buffer(offsets)], count, [entries]), at
    if pa.types.is_list(arrow_type):
        items, at = _assemble(arrow_type.value_type, parts, index + 1)
        return _from_buffers(arrow_type, length, [valid, _buffer(offsets)], count, [items]), at
    if pa.types.is_string(arrow_type) or pa.types.is_binary(arrow_type):
        buffers = [valid, _buffer(offsets), _buffer(data)]
        return _from_buffers(arrow_type, length, buffers, count), index + 1
    return _from_buffers(arrow_type, length, [valid, _buffer(values)], count), index + 1


def _buffer(value: bytes | None) -> pa.Buffer:
    return pa.py_buffer(b"" if value is None else value)


def _from_buffers(
    arrow_type: pa.DataType,
    length: int,
    buffers: list[pa.Buffer | None],
    null_count: int = 0,
    children: list[pa.Array] | None = None,
) -> pa.Array:
    return pa.Array.from_buffers(arrow_type, length, buffers, null_count, children=children)
