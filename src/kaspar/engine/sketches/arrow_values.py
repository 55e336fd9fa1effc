"""What every sketch function needs from DuckDB's Arrow batches.

An aggregate arrives as ``f(list(col), params...)``: DuckDB collects each group's values into one
list, so a batch row is a group and ``group_values`` hands out its values (nulls dropped) as one
Arrow array. Parameters are literals, the same on every row (``constant``).
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine.sketches import errors

_INTEGERS = {
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INT",
    pa.int64(): "BIGINT",
}
_OTHERS = {
    pa.float32(): "FLOAT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
}


def group_values(lists: pa.Array) -> Iterator[pa.Array | None]:
    """Each row's list without its nulls; None for a null list (a group of no rows). Slices of
    the flat child array: no per-group Arrow scalars."""
    if isinstance(lists, pa.ChunkedArray):
        for chunk in lists.chunks:
            yield from group_values(chunk)
        return
    if len(lists) == 0:
        return
    valid = lists.is_valid().to_numpy(zero_copy_only=False)
    bounds = lists.offsets.to_numpy()
    flat = lists.values
    nulls = flat.null_count > 0
    for i in range(len(lists)):
        if not valid[i]:
            yield None
            continue
        start, stop = int(bounds[i]), int(bounds[i + 1])
        values = flat.slice(start, stop - start)
        yield pc.drop_null(values) if nulls and values.null_count else values


def group_keys(lists: pa.Array) -> Iterator[list[Any] | None]:
    """Each row's values as the bindings' ``update`` takes them (``keys_for_update``), converted
    once per batch and sliced per group; None for a null list."""
    if isinstance(lists, pa.ChunkedArray):
        for chunk in lists.chunks:
            yield from group_keys(chunk)
        return
    if len(lists) == 0:
        return
    valid = lists.is_valid().to_numpy(zero_copy_only=False)
    bounds = lists.offsets.to_numpy().tolist()
    flat = lists.values
    start, stop = bounds[0], bounds[-1]
    items = keys_for_update(flat.slice(start, stop - start))
    nulls = flat.null_count > 0
    for i in range(len(lists)):
        if not valid[i]:
            yield None
            continue
        group = items[bounds[i] - start : bounds[i + 1] - start]
        yield [v for v in group if v is not None] if nulls else group


def constant(column: pa.Array, default: Any = None) -> Any:
    """The literal a parameter column repeats (``default`` when it is NULL or absent)."""
    if len(column) == 0 or not column[0].is_valid:
        return default
    return column[0].as_py()


def spark_type_name(atype: pa.DataType) -> str:
    """Spark's SQL name of an Arrow value type, as its type errors quote it."""
    if atype in _INTEGERS:
        return _INTEGERS[atype]
    if atype in _OTHERS:
        return _OTHERS[atype]
    if is_text(atype):
        return "STRING"
    if is_bytes(atype):
        return "BINARY"
    if pa.types.is_timestamp(atype):
        return "TIMESTAMP" if atype.tz else "TIMESTAMP_NTZ"
    if pa.types.is_decimal(atype):
        return f"DECIMAL({atype.precision},{atype.scale})"
    if pa.types.is_list(atype) or pa.types.is_large_list(atype):
        return f"ARRAY<{spark_type_name(atype.value_type)}>"
    return str(atype).upper()


def is_integer(atype: pa.DataType) -> bool:
    return atype in _INTEGERS


def is_text(atype: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(atype)
        or pa.types.is_large_string(atype)
        or pa.types.is_string_view(atype)
    )


def is_bytes(atype: pa.DataType) -> bool:
    return bool(
        pa.types.is_binary(atype)
        or pa.types.is_large_binary(atype)
        or pa.types.is_binary_view(atype)
    )


def keys_for_update(values: pa.Array) -> list[Any]:
    """Values as the bindings' ``update`` hashes them as Spark does: integers as 64-bit longs,
    floats as doubles, strings as their UTF-8 text, binary as its bytes read as UTF-8 (the
    bindings hash a str's UTF-8 bytes, which are then the same bytes)."""
    atype = values.type
    if is_bytes(atype):
        return [None if b is None else _utf8(b) for b in values.to_pylist()]
    if pa.types.is_floating(atype):
        rows: list[Any] = values.cast(pa.float64()).to_pylist()
        return rows
    rows = values.to_pylist()
    return rows


def feed(update: Callable[[Any], None], values: list[Any]) -> None:
    """Call a sketch's per-value ``update`` on every value, iterating in C (``map``)."""
    collections.deque(map(update, values), maxlen=0)


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.not_supported(
            "Sketching BINARY values that are not valid UTF-8 (the DataSketches Python binding "
            "hashes text only)"
        ) from None


def binary_rows(column: pa.Array) -> list[bytes | None]:
    """A binary column's values (sketches), None for NULL."""
    rows: list[bytes | None] = column.cast(pa.binary()).to_pylist()
    return rows


def group_sketches(values: pa.Array | None) -> list[bytes]:
    """The sketches of one group (``group_values`` dropped its nulls)."""
    return [data for data in binary_rows(values) if data is not None] if values is not None else []


def java_round(value: float) -> int:
    """Java's ``Math.round``: half up."""
    return math.floor(value + 0.5)


def read_sketch(
    deserialize: Callable[[bytes], Any], data: bytes, family: str, function: str
) -> Any:
    """A sketch from its bytes, or Spark's ``<FAMILY>_INVALID_INPUT_SKETCH_BUFFER``."""
    try:
        return deserialize(data)
    except (RuntimeError, ValueError, IndexError, TypeError) as e:
        raise errors.invalid_buffer(family, function) from e


def check_value_type(
    lists: pa.Array, accepts: Callable[[pa.DataType], bool], expected: str, spark: list[pa.Array]
) -> None:
    """Spark's type check of an aggregate's values; ``spark`` holds the call's and the operand's
    names (the trailing literal arguments of every sketch aggregate)."""
    value_type = lists.type.value_type
    if not accepts(value_type):
        call, operand = (constant(c) for c in spark)
        raise errors.unexpected_input_type(call, expected, operand, spark_type_name(value_type))


def per_row(
    columns: tuple[pa.Array, ...], answer: Callable[..., Any], result_type: pa.DataType
) -> pa.Array:
    """``answer(*sketch bytes)`` for each row; NULL where any operand is NULL."""
    out = [
        None if any(v is None for v in row) else answer(*row)
        for row in zip(*(binary_rows(c) for c in columns), strict=True)
    ]
    return pa.array(out, result_type)


def estimates(sketches: pa.Array, read: Callable[[bytes], Any]) -> pa.Array:
    """Each sketch's distinct-count estimate, rounded as Java's ``Math.round`` (NULL stays)."""
    return per_row((sketches,), lambda data: java_round(read(data).get_estimate()), pa.int64())
