"""``variant_delete`` and ``variant_strip_nulls`` over Arrow: one C call per array.

The C extension ``_variant_edit`` copies each encoded variant (metadata followed by value)
into a fresh encoding, leaving out the value at a path or the nulls (docs/variant.md).
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from kaspar.engine.variant.encoding import from_c, prepared
from kaspar.errors import SparkRuntimeException

try:
    from kaspar.engine.variant import _variant_edit
except ImportError:  # pragma: no cover - the extension is built with the package
    _variant_edit = None  # type: ignore[assignment,unused-ignore]


def _edited(  # noqa: PLR0917 (the C function's arguments)
    variants: pa.Array,
    path: tuple[str | int, ...] | None,
    strip: bool,
    strip_arrays: bool,
    appended: pa.Array | None = None,
    mode: int = 0,
    create: bool = False,
) -> tuple[pa.Array, int, int]:
    """The edited column, the first row whose path met a value of another kind and the first
    where insert met an existing field (-1: none)."""
    variants = prepared(variants, pa.large_binary(), _variant_edit, "variant_delete")
    extra = None
    if appended is not None:  # read from the same rows as the variants: both from row 0
        appended = prepared(appended, pa.large_binary(), _variant_edit, "variant_array_append")
        variants, appended = (
            pa.concat_arrays([a]) if a.offset else a for a in (variants, appended)
        )
        a_validity, a_offsets, a_data = appended.buffers()
        extra = (a_data if a_data is not None else b"", a_offsets, a_validity)
    validity, offsets, data = variants.buffers()
    result = _variant_edit.edit(
        data if data is not None else b"",
        offsets,
        validity,
        variants.offset,
        len(variants),
        path,
        strip,
        strip_arrays,
        extra,
        mode,
        create,
    )
    column = from_c(result, len(variants), pa.large_binary())
    return column, -1 if result is None else result[4], -1 if result is None else result[5]


def _first(values: pa.Array) -> object:
    return next((v for v in values.to_pylist() if v is not None), None)


def delete(variants: pa.Array, paths: pa.Array) -> pa.Array:
    """``variant_delete(v, path)``: the path's value removed (a NULL path: unchanged)."""
    from kaspar.engine.variant.sql import path_steps

    path = _first(paths)
    if path is None:
        return variants
    return _edited(variants, tuple(path_steps(str(path), "variant_delete")), False, False)[0]


def strip_nulls(variants: pa.Array, include_arrays: pa.Array) -> pa.Array:
    """``variant_strip_nulls(v, include_arrays)``: fields (and elements) holding null removed."""
    return _edited(variants, None, True, bool(_first(include_arrays)))[0]


APPEND, SET, INSERT = 1, 2, 3


def with_value(
    function: str, mode: int, try_: bool
) -> Callable[[pa.Array, pa.Array, pa.Array, pa.Array], pa.Array]:
    """The Arrow function of ``function`` (an append, set or insert of a value at a path);
    ``try_``: NULL where Spark raises."""

    def evaluate(
        variants: pa.Array, paths: pa.Array, values: pa.Array, flags: pa.Array
    ) -> pa.Array:
        from kaspar.engine.deferred_errors import defer
        from kaspar.engine.variant.sql import path_steps

        path = str(_first(paths))
        steps = tuple(path_steps(path, function))
        create = bool(_first(flags))
        edited, mismatch, duplicate = _edited(variants, steps, False, False, values, mode, create)
        if try_ or (mismatch < 0 and duplicate < 0):
            return edited
        if duplicate >= 0:
            key = next(s for s in reversed(steps) if isinstance(s, str))
            raise defer(
                SparkRuntimeException(
                    f"Failed to build variant because of a duplicate object key `{key}`.",
                    "VARIANT_DUPLICATE_KEY",
                )
            )
        raise defer(
            SparkRuntimeException(
                f"The path '{path}' is incompatible with the variant value at '{path}' in "
                f"`{function}`.",
                "VARIANT_PATH_TYPE_MISMATCH",
            )
        )

    return evaluate


EXPLODED = pa.struct([("pos", pa.int32()), ("key", pa.string()), ("value", pa.binary())])


def explode(variants: pa.Array) -> pa.Array:
    """``variant_explode``'s rows per variant: a list of (pos, key, value encoding) for an
    object's fields or an array's elements (key NULL), empty for anything else."""
    variants = prepared(variants, pa.large_binary(), _variant_edit, "variant_explode")
    validity, offsets, data = variants.buffers()
    result = _variant_edit.explode(
        data if data is not None else b"", offsets, validity, variants.offset, len(variants)
    )
    if result is None:
        return from_c(None, 0, pa.binary())  # raises MALFORMED_VARIANT
    lists, pos, key_offsets, keys, key_valid, value_offsets, values = result
    count = len(pos) // 4
    fields = [
        pa.Array.from_buffers(pa.int32(), count, [None, pa.py_buffer(pos)]),
        pa.Array.from_buffers(
            pa.string(),
            count,
            [pa.py_buffer(key_valid), pa.py_buffer(key_offsets), pa.py_buffer(keys)],
        ),
        pa.Array.from_buffers(
            pa.large_binary(), count, [None, pa.py_buffer(value_offsets), pa.py_buffer(values)]
        ).cast(pa.binary()),
    ]
    items = pa.StructArray.from_arrays(fields, fields=list(EXPLODED))
    list_offsets = pa.Array.from_buffers(pa.int32(), len(variants) + 1, [None, pa.py_buffer(lists)])
    return pa.ListArray.from_arrays(list_offsets, items)
