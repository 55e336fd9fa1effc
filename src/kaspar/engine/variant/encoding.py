"""``parse_json`` over Arrow: JSON texts to Spark's variant encoding, one C call per array.

Each result row is the variant's metadata followed by its value, the bytes DuckDB's
``variant_bytes_to_variant`` turns into a ``VARIANT`` (docs/variant.md). The C extension
``_json_to_variant`` decides every type as Spark's ``VariantBuilder`` does; without it (a source
install that could not compile it) ``parse_json`` refuses with a clear error.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from kaspar.engine.deferred_errors import defer
from kaspar.engine.formats.parse_mode import malformed_record
from kaspar.errors import PySparkNotImplementedError, SparkRuntimeException

try:
    from kaspar.engine.variant import _json_to_variant
except ImportError:  # pragma: no cover - the extension is built with the package
    _json_to_variant = None  # type: ignore[assignment,unused-ignore]


def prepared(
    array: pa.Array, arrow_type: pa.DataType, extension: object, function: str
) -> pa.Array:
    """``array`` in one chunk of ``arrow_type`` (64-bit offsets, what the C functions read);
    a clear error when the C ``extension`` behind ``function`` was not built."""
    if extension is None:  # pragma: no cover
        raise PySparkNotImplementedError(
            f"{function} needs the C extensions of kaspar.engine.variant (rebuild kaspar)",
            "NOT_IMPLEMENTED",
        )
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(arrow_type)


def from_c(result: tuple[Any, ...] | None, length: int, arrow_type: pa.DataType) -> pa.Array:
    """The column a C function returned as (data, offsets, validity, null count, ...); None
    from it means a variant encoding it read was malformed."""
    if result is None:
        raise SparkRuntimeException(
            "[MALFORMED_VARIANT] Variant binary is malformed.", "MALFORMED_VARIANT"
        )
    values, offsets, validity, nulls = result[:4]
    buffers = [pa.py_buffer(validity), pa.py_buffer(offsets), pa.py_buffer(values)]
    return pa.Array.from_buffers(arrow_type, length, buffers, int(nulls))


def _encode(texts: pa.Array) -> tuple[pa.Array, int]:
    """The encoded column (NULL where a text is NULL or malformed) and the first malformed row."""
    texts = prepared(texts, pa.large_string(), _json_to_variant, "parse_json")
    validity, offsets, data = texts.buffers()
    result = _json_to_variant.encode(
        data if data is not None else b"", offsets, validity, texts.offset, len(texts)
    )
    return from_c(result, len(texts), pa.large_binary()), result[4]


def parse_json(texts: pa.Array) -> pa.Array:
    """Spark's ``parse_json``: a text that is not JSON fails the query (FAILFAST)."""
    encoded, bad = _encode(texts)
    if bad >= 0:
        raise defer(malformed_record(str(texts[bad].as_py())))
    return encoded


def try_parse_json(texts: pa.Array) -> pa.Array:
    """Spark's ``try_parse_json``: NULL for a text that is not JSON."""
    return _encode(texts)[0]
