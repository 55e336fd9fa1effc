"""``variant_delete`` and ``variant_strip_nulls`` over Arrow: one C call per array.

The C extension ``_variant_edit`` copies each encoded variant (metadata followed by value)
into a fresh encoding, leaving out the value at a path or the nulls (docs/variant.md).
"""

from __future__ import annotations

import pyarrow as pa

from kaspar.engine.variant.encoding import from_c, prepared

try:
    from kaspar.engine.variant import _variant_edit
except ImportError:  # pragma: no cover - the extension is built with the package
    _variant_edit = None  # type: ignore[assignment,unused-ignore]


def _edited(
    variants: pa.Array, path: tuple[str | int, ...] | None, strip: bool, strip_arrays: bool
) -> pa.Array:
    variants = prepared(variants, pa.large_binary(), _variant_edit, "variant_delete")
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
    )
    return from_c(result, len(variants), pa.large_binary())


def _first(values: pa.Array) -> object:
    return next((v for v in values.to_pylist() if v is not None), None)


def delete(variants: pa.Array, paths: pa.Array) -> pa.Array:
    """``variant_delete(v, path)``: the path's value removed (a NULL path: unchanged)."""
    from kaspar.engine.variant.sql import path_steps

    path = _first(paths)
    if path is None:
        return variants
    return _edited(variants, tuple(path_steps(str(path), "variant_delete")), False, False)


def strip_nulls(variants: pa.Array, include_arrays: pa.Array) -> pa.Array:
    """``variant_strip_nulls(v, include_arrays)``: fields (and elements) holding null removed."""
    return _edited(variants, None, True, bool(_first(include_arrays)))
