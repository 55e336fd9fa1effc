"""A partitioned folder as one plan leaf: each ``k=v`` directory's files read by the format's
leaf, its partition values added as typed constants, all of them ``UNION ALL``-ed.

The data schema is the user's without the partition columns, or (none given) the schema of
the format's leaf over every file, so that every directory reads the same columns. Partition
columns come after the data columns, as in Spark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sources.file_index import FileListing
from kaspar.engine.streaming.sources.file_listing import DEFAULT_PARTITION
from kaspar.engine.type_conversion import to_sqlglot

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

Leaf = Callable[[list[str], T.StructType | None], L.LogicalPlan]


def _values(base: Path, file: Path) -> dict[str, str | None]:
    """The ``k=v`` directories between ``base`` and ``file`` (other directories skipped)."""
    found: dict[str, str | None] = {}
    for part in file.parent.relative_to(base).parts:
        key, sep, value = part.partition("=")
        if sep and key:
            text = unquote(value)
            found[unquote(key)] = None if text == DEFAULT_PARTITION else text
    return found


def _constant(field: T.StructField, value: str | None) -> exp.Expr:
    literal: exp.Expr = exp.Null() if value is None else exp.Literal.string(value)
    return exp.alias_(exp.cast(literal, to_sqlglot(field.dataType)), field.name, quoted=True)


def partitioned_scan(
    executor: Executor, listing: FileListing, schema: T.StructType | None, leaf: Leaf
) -> L.Scan:
    """The leaf for ``listing``'s partitioned files (see the module docstring)."""
    assert listing.base is not None
    partitions = listing.partitions
    names = {f.name.lower() for f in partitions}
    if schema is not None:
        data = T.StructType([f for f in schema.fields if f.name.lower() not in names])
    else:
        data = executor.schema(leaf(listing.files, None))
        data = T.StructType([f for f in data.fields if f.name.lower() not in names])
    groups: dict[tuple[str | None, ...], list[str]] = {}
    base = Path(listing.base)
    for file in listing.files:
        found = _values(base, Path(file))
        groups.setdefault(tuple(found.get(f.name) for f in partitions), []).append(file)
    leaves = []
    for values, files in groups.items():
        plan = leaf(files, data)
        assert isinstance(plan, L.Scan)
        leaves.append((values, plan))
    scan = _union(leaves, partitions, ())
    return replace(
        scan,
        files=tuple(listing.files),
        with_file=lambda: _union(leaves, partitions, _hidden(leaves)),
    )


def _hidden(leaves: list[tuple[tuple[str | None, ...], L.Scan]]) -> tuple[str, ...]:
    """The hidden columns every leaf's read with its file has (the file; parquet's row
    index)."""
    scans = [plan.file_scan() for _, plan in leaves]
    extra = [s.names[len(p.names) :] for s, (_, p) in zip(scans, leaves, strict=True) if s]
    return extra[0] if extra and all(e == extra[0] for e in extra) else (L.FILE_COLUMN,)


def _union(
    leaves: list[tuple[tuple[str | None, ...], L.Scan]],
    partitions: T.StructType,
    hidden: tuple[str, ...],
) -> L.Scan:
    """The leaves' rows with their partition values, ``UNION ALL``-ed; with ``hidden``, each
    leaf's read with its file and those columns last."""
    parts: list[exp.Query] = []
    tables: list[tuple[str, object]] = []
    names: tuple[str, ...] = ()
    for values, leaf_plan in leaves:
        plan = leaf_plan.file_scan() if hidden else leaf_plan
        assert plan is not None
        tables += plan.tables
        names = leaf_plan.names
        columns = [exp.column(n, quoted=True) for n in names]
        constants = [_constant(f, v) for f, v in zip(partitions, values, strict=True)]
        extra = [exp.column(n, quoted=True) for n in hidden]
        parts.append(exp.select(*columns, *constants, *extra).from_(plan.source.copy()))
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    names_out = (*names, *partitions.names, *hidden)
    return L.Scan(union.subquery("_partitions"), names_out, "files", tables=tuple(tables))
