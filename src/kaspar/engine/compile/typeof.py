"""Spark's ``typeof(expr)``: the operand's Spark type name, asked of DuckDB's binder.

``F.typeof`` builds ``typeof(expr)`` marked with ``TYPEOF``; before generation each marked call's
operand is probed like a cast's source (``cast_sources``: a ``SELECT operand FROM ...`` that
binds without computing rows) and the call is replaced by the string literal of the Spark type
(``from_duckdb(...).simpleString()``), so the query itself never computes it.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
from sqlglot import exp

from kaspar.engine.compile.cast_sources import probe
from kaspar.engine.compile.typed_rewrites import TYPED, resolve_typed
from kaspar.engine.type_conversion import from_duckdb

TYPEOF = "spark_typeof"


def resolve_typeof(
    tree: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Callable[[exp.Expr], str]
) -> None:
    """Replace every marked ``typeof(x)`` in ``tree`` with the literal Spark type name."""
    calls = [
        node for node in tree.find_all(exp.Anonymous) if node.meta.get(TYPEOF) and node.expressions
    ]
    for call in calls:
        if any(n.meta.get(TYPED) for n in call.expressions[0].walk()):
            resolve_typed(call.expressions[0], con, generate)  # its type is the rewrite's
        operand = call.expressions[0]
        types = con.sql(generate(probe(operand, tree))).types
        name = from_duckdb(str(types[0])).simpleString()
        call.replace(exp.Literal.string(name))
