"""``schema_of_variant`` and ``schema_of_variant_agg`` over Arrow: one C call per array.

Both take a list of encoded variants per row (metadata followed by value, built in DuckDB
from ``variant_to_parquet_variant``): ``schema_of_variant`` a list of one, the aggregate
DuckDB's ``list()`` of a group. The C extension ``_variant_schema`` reads each encoding and
merges the types as Spark does (docs/variant.md).
"""

from __future__ import annotations

import pyarrow as pa

from kaspar.engine.variant.encoding import from_c, prepared

try:
    from kaspar.engine.variant import _variant_schema
except ImportError:  # pragma: no cover - the extension is built with the package
    _variant_schema = None  # type: ignore[assignment,unused-ignore]


def schemas(lists: pa.Array) -> pa.Array:
    """Spark's schema text of each row's variants, merged (NULL for a NULL list)."""
    target = pa.large_list(pa.large_binary())
    lists = prepared(lists, target, _variant_schema, "schema_of_variant")
    values = lists.values
    validity, offsets, data = values.buffers()
    list_validity, list_offsets = lists.buffers()[:2]
    result = _variant_schema.schemas(
        data if data is not None else b"",
        offsets,
        validity,
        list_offsets,
        list_validity,
        lists.offset,
        len(lists),
    )
    return from_c(result, len(lists), pa.large_string())
