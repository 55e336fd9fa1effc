"""ORC files as a lazy plan leaf: a pyarrow dataset that DuckDB scans when the query runs.

The dataset is registered on the connection under a fresh name (``Scan.tables``); DuckDB's Arrow
scan reads it in batches, with the query's projection and filters pushed into the dataset. With
a schema the columns are matched by name (case-insensitively; a missing one is NULL) and cast
to the schema's types.
"""

from __future__ import annotations

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
    dataset = ds.dataset([p for p in paths if not p.endswith(".crc")], format="orc")
    name = L.next_relation_name()
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
    source = exp.select(*columns).from_(table).subquery("_orc")
    return L.Scan(source, names, "orc", tables=((name, dataset),))
