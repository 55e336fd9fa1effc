"""``UNION`` / ``INTERSECT`` / ``EXCEPT`` columns at Spark's common type of their two sides.

DuckDB meets a string and a number at ``VARCHAR``; Spark (ANSI) at the number
(``type_widening``). Each set operation of the query, inner ones first, has its two sides'
column types asked of DuckDB's binder; a column whose side differs from the common type is cast
to it (a projection over that side, the names kept), and a pair Spark refuses raises its
``INCOMPATIBLE_COLUMN_TYPE``.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
from sqlglot import exp

from kaspar.engine.compile.cast_sources import typed_calls_as_null
from kaspar.engine.compile.type_widening import (
    Unknown,
    common_type,
    parse_duckdb,
    spark_name,
)
from kaspar.errors import AnalysisException

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def widen_set_operations(
    tree: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Callable[[exp.Expr], str], ansi: bool
) -> None:
    """Cast each set operation's columns in ``tree`` to their common Spark type."""
    for node in reversed(list(tree.find_all(exp.SetOperation, bfs=False))):
        sides = [node.this, node.expression]
        described = [_describe(side, con, generate) for side in sides]
        if any(d is None for d in described):
            continue
        (left_names, left_types), (right_names, right_types) = described  # type: ignore[misc]
        if len(left_types) != len(right_types):
            continue
        targets = [
            _target(node, i, a, b, ansi)
            for i, (a, b) in enumerate(zip(left_types, right_types, strict=True))
        ]
        for side, names, types in (
            (node.this, left_names, left_types),
            (node.expression, right_names, right_types),
        ):
            casts = [
                t if t is not None and t != s else None for t, s in zip(targets, types, strict=True)
            ]
            if any(c is not None for c in casts):
                side.replace(_cast_columns(side, names, casts))


def _describe(
    side: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Callable[[exp.Expr], str]
) -> tuple[list[str], list[exp.DataType]] | None:
    """The column names and types of one side (``None`` if it cannot bind alone: correlated)."""
    query = typed_calls_as_null(_with_scope(side))
    try:
        relation = con.sql(generate(query))
        return list(relation.columns), [parse_duckdb(str(t)) for t in relation.types]
    except (duckdb.Error, ValueError):  # ValueError: a type sqlglot cannot read
        return None


def _with_scope(side: exp.Expr) -> exp.Expr:
    """``side`` with the CTEs of the queries around it, nearest first."""
    query = side.copy()
    if not isinstance(query, exp.Query):
        return query
    scope = side.parent
    while scope is not None:
        with_ = scope.args.get("with_") if isinstance(scope, exp.Query) else None
        if with_ is not None:
            names = {c.alias_or_name for c in (query.args.get("with_") or exp.With()).expressions}
            for cte in with_.expressions:
                if cte.alias_or_name not in names:
                    query = query.with_(cte.alias_or_name, as_=cte.this.copy(), append=True)
        scope = scope.parent
    return query


def _target(
    node: exp.Expr, index: int, a: exp.DataType, b: exp.DataType, ansi: bool
) -> exp.DataType | None:
    common = common_type(a, b, ansi=ansi)
    if isinstance(common, Unknown):
        return None
    if common is None:
        kind = type(node).__name__.upper()
        nth = _ORDINALS[index] if index < len(_ORDINALS) else f"{index + 1}th"
        raise AnalysisException(
            f"{kind} can only be performed on tables with compatible "
            f'column types. The {nth} column of the second table is "{spark_name(b)}" type '
            f'which is not compatible with "{spark_name(a)}" at the same column of the first '
            "table.",
            "INCOMPATIBLE_COLUMN_TYPE",
        )
    return common


def _cast_columns(side: exp.Expr, names: list[str], casts: list[exp.DataType | None]) -> exp.Select:
    """``SELECT CAST(c0 AS t0) AS name0, c1 AS name1, ... FROM (side)``."""
    positions = [exp.to_identifier(f"_c{i}") for i in range(len(names))]
    alias = exp.TableAlias(this=exp.to_identifier("_widened"), columns=positions)
    columns: list[exp.Expr] = []
    for position, name, to in zip(positions, names, casts, strict=True):
        ref: exp.Expr = exp.column(position.copy(), table="_widened")
        if to is not None:
            ref = exp.Cast(this=ref, to=to.copy())
        columns.append(exp.alias_(ref, exp.to_identifier(name, quoted=True)))
    source = exp.Subquery(this=side.copy(), alias=alias)
    return exp.select(*columns).from_(source)


__all__ = ["widen_set_operations"]
