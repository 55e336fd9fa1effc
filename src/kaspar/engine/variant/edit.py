"""``variant_delete`` and ``variant_strip_nulls`` over Arrow: one C call per array.

The C extension ``_variant_edit`` copies each encoded variant (metadata followed by value)
into a fresh encoding, leaving out the value at a path or the nulls (docs/variant.md).
"""

from __future__ import annotations

import pyarrow as pa

from kaspar.engine.variant.encoding import from_c, prepared
from kaspar.errors import SparkRuntimeException

try:
    from kaspar.engine.variant import _variant_edit
except ImportError:  # pragma: no cover - the extension is built with the package
    _variant_edit = None  # type: ignore[assignment,unused-ignore]


def _edited(
    variants: pa.Array,
    path: tuple[str | int, ...] | None,
    strip: bool,
    strip_arrays: bool,
    appended: pa.Array | None = None,
) -> tuple[pa.Array, int]:
    """The edited column and the first row whose path met a value of another kind (-1)."""
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
    )
    return from_c(result, len(variants), pa.large_binary()), -1 if result is None else result[4]


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


def _append(variants: pa.Array, paths: pa.Array, values: pa.Array, try_: bool) -> pa.Array:
    from kaspar.engine.deferred_errors import defer
    from kaspar.engine.variant.sql import path_steps

    function = "try_variant_array_append" if try_ else "variant_array_append"
    path = str(_first(paths))
    edited, mismatch = _edited(variants, tuple(path_steps(path, function)), False, False, values)
    if mismatch >= 0 and not try_:
        raise defer(
            SparkRuntimeException(
                f"The path '{path}' is incompatible with the variant value at '{path}' in "
                f"`{function}`.",
                "VARIANT_PATH_TYPE_MISMATCH",
            )
        )
    return edited


def array_append(variants: pa.Array, paths: pa.Array, values: pa.Array) -> pa.Array:
    """``variant_array_append``: ``values`` appended to the arrays at the path."""
    return _append(variants, paths, values, try_=False)


def try_array_append(variants: pa.Array, paths: pa.Array, values: pa.Array) -> pa.Array:
    """``try_variant_array_append``: NULL where the path meets a value that is not an array."""
    return _append(variants, paths, values, try_=True)
