"""ORC files as a lazy plan leaf: a pyarrow dataset that DuckDB scans when the query runs.

The dataset is registered on the connection under a fresh name (``Scan.tables``); DuckDB's Arrow
scan reads it in batches, with the query's projection and filters pushed into the dataset. With
a schema the columns are matched by name (case-insensitively; a missing one is NULL) and cast
to the schema's types.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.type_conversion import to_sqlglot


def _column(field: T.StructField, present: dict[str, str]) -> exp.Expr:
    found = present.get(field.name.lower())
    value: exp.Expr = exp.Null() if found is None else exp.column(found, quoted=True)
    return exp.alias_(exp.cast(value, to_sqlglot(field.dataType)), field.name, quoted=True)


def orc_scan(paths: list[str], schema: T.StructType | None) -> L.Scan:
    """The plan leaf reading ``paths`` as ORC (see the module docstring)."""
    files = [p for p in paths if not p.endswith(".crc")]
    dataset = ds.dataset(files, format="orc")
    name = L.next_relation_name()
    source, names = _select(dataset, name, schema)
    return L.Scan(
        source,
        names,
        "orc",
        tables=((name, dataset),),
        files=tuple(files),
        with_file=lambda: _with_file(files, dataset.schema, schema),
    )


def _with_file(files: list[str], arrow: pa.Schema, schema: T.StructType | None) -> L.Scan:
    """The read with each row's file: one dataset per file (the first's columns), each with
    its path as a constant, ``UNION ALL``-ed in the read's file order."""
    parts: list[exp.Query] = []
    tables: list[tuple[str, object]] = []
    names: tuple[str, ...] = ()
    for file in files:
        dataset = ds.dataset([file], format="orc", schema=arrow)
        name = L.next_relation_name()
        source, names = _select(dataset, name, schema)
        tables.append((name, dataset))
        path = exp.alias_(exp.Literal.string(file), L.FILE_COLUMN, quoted=True)
        parts.append(exp.select("*", path).from_(source))
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    return L.Scan(
        union.subquery("_orc_files"), (*names, L.FILE_COLUMN), "orc", tables=tuple(tables)
    )


def _select(
    dataset: ds.Dataset, name: str, schema: T.StructType | None
) -> tuple[exp.Expr, tuple[str, ...]]:
    """The dataset registered as ``name``, its columns as the schema names them."""
    table = exp.to_identifier(name, quoted=True)
    if schema is None:
        names = tuple(dataset.schema.names)
        columns: list[exp.Expr] = [exp.column(n, quoted=True) for n in names]
    else:
        present: dict[str, str] = {}
        for n in dataset.schema.names:
            present.setdefault(n.lower(), n)
        names = tuple(schema.names)
        columns = [_column(f, present) for f in schema.fields]
    return exp.select(*columns).from_(table).subquery("_orc"), names
