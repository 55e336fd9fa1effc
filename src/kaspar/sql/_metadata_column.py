"""``DataFrame.metadataColumn`` and ``df["_metadata"]``: a file read's hidden metadata column
(resolved by the analyzer, ``engine/plan/file_metadata.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from kaspar.engine.plan.file_metadata import METADATA, METADATA_COLUMN, has_file_read
from kaspar.errors import unresolved_column
from kaspar.sql.column import Column, named

if TYPE_CHECKING:
    from kaspar.engine.plan import logical as L


def metadata_columns(plan: L.LogicalPlan) -> list[str]:
    """The names of the metadata columns ``plan`` has (``_metadata`` over a file read)."""
    return [METADATA] if has_file_read(plan) else []


def metadata_column(plan: L.LogicalPlan, name: str) -> Column:
    """The metadata column ``name`` of ``plan``: found even where a data column has that name
    (``metadataColumn``); Spark's UNRESOLVED_COLUMN error when there is none."""
    available = metadata_columns(plan)
    if name.lower() not in (n.lower() for n in available):
        raise unresolved_column(name, available)
    col = exp.column(METADATA, quoted=True)
    col.meta[METADATA_COLUMN] = True
    return Column(col)


def named_metadata(plan: L.LogicalPlan, name: str) -> Column | None:
    """``df["_metadata"]`` / ``df["_metadata.file_name"]`` over a file read, else None."""
    parts = name.split(".")
    if parts[0].lower() != METADATA or not has_file_read(plan):
        return None
    column = metadata_column(plan, METADATA)
    for part in parts[1:]:
        column = column.getField(part)
    return Column(named(column.expr, parts[-1])) if len(parts) > 1 else column
