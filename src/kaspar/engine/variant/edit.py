"""``variant_delete`` and ``variant_strip_nulls`` over Arrow: one C call per array.

The C extension ``_variant_edit`` copies each encoded variant (metadata followed by value)
into a fresh encoding, leaving out the value at a path or the nulls (docs/variant.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


def _by_path(
    paths: pa.Array, size: int, edit: Callable[[str, pa.Array | None], pa.Array]
) -> pa.Array | None:
    """``edit(path, rows)`` per distinct path (``rows``: None for all), put back in row
    order; None where every row's path is NULL. A NULL path's rows are left to the caller."""
    encoded = pc.dictionary_encode(paths)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    distinct = encoded.dictionary.to_pylist()
    if len(distinct) == 1 and encoded.null_count == 0:
        return edit(distinct[0], None)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    present = encoded.is_valid().to_numpy(zero_copy_only=False)
    pieces, order = [], []
    for code, path in enumerate(distinct):
        rows = np.flatnonzero(present & (indices == code))
        pieces.append(edit(path, pa.array(rows)))
        order.append(rows)
    missing = np.flatnonzero(~present)
    if not pieces:
        return None
    if missing.size:
        pieces.append(pa.nulls(missing.size, pieces[0].type))
        order.append(missing)
    rows = np.concatenate(order)
    return pa.concat_arrays(pieces).take(pa.array(np.argsort(rows, kind="stable")))


def _steps(path: str, function: str, root_allowed: bool) -> tuple[str | int, ...]:
    """A path's steps, Spark's error for a bad one (raised out of DuckDB by ``defer``)."""
    from kaspar.engine.deferred_errors import defer
    from kaspar.engine.variant.sql import path_steps

    try:
        steps = tuple(path_steps(path, function))
    except SparkRuntimeException:
        steps = None
    if steps is None or (not steps and not root_allowed):
        raise defer(
            SparkRuntimeException(
                f"The path '{path}' is not a valid `{function}` target. A valid path should "
                "start with `$` and is followed by segments like `[123]`, `.name`, `['name']`, "
                'or `["name"]`. The root path `$` is not allowed.',
                "INVALID_VARIANT_PATH",
            )
        )
    return steps


def _json_path(path: str, function: str) -> str:
    from kaspar.engine.deferred_errors import defer
    from kaspar.engine.variant.sql import path_steps

    try:
        steps = path_steps(path, function)
    except SparkRuntimeException as e:
        raise defer(e) from None
    keys = ('."' + s.replace('"', '\\"') + '"' if isinstance(s, str) else f"[{s}]" for s in steps)
    return "$" + "".join(keys)


def json_paths(paths: pa.Array, functions: pa.Array) -> pa.Array:
    """DuckDB's JSON path of each Spark variant path (``$.a[0]`` -> ``$."a"[0]``), one
    translation per distinct path; Spark's INVALID_VARIANT_GET_PATH for a bad one."""
    function = str(_first(functions))
    encoded = pc.dictionary_encode(paths)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    translated = [_json_path(p, function) for p in encoded.dictionary.to_pylist()]
    return pa.array(translated, pa.string()).take(encoded.indices)


def delete(variants: pa.Array, paths: pa.Array) -> pa.Array:
    """``variant_delete(v, path)``: the path's value removed (a NULL path: unchanged); a path
    column is edited one distinct path at a time."""

    def edit(path: str, rows: pa.Array | None) -> pa.Array:
        part = variants if rows is None else variants.take(rows)
        return _edited(part, _steps(path, "variant_delete", False), False, False)[0]

    edited = _by_path(paths, len(variants), edit)
    if edited is None:
        return variants
    kept = pc.is_null(paths)
    if pc.any(kept).as_py():
        return pc.if_else(kept, pc.cast(variants, edited.type), edited)
    return edited


def strip_nulls(variants: pa.Array, include_arrays: pa.Array) -> pa.Array:
    """``variant_strip_nulls(v, include_arrays)``: fields (and elements) holding null removed."""
    return _edited(variants, None, True, bool(_first(include_arrays)))[0]


APPEND, SET, INSERT = 1, 2, 3


def _edit_error(
    function: str, path: str, steps: tuple[str | int, ...], duplicate: bool
) -> Exception:
    from kaspar.engine.deferred_errors import defer

    if duplicate:
        key = next(s for s in reversed(steps) if isinstance(s, str))
        return defer(
            SparkRuntimeException(
                f"Failed to build variant because of a duplicate object key `{key}`.",
                "VARIANT_DUPLICATE_KEY",
            )
        )
    return defer(
        SparkRuntimeException(
            f"The path '{path}' is incompatible with the variant value at '{path}' in "
            f"`{function}`.",
            "VARIANT_PATH_TYPE_MISMATCH",
        )
    )


def with_value(
    function: str, mode: int, try_: bool
) -> Callable[[pa.Array, pa.Array, pa.Array, pa.Array], pa.Array]:
    """The Arrow function of ``function`` (an append, set or insert of a value at a path);
    ``try_``: NULL where Spark raises."""

    def evaluate(
        variants: pa.Array, paths: pa.Array, values: pa.Array, flags: pa.Array
    ) -> pa.Array:
        create = bool(_first(flags))
        root_allowed = mode == APPEND

        def edit(path: str, rows: pa.Array | None) -> pa.Array:
            steps = _steps(path, function, root_allowed)
            part, added = (
                (variants, values)
                if rows is None
                else (
                    variants.take(rows),
                    values.take(rows),
                )
            )
            edited, mismatch, duplicate = _edited(part, steps, False, False, added, mode, create)
            if not try_ and (mismatch >= 0 or duplicate >= 0):
                raise _edit_error(function, path, steps, duplicate >= 0)
            return edited

        edited = _by_path(paths, len(variants), edit)
        return pa.nulls(len(variants), pa.large_binary()) if edited is None else edited

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
