"""Spark SQL expressions -> SQL text for delta-rs (DataFusion) predicates and assignments.

Delta MERGE / UPDATE / DELETE run inside deltalake, which takes predicates as SQL strings in
DataFusion's dialect (close to PostgreSQL's). Expressions arrive as sqlglot trees (parsed from
Spark SQL or built by the Column API); every column reference is resolved here,
case-insensitively, against the named scopes (``target``, ``source``) and written back
qualified and quoted with its exact stored name. What DataFusion cannot evaluate row by row
(subqueries, aggregates, window functions, UDFs) is refused with a clear error rather than sent.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp

from kaspar.engine.compile.dialect import KasparSpark
from kaspar.engine.plan.attributes import ATTR_ID
from kaspar.errors import AnalysisException, ParseException, unresolved_column

Scopes = Mapping[str, tuple[str, ...]]  # alias -> the columns it exposes
AttributeNames = Mapping[int, tuple[str, str]]  # attribute id -> (alias, column)

_REFUSED: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.Subquery, "subqueries"),
    (exp.Select, "subqueries"),
    (exp.AggFunc, "aggregate functions"),
    (exp.Window, "window functions"),
    (exp.Star, "'*'"),
)


def parse_spark_expression(text: str) -> exp.Expr:
    """A Spark SQL expression (``"target.id = source.id"``) as a sqlglot tree."""
    try:
        parsed = sqlglot.parse_one(text, dialect=KasparSpark)
    except sqlglot.errors.ParseError as e:
        raise ParseException(
            f"Syntax error in expression '{text}': {e}", "PARSE_SYNTAX_ERROR"
        ) from None
    return parsed


def to_datafusion_sql(
    expression: exp.Expr,
    scopes: Scopes,
    attributes: AttributeNames | None = None,
    *,
    qualified: bool = True,
) -> str:
    """DataFusion SQL for ``expression``; columns qualified by their scope's alias or not.

    MERGE needs qualified columns (``"target"."id"``); UPDATE and DELETE see one table and
    deltalake takes bare column names there.
    """
    for kind, what in _REFUSED:
        if expression.find(kind) is not None:
            raise AnalysisException(
                f"Delta conditions and assignments cannot contain {what}: "
                f"{expression.sql(dialect=KasparSpark)}",
                "DELTA_UNSUPPORTED_EXPRESSION",
            )
    if any(
        isinstance(node, exp.Anonymous) and not _known_function(node.name)
        for node in expression.walk()
    ):
        raise AnalysisException(
            f"Delta conditions support built-in functions only: "
            f"{expression.sql(dialect=KasparSpark)}",
            "DELTA_UNSUPPORTED_EXPRESSION",
        )
    ids = dict(attributes or {})
    resolved = expression.copy().transform(lambda node: _qualify(node, scopes, ids, qualified))
    return resolved.sql(dialect="postgres")


def resolve_column(name: str, scopes: Scopes) -> tuple[str, str]:
    """``(alias, stored column name)`` for ``name`` or ``alias.name``, case-insensitively."""
    parts = name.strip("`").split(".")
    alias = parts[0] if len(parts) > 1 else None
    return _resolve(parts[-1], alias, scopes)


def _qualify(
    node: exp.Expr, scopes: Scopes, ids: dict[int, tuple[str, str]], qualified: bool
) -> exp.Expr:
    if not isinstance(node, exp.Column):
        return node
    attr_id = node.meta.get(ATTR_ID)
    if attr_id is not None:
        if attr_id not in ids:
            raise AnalysisException(
                f"Column {node.name} belongs to a DataFrame that is neither the merge source "
                "nor the Delta table; use a column name or an SQL string instead.",
                "DELTA_UNSUPPORTED_EXPRESSION",
            )
        alias, name = ids[attr_id]
    else:
        alias, name = _resolve(node.name, node.table or None, scopes)
    table = exp.to_identifier(alias, quoted=True) if qualified else None
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=table)


def _resolve(name: str, alias: str | None, scopes: Scopes) -> tuple[str, str]:
    candidates = [
        (scope, column)
        for scope, columns in scopes.items()
        if alias is None or scope.lower() == alias.lower()
        for column in columns
        if column.lower() == name.lower()
    ]
    if len(candidates) == 1:
        return candidates[0]
    shown = f"{alias}.{name}" if alias else name
    if not candidates:
        raise unresolved_column(
            shown, [f"{scope}.{c}" for scope, columns in scopes.items() for c in columns]
        )
    raise AnalysisException(
        f"Reference `{shown}` is ambiguous, could be: "
        f"{', '.join(f'`{s}`.`{c}`' for s, c in candidates)}.",
        "AMBIGUOUS_REFERENCE",
        {"name": shown},
    )


def _known_function(name: str) -> bool:
    """Functions sqlglot does not model but DataFusion provides under the same name."""
    return name.lower() in {
        "concat_ws",
        "starts_with",
        "ends_with",
        "nvl",
        "ifnull",
        "md5",
        "sha256",
        "date_trunc",
        "to_timestamp",
    }
