"""The source types of casts to integral types, asked of DuckDB's binder before generation.

Spark truncates toward zero when it casts a fractional number to ``int``/``bigint``/``smallint``/
``tinyint`` and, in ANSI mode, refuses a string such as ``'1.5'``; DuckDB rounds and accepts it.
The dialect (``KasparDuckDB.cast_sql``) needs the operand's type to choose, and a sqlglot tree has
none, so each such cast's operand is probed with a ``SELECT operand FROM ...`` that DuckDB binds
without computing rows, and the type is kept in ``cast.meta["source_type"]``. The same is
done for ``unix_timestamp``'s argument (``StrToUnix``): a string is parsed with the format, a
timestamp or a date is converted as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import duckdb
from sqlglot import exp

SOURCE_TYPE = "source_type"
# meta key: an implicit cast to a string or to binary that leaves binary as it is (Spark's
# functions that take either: length, substring, base64, octet_length...).
KEEP_BINARY = "keep_binary"
INTEGRAL = frozenset(
    {
        exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.SMALLINT,
        exp.DataType.Type.TINYINT,
    }
)
TEXT = frozenset({exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR})
BINARY = frozenset({exp.DataType.Type.BINARY, exp.DataType.Type.VARBINARY, exp.DataType.Type.BLOB})


def probe(operand: exp.Expr, root: exp.Expr) -> exp.Query:
    """A query that binds ``operand`` in its SELECT's scope (``.types`` gives its type)."""
    select = operand.find_ancestor(exp.Select)
    if select is None:
        return exp.select(operand.copy())
    lateral = _lateral_scope(select) if not select.args.get("from_") else None
    probe = select.copy()
    if lateral is not None:  # the FROM a lateral body sees: the joining query's, before it
        select, index = lateral
        probe = select.copy()
        probe.set("joins", probe.args["joins"][:index])
    probe.set("expressions", [operand.copy()])
    for key in ("order", "limit", "offset", "distinct", "qualify"):
        probe.set(key, None)
    if probe.args.get("group") is not None and _plain(operand):
        # a grouping key's operand has the same type ungrouped, and the keys (typed calls
        # bound as NULL, or resolved already) need not match the operand any more
        probe.set("group", None)
        probe.set("having", None)
    if not probe.args.get("with_"):  # the CTEs the operand sees: the nearest enclosing WITH
        scope: exp.Expr | None = select.parent
        while scope is not None and not (isinstance(scope, exp.Query) and scope.args.get("with_")):
            scope = scope.parent
        if scope is not None:
            probe.set("with_", scope.args["with_"].copy())
    return typed_calls_as_null(probe)


def _lateral_scope(select: exp.Select) -> tuple[exp.Select, int] | None:
    """For a lateral subquery without FROM (``FROM t, LATERAL (SELECT f(t.x))``), the query
    that joins it and the join's index: its operands are that query's columns."""
    lateral = select.parent.parent if isinstance(select.parent, exp.Subquery) else None
    join = lateral.parent if isinstance(lateral, exp.Lateral) else None
    outer = join.parent if isinstance(join, exp.Join) else None
    if not isinstance(outer, exp.Select) or join is None:
        return None
    return outer, outer.args["joins"].index(join)


def _sees_typed_call(cast: exp.Expr) -> bool:
    """Whether the SELECT ``cast`` is in (its FROM included) holds a typed call not resolved."""
    scope = cast.find_ancestor(exp.Select) or cast
    return any(n.name == TYPED_CALL for n in scope.find_all(exp.Anonymous))


def _plain(operand: exp.Expr) -> bool:
    """No aggregate call in ``operand`` (sqlglot's, or a call it does not know)."""
    return not any(isinstance(n, exp.AggFunc | exp.Anonymous) for n in operand.walk())


TYPED_CALL = "kaspar_typed"  # typed_rewrites' placeholder function (no DuckDB function)
_Q = TypeVar("_Q", bound=exp.Expr)


def typed_calls_as_null(query: _Q) -> _Q:
    """``query`` with the placeholder calls of ``typed_rewrites`` not resolved yet as NULL:
    DuckDB cannot bind them, and a probe for one operand's type does not depend on them (a
    join's ON clause or a WHERE copied with the FROM, a child plan compiled for a UDF's
    arguments)."""
    for node in list(query.find_all(exp.Anonymous)):
        if node.name == TYPED_CALL:
            node.replace(exp.Null())
    return query


def annotate_cast_sources(
    tree: exp.Expr,
    con: duckdb.DuckDBPyConnection,
    generate: Callable[[exp.Expr], str],
    *,
    before_typed: bool = False,
) -> None:
    """Record the DuckDB type of every cast's (and ``unix_timestamp``'s) operand (skipped when
    it cannot bind), inner casts first: the dialect writes each cast by its source and target
    types (``cast_spark``).

    ``before_typed``: the pass before ``resolve_typed``, whose probes bind the casts around
    them (a ``unix_timestamp`` of a timestamp must not be written as a string's ``strptime``
    there); casts whose scope holds a typed call not resolved yet wait for the pass after."""
    casts = list(tree.find_all(exp.Cast, exp.StrToUnix, bfs=False))
    for cast in reversed(casts):
        if SOURCE_TYPE in cast.meta or isinstance(cast.this, exp.Null):
            continue
        if before_typed and _sees_typed_call(cast):
            continue
        if isinstance(cast.this, exp.Literal) and cast.this.is_string:
            cast.meta[SOURCE_TYPE] = "VARCHAR"
            continue
        try:
            types = con.sql(generate(probe(cast.this, tree))).types
        except duckdb.Error:
            continue
        cast.meta[SOURCE_TYPE] = str(types[0])
