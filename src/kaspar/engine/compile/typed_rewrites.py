"""Calls whose SQL depends on their operands' types, written once DuckDB's binder knows them.

A sqlglot tree carries no types, and some Spark functions compile differently per type (or must
refuse a type at analysis, as Spark does): ``Column.dropFields`` rebuilds a struct without some of
its fields, ``vector_sum`` accepts only ``array<float>``. Such a call is built as ``typed(...)``
(``typed_call``) holding its operands and a rewrite, a function of the operands' DuckDB types
that returns the call's real tree (or raises Spark's ``AnalysisException``). Before generation
``resolve_typed`` probes each marked call's operands like a cast's source (``cast_sources``),
inner calls first, and replaces the call by its rewrite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import duckdb
from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_sources import TYPED_CALL, probe

TYPED = "kaspar_typed_rewrite"

Rewrite = Callable[[list[exp.Expr], list[DuckDBPyType]], exp.Expr]


def struct_fields(kind: DuckDBPyType) -> list[tuple[str, DuckDBPyType]]:
    """The (name, type) of each field of a DuckDB struct type."""
    return [(str(name), cast(DuckDBPyType, child)) for name, child in kind.children]


def typed_call(operands: Sequence[exp.Expr], rewrite: Rewrite) -> exp.Expr:
    """A placeholder call over ``operands`` that ``resolve_typed`` replaces by
    ``rewrite(operands, their DuckDB types)``."""
    call = exp.Anonymous(this=TYPED_CALL, expressions=[o.copy() for o in operands])
    call.meta[TYPED] = rewrite
    return call


def resolve_typed(
    tree: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Callable[[exp.Expr], str]
) -> None:
    """Replace every marked call in ``tree`` by its rewrite (inner calls first)."""
    calls = [node for node in tree.find_all(exp.Anonymous) if node.meta.get(TYPED)]
    for call in reversed(calls):
        operands = list(call.expressions)
        types = [con.sql(generate(probe(o, tree))).types[0] for o in operands]
        rewritten: exp.Expr | None = call.meta[TYPED](operands, types)
        if rewritten is None:  # a check of the types only: the call stays as it is
            del call.meta[TYPED]
        else:
            call.replace(rewritten)


__all__ = ["TYPED", "Rewrite", "resolve_typed", "struct_fields", "typed_call"]
