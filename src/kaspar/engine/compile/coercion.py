"""Spark's implicit casts, written into a query once DuckDB's binder knows its types.

A sqlglot tree has no types, and DuckDB's implicit casts differ from Spark's: DuckDB meets a
string and a number at ``VARCHAR`` in a ``UNION``, and refuses ``string_column > 30``, where
Spark (ANSI mode) casts the string to the number. ``coerce_types`` runs after the typed
rewrites: set operations' columns are cast to Spark's common type (``set_widening``); and when
a query did not bind for operand types that do not meet, the operators concerned get Spark's
casts (``operator_coercion``).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
from sqlglot import exp

from kaspar.engine.compile.operator_coercion import coerce_operators, is_type_mismatch
from kaspar.engine.compile.set_widening import widen_set_operations


def coerce_types(
    tree: exp.Expr,
    con: duckdb.DuckDBPyConnection,
    generate: Callable[[exp.Expr], str],
    ansi: bool,
    *,
    operators: bool = False,
) -> None:
    """Insert Spark's implicit casts into ``tree`` (in place): set operations' always,
    operators' with ``operators`` (the executor asks for them once a query failed to bind
    with ``is_type_mismatch``, so that a query that binds pays no probe for them)."""
    widen_set_operations(tree, con, generate, ansi)
    if operators:
        coerce_operators(tree, con, generate, ansi)


__all__ = ["coerce_types", "is_type_mismatch"]
