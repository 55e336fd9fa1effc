"""Spark's implicit casts for operators whose operands DuckDB will not mix.

``string_column > 30``, ``coalesce(int_column, string_column)``, ``string_column + 1``: DuckDB
refuses to bind these (no implicit cast from a non-literal ``VARCHAR``), Spark (ANSI mode)
casts the string to the other side's type (``type_widening``). When the query does not bind,
each such operator that does not bind on its own, innermost first, has its operands' DuckDB
types probed and the operands cast to Spark's common type: comparisons, ``IN``, ``BETWEEN``
and simple ``CASE`` meet all their operands; ``coalesce``, ``if``, ``CASE`` and ``array`` their
values; ``greatest``/``least`` without promoting strings, as Spark; arithmetic casts a string to
``bigint`` beside an integer and to ``double`` otherwise. A pair Spark refuses raises its
``DATATYPE_MISMATCH`` error.

A query that binds is left as it is: the walk (a probe per operator) runs only on failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import duckdb
from sqlglot import exp

from kaspar.engine.compile.cast_sources import probe
from kaspar.engine.compile.type_widening import (
    Unknown,
    common_type,
    parse_duckdb,
    spark_name,
)
from kaspar.errors import AnalysisException

Generate = Callable[[exp.Expr], str]

# What DuckDB says when operand types do not meet (its binder's messages).
_MISMATCH_MESSAGES = (
    "Cannot compare values of type",
    "Cannot mix values of type",
    "No function matches the given name and argument types",
    "Cannot deduce template type",
    "Cannot combine types",
    "an explicit cast is required",
)

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.Nullif)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
_CANDIDATES = (
    *_COMPARISONS,
    *_ARITHMETIC,
    exp.In,
    exp.Between,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Nvl2,
    exp.Array,
    exp.Greatest,
    exp.Least,
    exp.Neg,
)
# Calls whose arguments Spark casts to the types they take (``_coerce_arguments``).
_CALLS = (exp.Func, exp.Like, exp.ILike)
_NOT_CALLS = (exp.Cast, exp.TryCast, exp.Window)
_T = exp.DataType.Type
_STRINGS = frozenset({_T.TEXT, _T.VARCHAR})
_NUMBERS = frozenset({_T.TINYINT, _T.SMALLINT, _T.INT, _T.BIGINT, _T.FLOAT, _T.DOUBLE, _T.DECIMAL})
_TEXT_CASTABLE = _NUMBERS | {_T.DATE, _T.TIMESTAMPTZ, _T.TIMESTAMPNTZ, _T.BOOLEAN}


def is_type_mismatch(error: duckdb.Error) -> bool:
    """Whether DuckDB refused a query for operand types that do not meet."""
    text = str(error)
    return any(m in text for m in _MISMATCH_MESSAGES)


def coerce_operators(
    tree: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Generate, ansi: bool
) -> None:
    """Cast the operands of every operator in ``tree`` that DuckDB cannot bind as Spark would."""
    _link_parents(tree)
    nodes = [
        n
        for n in tree.find_all(*_CANDIDATES, *_CALLS, bfs=False)
        if isinstance(n, _CANDIDATES) or not isinstance(n, _NOT_CALLS)
    ]
    order = {id(n): i for i, n in enumerate(nodes)}
    # innermost queries first, and inside one query operands before their operators
    nodes.sort(key=lambda n: (-_depth(n), -order[id(n)]))
    for node in nodes:
        if _binds(node, con, generate):
            continue
        if isinstance(node, _CANDIDATES):
            _coerce(node, con, generate, ansi)
        else:
            _coerce_arguments(node, con, generate)


def _coerce_arguments(node: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Generate) -> None:
    """A function DuckDB has no overload of for its arguments' types: Spark casts a number, date
    or boolean passed for a string to ``string`` (``upper(1)``, ``1 LIKE '1%'``), and a string
    passed for a number to ``double`` (``abs('1')``, ``sum(s)``). Each cast is kept only if the
    call then binds."""
    args = [a for a in node.iter_expressions() if not isinstance(a, exp.Literal | exp.Null)]
    types = [_type_of(a, con, generate) for a in args]
    if any(t is None for t in types):
        return
    for arg, t in zip(args, types, strict=True):
        text = exp.DataType.build("VARCHAR")
        if (
            t is not None
            and t.this in _TEXT_CASTABLE
            and _try_casts(node, [arg], text, con, generate)
        ):
            return
    strings = [a for a, t in zip(args, types, strict=True) if t is not None and t.this in _STRINGS]
    if strings:
        _try_casts(node, strings, exp.DataType.build("DOUBLE"), con, generate)


def _try_casts(
    node: exp.Expr,
    operands: list[exp.Expr],
    to: exp.DataType,
    con: duckdb.DuckDBPyConnection,
    generate: Generate,
) -> bool:
    """Cast ``operands`` to ``to``; undone unless ``node`` binds then."""
    casts = []
    for operand in operands:
        cast = exp.Cast(this=operand.copy(), to=to.copy())
        operand.replace(cast)
        casts.append((cast, operand))
    if _binds(node, con, generate):
        return True
    for cast, operand in casts:
        cast.replace(operand)
    return False


def _link_parents(tree: exp.Expr) -> None:
    """Point every node at the node holding it (a rewrite may have shared a subtree), so that
    a probe finds the query an operand is in."""
    for node in tree.walk():
        for key, value in node.args.items():
            children = value if isinstance(value, list) else [value]
            for index, child in enumerate(children):
                if isinstance(child, exp.Expr):
                    child.parent = node
                    child.arg_key = key
                    child.index = index if isinstance(value, list) else None


def _depth(node: exp.Expr) -> int:
    depth, scope = 0, node.parent
    while scope is not None:
        depth += isinstance(scope, exp.Select)
        scope = scope.parent
    return depth


def _type_probe(operand: exp.Expr) -> exp.Expr:
    """A query binding ``operand`` over the rows its query reads, without that query's filters
    and join conditions (which may be what does not bind yet)."""
    query = probe(operand, operand)
    if isinstance(query, exp.Select):
        for key in ("where", "having", "group", "qualify"):
            query.set(key, None)
        for join in query.args.get("joins") or []:
            if join.args.get("on") is not None:
                join.set("on", exp.true())
            if str(join.args.get("kind") or "").upper() in ("SEMI", "ANTI"):
                join.set("kind", None)
    return query


def _type_of(
    operand: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Generate
) -> exp.DataType | None:
    if isinstance(operand, exp.Null):
        return exp.DataType.build("NULL")
    try:
        return parse_duckdb(str(con.sql(generate(_type_probe(operand))).types[0]))
    except (duckdb.Error, ValueError):
        return None


def _binds(node: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Generate) -> bool:
    try:
        con.sql(generate(_type_probe(node)))
    except duckdb.Error:
        return False
    return True


def _coerce(node: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Generate, ansi: bool) -> None:
    if isinstance(node, exp.Neg):
        _cast_strings([node.this], con, generate, exp.DataType.build("DOUBLE"))
        return
    if isinstance(node, _ARITHMETIC):
        _arithmetic(node, con, generate, ansi)
        return
    if isinstance(node, exp.In) and node.args.get("query") is not None:
        _in_subquery(node, con, generate, ansi)
        return
    for operands, error in _operand_groups(node):
        _meet(node, operands, error, con=con, generate=generate, ansi=ansi)


def _meet(
    node: exp.Expr,
    operands: list[exp.Expr],
    error: str,
    *,
    con: duckdb.DuckDBPyConnection,
    generate: Generate,
    ansi: bool,
) -> None:
    """Cast ``operands`` to their common type (Spark's error if they have none)."""
    if len(operands) < 2:
        return
    types = [_type_of(o, con, generate) for o in operands]
    known = [t for t in types if t is not None]
    if len(known) < len(types):
        return
    strict = isinstance(node, exp.Greatest | exp.Least)
    if strict and {t.this in _STRINGS for t in known if t.this != _T.NULL} == {True, False}:
        _refuse(node, known, error)
    legacy = _legacy_comparison(node, known) if not ansi else None
    if legacy is not None:  # legacy mode: the string is cast to the other side's type
        known = [t if t.this in _STRINGS else legacy for t in known]
        for operand, t in zip(operands, known, strict=True):
            if t.this in _STRINGS:
                operand.replace(exp.Cast(this=operand.copy(), to=legacy.copy()))
        return
    target: exp.DataType = known[0]
    for t in known[1:]:
        common = common_type(target, t, ansi=ansi)
        if isinstance(common, Unknown):
            return
        if common is None:
            _refuse(node, known, error)
        target = common
    for operand, t in zip(operands, known, strict=True):
        if t != target and t.this != _T.NULL:  # DuckDB meets NULL with anything
            operand.replace(exp.Cast(this=operand.copy(), to=target.copy()))


def _operand_groups(node: exp.Expr) -> list[tuple[list[exp.Expr], str]]:
    """The groups of operands that must each meet at one type, with the error class when
    they cannot."""
    if isinstance(node, _COMPARISONS):
        return [([node.this, node.expression], "BINARY_OP_DIFF_TYPES")]
    if isinstance(node, exp.In):
        if node.args.get("query") is not None:
            return []
        return [([node.this, *node.expressions], "DATA_DIFF_TYPES")]
    if isinstance(node, exp.Between):
        return [([node.this, node.args["low"], node.args["high"]], "DATA_DIFF_TYPES")]
    if isinstance(node, exp.Case):
        ifs = node.args.get("ifs") or []
        default = node.args.get("default")
        values = [i.args["true"] for i in ifs] + ([default] if default is not None else [])
        groups = [(values, "DATA_DIFF_TYPES")]
        if node.this is not None:  # CASE key WHEN value: the key meets the values
            groups.insert(0, ([node.this, *(i.this for i in ifs)], "DATA_DIFF_TYPES"))
        return groups
    if isinstance(node, exp.If | exp.Nvl2):
        values = [node.args.get("true"), node.args.get("false")]
        return [([v for v in values if v is not None], "DATA_DIFF_TYPES")]
    if isinstance(node, exp.Coalesce | exp.Greatest | exp.Least):
        return [([node.this, *node.expressions], "DATA_DIFF_TYPES")]
    if isinstance(node, exp.Array):
        return [(list(node.expressions), "DATA_DIFF_TYPES")]
    return []


def _in_subquery(
    node: exp.In, con: duckdb.DuckDBPyConnection, generate: Generate, ansi: bool
) -> None:
    """``x IN (SELECT y ...)``: ``x`` and ``y`` meet at their common type."""
    query = node.args["query"]
    inner = query.this if isinstance(query, exp.Subquery) else query
    value = _type_of(node.this, con, generate)
    try:
        column = parse_duckdb(str(con.sql(generate(inner)).types[0]))
    except (duckdb.Error, ValueError):  # correlated: not typed alone
        return
    if value is None:
        return
    common = common_type(value, column, ansi=ansi)
    if common is None:
        _refuse(node, [value, column], "DATA_DIFF_TYPES")
    if isinstance(common, Unknown):
        return
    if value != common:
        node.this.replace(exp.Cast(this=node.this.copy(), to=common.copy()))
    if column != common:
        alias = exp.TableAlias(this=exp.to_identifier("_in"), columns=[exp.to_identifier("_c0")])
        cast = exp.Cast(this=exp.column("_c0", table="_in"), to=common.copy())
        source = exp.Subquery(this=inner.copy(), alias=alias)
        query.replace(exp.select(cast).from_(source).subquery())


def _legacy_comparison(node: exp.Expr, types: list[exp.DataType]) -> exp.DataType | None:
    """The type a string meets a number, date, timestamp or boolean at in a comparison (or
    ``BETWEEN``) in legacy mode: that other type."""
    if not isinstance(node, (*_COMPARISONS, exp.Between)):
        return None
    others = {t.sql("duckdb"): t for t in types if t.this not in _STRINGS and t.this != _T.NULL}
    has_string = any(t.this in _STRINGS for t in types)
    if not has_string or len(others) != 1:
        return None
    (other,) = others.values()
    return other if other.this in _TEXT_CASTABLE else None


def _arithmetic(
    node: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Generate, ansi: bool
) -> None:
    left, right = node.this, node.expression
    lt, rt = _type_of(left, con, generate), _type_of(right, con, generate)
    if lt is None or rt is None:
        return
    if not ansi:  # legacy mode: a string in arithmetic is a double
        for operand, own, other in ((left, lt, rt), (right, rt, lt)):
            if own.this in _STRINGS and (other.this in _NUMBERS or other.this in _STRINGS):
                operand.replace(exp.Cast(this=operand.copy(), to=exp.DataType.build("DOUBLE")))
        return
    if lt.this in _STRINGS and rt.this in _STRINGS:
        for operand in (left, right):
            operand.replace(exp.Cast(this=operand.copy(), to=exp.DataType.build("DOUBLE")))
        return
    for operand, own, other in ((left, lt, rt), (right, rt, lt)):
        if own.this in _STRINGS and other.this in _NUMBERS:
            common = common_type(own, other)
            if isinstance(common, exp.DataType):
                operand.replace(exp.Cast(this=operand.copy(), to=common))


def _cast_strings(
    operands: list[exp.Expr],
    con: duckdb.DuckDBPyConnection,
    generate: Generate,
    to: exp.DataType,
) -> None:
    for operand in operands:
        t = _type_of(operand, con, generate)
        if t is not None and t.this in _STRINGS:
            operand.replace(exp.Cast(this=operand.copy(), to=to.copy()))


def _refuse(node: exp.Expr, types: list[exp.DataType], error: str) -> NoReturn:
    from kaspar.engine.plan.naming import output_name  # naming -> dialect -> compile

    names = " and ".join(f'"{spark_name(t)}"' for t in types)
    if error == "BINARY_OP_DIFF_TYPES":
        reason = (
            f"the left and right operands of the binary operator have incompatible types ({names})."
        )
    else:
        listed = ", ".join(spark_name(t) for t in types)
        reason = f"Input to `{node.key}` should all be the same type, but it's [{listed}]."
    raise AnalysisException(
        f'Cannot resolve "{output_name(node)}" due to data type mismatch: {reason}',
        f"DATATYPE_MISMATCH.{error}",
    )


__all__ = ["coerce_operators", "is_type_mismatch"]
