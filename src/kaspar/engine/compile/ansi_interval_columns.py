"""Spark's operations on interval-typed columns, chosen once DuckDB's binder knows the types.

A column holding an ANSI interval (``select d + d from (select interval '1' day as d)``) looks
like any other column to the parser, so ``ansi_interval_sql`` cannot rewrite its arithmetic.
Before the typed passes, ``type_interval_operations`` turns the candidate operations of a
compiled tree into typed calls (``typed_rewrites``) that dispatch on their operands' types:

* ``+ - * /``, negation and comparisons written by the user (``SPARK_OPERATOR``: the Spark SQL
  parser's and the ``Column`` operators' nodes, not kaspar's own arithmetic) and ``sum`` /
  ``avg`` (windowed too), when the query may hold an ANSI interval (``_kinds_in_play``);
* every user subtraction of two non-literal operands when the query may hold a date or a
  timestamp: Spark's ``date - date`` is an
  ``interval day`` and ``timestamp - timestamp`` an ``interval day to second``.

Operands that are not intervals keep the operation as it was.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import duckdb
from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.ansi_interval_arithmetic import (
    SUM_OVERFLOW,
    arithmetic_rewrite,
    checked_interval,
    scaling_rewrite,
    wide_value,
)
from kaspar.engine.compile.ansi_interval_carrier import ANSI_INTERVAL, carried_type
from kaspar.engine.compile.ansi_interval_widening import (
    CHOICES,
    widen_choice,
    widen_set_operation,
    widen_values,
)
from kaspar.engine.compile.cast_sources import TYPED_CALL, probe, typed_calls_as_null
from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.compile.typed_rewrites import TYPED, Rewrite, typed_call
from kaspar.engine.plan.naming import output_name
from kaspar.engine.type_conversion import DAY_TIME_FIELD, YEAR_MONTH_FIELD, ansi_interval_field
from kaspar.errors import AnalysisException

SPARK_OPERATOR = "kaspar_spark_operator"  # meta key: an operator node the user wrote
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div)
_CANDIDATES = (exp.Sum, exp.Avg, exp.Values, exp.SetOperation, *CHOICES)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ)
_TIMESTAMPS: frozenset[str] = frozenset(
    {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"}
)
_NUMBERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_MOMENTS = _TIMESTAMPS | {"DATE", "TIME"}
_UNEXPECTED = "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE"
_MOMENT_TYPES = frozenset(
    {
        exp.DataType.Type.DATE,
        exp.DataType.Type.DATETIME,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.TIMESTAMPLTZ,
        exp.DataType.Type.TIMESTAMPNTZ,
        exp.DataType.Type.TIMESTAMP_S,
        exp.DataType.Type.TIMESTAMP_MS,
        exp.DataType.Type.TIMESTAMP_NS,
    }
)
_MOMENT_NAME = re.compile(r"date|time|day|month|year|week|unix|epoch|now|trunc|moment", re.I)
_DIFF_TYPES = "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES"


def spark_operator(node: exp.Expr) -> exp.Expr:
    """``node`` marked as an operator the user wrote (its operands' types choose its SQL)."""
    node.meta[SPARK_OPERATOR] = True
    return node


def _literal(e: exp.Expr) -> bool:
    inner = e.unnest() if isinstance(e, exp.Paren) else e
    if isinstance(inner, exp.Neg):
        inner = inner.this
    return isinstance(inner, exp.Literal | exp.Null | exp.Boolean)


def _carrier_text(text: str) -> bool:
    return DAY_TIME_FIELD in text or YEAR_MONTH_FIELD in text


def _source_types(
    tree: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Callable[[exp.Expr], str]
) -> list[str]:
    """The DuckDB types of the columns of every table ``tree`` reads (cheap binds: no
    nested query)."""
    sources: list[exp.Expr] = list(tree.find_all(exp.Table))
    sources += [
        f.this for f in tree.find_all(exp.From, exp.Join) if isinstance(f.this, exp.Identifier)
    ]
    kinds: list[str] = []
    for text in dict.fromkeys(generate(source) for source in sources):
        try:
            types = con.sql(f"SELECT * FROM {text} LIMIT 0").types  # noqa: S608
        except duckdb.Error:  # a CTE's name: its body is in the tree
            continue
        kinds += [str(t) for t in types]
    return kinds


def _written_interval(node: exp.Expr) -> bool:
    """An interval literal, function or cast (a carrier's field name) in the tree."""
    if isinstance(node, exp.Interval) or node.meta.get(ANSI_INTERVAL):
        return True
    return isinstance(node, exp.Identifier) and _carrier_text(node.name)


def _written_moment(node: exp.Expr) -> bool:
    """A node that may give a date or a timestamp (a cast to one, a datetime function)."""
    if isinstance(node, exp.Cast):
        to = node.args.get("to")
        return isinstance(to, exp.DataType) and to.this in _MOMENT_TYPES
    if isinstance(node, exp.Anonymous):
        return bool(_MOMENT_NAME.search(str(node.this)))
    return isinstance(node, exp.Func) and _moment_class(type(node).__name__)


@functools.cache
def _moment_class(name: str) -> bool:
    return bool(_MOMENT_NAME.search(name))


def _kinds_in_play(
    tree: exp.Expr,
    nodes: list[exp.Expr],
    con: duckdb.DuckDBPyConnection,
    generate: Callable[[exp.Expr], str],
) -> tuple[bool, bool]:
    """Whether an ANSI interval, and whether a date or a timestamp, may flow through ``tree``
    (its ``nodes``): written in it, or in a table it reads."""
    types = _source_types(tree, con, generate)
    intervals = any(_written_interval(n) for n in nodes) or any(map(_carrier_text, types))
    moments = intervals or any(_written_moment(n) for n in nodes)
    moments = moments or any(t.startswith(("DATE", "TIMESTAMP", "TIME")) for t in types)
    return intervals, moments


def _template(node: exp.Expr) -> exp.Expr:
    """``node`` without its operands (a shape to rebuild it with resolved ones)."""
    shape = node.copy()
    for key in ("this", "expression"):
        shape.set(key, None)
    return shape


def _rebuilt(shape: exp.Expr, operands: list[exp.Expr]) -> exp.Expr:
    node = shape.copy()
    node.set("this", operands[0].copy())
    if len(operands) > 1:
        node.set("expression", operands[1].copy())
    return node


def _refused(shape: exp.Expr, operands: list[exp.Expr], types: list[str], condition: str) -> None:
    text = _rebuilt(shape, operands).sql(dialect="spark")
    raise AnalysisException(
        f'Cannot resolve "{text}" due to data type mismatch: the operator does not take '
        f"operands of types {' and '.join(types)}.",
        condition,
    )


def _spark_type(kind: DuckDBPyType) -> str:
    dtype = carried_type(kind)
    return f'"{(dtype.simpleString() if dtype else str(kind)).upper()}"'


def _kinds(types: list[DuckDBPyType]) -> list[str]:
    return [str(t).strip('"') for t in types]


def _is_number(kind: str) -> bool:
    return kind.startswith(_NUMBERS)


def _refusal(node: exp.Expr, types: list[DuckDBPyType]) -> str | None:
    """Spark's error class for an operation with an interval operand it does not take (None:
    it does)."""
    a, b = (carried_type(t) for t in types)
    kinds = _kinds(types)
    if "NULL" in kinds:
        return None
    if isinstance(node, exp.Add | exp.Sub) and a is not None and b is not None:
        if type(a) is type(b):
            return None
        diff = isinstance(node, exp.Sub) and isinstance(a, T.DayTimeIntervalType)
        return _DIFF_TYPES if diff else _UNEXPECTED
    if isinstance(node, exp.Add) and (kinds[0] in _MOMENTS or kinds[1] in _MOMENTS):
        return None
    if isinstance(node, exp.Sub) and b is not None and kinds[0] in _MOMENTS:
        return None
    if isinstance(node, exp.Mul) and (_is_number(kinds[0]) or _is_number(kinds[1])):
        return None
    if isinstance(node, exp.Div) and a is not None and _is_number(kinds[1]):
        return None
    if isinstance(node, exp.Div) and a is None:
        return _DIFF_TYPES
    return _UNEXPECTED


def _typed_null(node: exp.Expr, types: list[DuckDBPyType]) -> exp.Expr:
    """An interval operation with a NULL operand: a NULL of the result's type."""
    dtype = next(d for d in (carried_type(t) for t in types) if d is not None)
    if isinstance(node, exp.Mul | exp.Div):
        dtype = type(dtype)()
    sql_type = "INTEGER" if isinstance(dtype, T.YearMonthIntervalType) else "BIGINT"
    return fill(f"CAST(_x_ AS STRUCT({ansi_interval_field(dtype)} {sql_type}))", exp.null())


def _difference(operands: list[exp.Expr], kinds: list[str]) -> exp.Expr | None:
    """Spark's ``date - date`` (``interval day``) and ``timestamp - timestamp`` (``interval
    day to second``); None for other operand types."""
    a, b = (o.copy() for o in operands)
    if kinds == ["DATE", "DATE"]:
        days = fill("CAST(_x_ AS HUGEINT) * 86400000000", exp.paren(exp.Sub(this=a, expression=b)))
        return checked_interval(days, T.DayTimeIntervalType(0, 0), tolerant=False)
    moments = _TIMESTAMPS | {"DATE"}
    if not (kinds[0] in moments and kinds[1] in moments):
        return None
    if kinds[0] != kinds[1]:
        a, b = (fill("CAST(_x_ AS TIMESTAMPTZ)", o) for o in (a, b))
    total = exp.Sub(
        this=fill("CAST(epoch_us(_x_) AS HUGEINT)", a),
        expression=fill("CAST(epoch_us(_x_) AS HUGEINT)", b),
    )
    return checked_interval(total, T.DayTimeIntervalType(0, 3), tolerant=False)


def _spark_name(node: exp.Expr, types: list[DuckDBPyType], names: tuple[str, str]) -> str | None:
    """The name Spark gives an interval operation once it knows the types, where it differs
    from the name written: ``interval * n`` for ``n * interval``, a datetime first and without
    parentheses for ``datetime +/- interval``, ``date_add`` for a date and whole days."""
    dtypes = [carried_type(t) for t in types]
    kinds = _kinds(types)
    if isinstance(node, exp.Mul) and dtypes[0] is None and dtypes[1] is not None:
        return f"({names[1]} * {names[0]})"
    if not isinstance(node, exp.Add | exp.Sub) or None not in dtypes or dtypes == [None, None]:
        return None
    moment = 0 if dtypes[0] is None else 1
    interval = dtypes[1 - moment]
    if kinds[moment] not in _MOMENTS:
        return None
    first, second = names[moment], names[1 - moment]
    whole_days = isinstance(interval, T.DayTimeIntervalType) and interval.endField == 0
    if kinds[moment] == "DATE" and whole_days:
        days = f"extractansiintervaldays({second})"
        return f"date_add({first}, {'(- ' + days + ')' if isinstance(node, exp.Sub) else days})"
    return f"{first} {'-' if isinstance(node, exp.Sub) else '+'} {second}"


def _binary_rewrite(node: exp.Expr, rename: Callable[[str], None] | None = None) -> Rewrite:
    shape = _template(node)
    subtract = isinstance(node, exp.Sub)
    names = (output_name(node.this), output_name(node.expression)) if rename else ("", "")

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        dtypes = [carried_type(t) for t in types]
        kinds = _kinds(types)
        if any(d is not None for d in dtypes):
            refusal = _refusal(node, types)
            if refusal is not None:
                _refused(shape, operands, [_spark_type(t) for t in types], refusal)
            name = _spark_name(node, types, names) if rename else None
            if rename and name:
                rename(name)
            if "NULL" in kinds:
                return _typed_null(node, types)
            if isinstance(node, exp.Add | exp.Sub):
                return arithmetic_rewrite(subtract)(operands, types)
            return scaling_rewrite(isinstance(node, exp.Div))(operands, types)
        if subtract:
            difference = _difference(operands, kinds)
            if difference is not None:
                return difference
        return _rebuilt(shape, operands)

    return rewrite


def _comparison_rewrite(node: exp.Expr) -> Rewrite:
    shape = _template(node)

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        a, b = (carried_type(t) for t in types)
        if a is None or b is None:
            return _rebuilt(shape, operands)
        if type(a) is not type(b):
            _refused(shape, operands, [_spark_type(t) for t in types], _DIFF_TYPES)
        values = [fill("struct_extract_at(_x_, 1)", o.copy()) for o in operands]
        return _rebuilt(shape, values)

    return rewrite


def _negation_rewrite(node: exp.Expr) -> Rewrite:
    shape = _template(node)

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        dtype = carried_type(types[0])
        if dtype is None:
            return _rebuilt(shape, operands)
        negated = exp.Neg(this=exp.paren(wide_value(operands[0])))
        return checked_interval(negated, dtype, tolerant=False)

    return rewrite


def _aggregate_rewrite(node: exp.Expr, aggregate: exp.Expr) -> Rewrite:
    """``sum`` / ``avg`` (``node``: the call, or the window around it) of an interval: the sum
    of its months or microseconds, Spark's overflow error beyond the type's range; ``avg``
    divides by the count rounding half up, as ``interval year to month`` or ``interval day
    to second``; ``DISTINCT`` kept."""
    whole = node.copy()
    distinct = isinstance(aggregate.this, exp.Distinct)

    def argument(value: exp.Expr) -> exp.Expr:
        return exp.Distinct(expressions=[value]) if distinct else value

    def with_call(call: exp.Expr) -> exp.Expr:
        if whole is aggregate or not isinstance(whole, exp.Window):
            return call
        window = whole.copy()
        window.set("this", call)
        return window

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        dtype = carried_type(types[0])
        operand = operands[0].copy()
        if dtype is None:
            call = aggregate.copy()
            call.set("this", argument(operand))
            return with_call(call)
        total = with_call(exp.Sum(this=argument(wide_value(operand))))
        if isinstance(aggregate, exp.Sum):
            return checked_interval(total, dtype, tolerant=False, message=SUM_OVERFLOW)
        count = with_call(exp.Count(this=argument(operand.copy())))
        mean = fill(
            "CASE WHEN _c_ = 0 THEN NULL ELSE sign(_x_) * ((abs(_x_) * 2 + _c_) // (2 * _c_)) END",
            total,
        ).transform(lambda n: count.copy() if isinstance(n, exp.Column) and n.name == "_c_" else n)
        return checked_interval(mean, type(dtype)(), tolerant=False)

    return rewrite


def _types(
    operands: list[exp.Expr],
    tree: exp.Expr,
    con: duckdb.DuckDBPyConnection,
    generate: Callable[[exp.Expr], str],
) -> list[DuckDBPyType] | None:
    """The DuckDB types of ``operands`` (one probe for all when it binds), None if they do
    not bind."""
    together = probe(operands[0], tree)
    together.set("expressions", [o.copy() for o in operands])
    try:
        return list(con.sql(generate(together)).types)
    except duckdb.Error:
        pass
    try:
        return [con.sql(generate(probe(o, tree))).types[0] for o in operands]
    except duckdb.Error:
        return None


Types = Callable[[list[exp.Expr]], list[DuckDBPyType] | None]


def _resolved(node: exp.Expr, operands: list[exp.Expr], rewrite: Rewrite, types_of: Types) -> None:
    """``node`` replaced by ``rewrite`` of its operands' types; left as it is when they do not
    bind on their own (a lambda's variables, an outer query's columns). Operands holding a
    typed call not resolved yet make a typed call of ``node`` (``resolve_typed``)."""
    if any(n.name == TYPED_CALL for o in operands for n in o.find_all(exp.Anonymous)):
        call = typed_call(operands, rewrite)
        call.meta.update({k: v for k, v in node.meta.items() if k not in (TYPED, SPARK_OPERATOR)})
        node.replace(call)
        return
    types = types_of(operands)
    if types is None:
        return
    replacement = rewrite([o.copy() for o in operands], types)
    for key, value in node.meta.items():
        replacement.meta.setdefault(key, value)
    node.replace(replacement)


def _user_subtraction(node: exp.Expr) -> bool:
    return (
        isinstance(node, exp.Sub)
        and bool(node.meta.get(SPARK_OPERATOR))
        and not _literal(node.this)
        and not _literal(node.expression)
    )


def _renamer(node: exp.Expr) -> Callable[[str], None] | None:
    """Renames the projection ``node`` is, if it has the name a SQL query's projection gets
    when the user gives none (``name_projections``): Spark's name depends on the types."""
    alias = node.parent
    if not (isinstance(alias, exp.Alias) and isinstance(alias.parent, exp.Select)):
        return None
    if alias.alias != output_name(node):
        return None

    def rename(name: str) -> None:
        alias.set("alias", exp.to_identifier(name, quoted=True))

    return rename


def _operation(
    node: exp.Expr, intervals: bool, moments: bool
) -> tuple[list[exp.Expr], Rewrite] | None:
    """The operands and typed rewrite of ``node`` if it may be an interval operation (or a
    datetime difference); ``intervals``, ``moments``: the query may hold an ANSI interval, a
    date or a timestamp."""
    binary = [node.this, node.expression] if isinstance(node, exp.Binary) else []
    if (moments and _user_subtraction(node)) or (
        intervals and node.meta.get(SPARK_OPERATOR) and isinstance(node, _ARITHMETIC)
    ):
        if _literal(node.this) and _literal(node.expression):
            return None
        renamer = _renamer(node) if isinstance(node, exp.Add | exp.Sub | exp.Mul) else None
        return binary, _binary_rewrite(node, renamer)
    if not intervals:
        return None
    if node.meta.get(SPARK_OPERATOR) and isinstance(node, _COMPARISONS):
        if _literal(node.this) or _literal(node.expression):
            return None
        return binary, _comparison_rewrite(node)
    if node.meta.get(SPARK_OPERATOR) and isinstance(node, exp.Neg):
        return [node.this], _negation_rewrite(node)
    if isinstance(node, exp.Sum | exp.Avg) and not isinstance(node.parent, exp.Window):
        aggregate = node
    elif isinstance(node, exp.Window) and isinstance(node.this, exp.Sum | exp.Avg):
        aggregate = node.this
    else:
        return None
    operand = aggregate.this
    if isinstance(operand, exp.Distinct):
        if len(operand.expressions) != 1:
            return None
        operand = operand.expressions[0]
    return [operand], _aggregate_rewrite(node, aggregate)


def type_interval_operations(
    tree: exp.Expr, con: duckdb.DuckDBPyConnection, generate: Callable[[exp.Expr], str]
) -> None:
    """Rewrite the operations of ``tree`` that apply to ANSI intervals (or subtract dates or
    timestamps) by their operands' types, innermost first."""
    nodes = list(tree.walk(bfs=False))
    if not any(isinstance(n, _CANDIDATES) or n.meta.get(SPARK_OPERATOR) for n in nodes):
        return
    intervals, moments = _kinds_in_play(tree, nodes, con, generate)
    if not moments:
        return

    def types_of(operands: list[exp.Expr]) -> list[DuckDBPyType] | None:
        return _types(operands, tree, con, generate)

    def query_types(query: exp.Expr) -> list[str]:
        try:
            return [str(t) for t in con.sql(generate(typed_calls_as_null(query.copy()))).types]
        except duckdb.Error:  # a CTE's name, an outer query's column
            return []

    for node in reversed(nodes):
        if node.find_ancestor(exp.Lambda) is not None:  # a lambda's variables do not bind alone
            continue
        if intervals and isinstance(node, exp.Values):
            widen_values(node)
        elif intervals and isinstance(node, exp.SetOperation):
            widen_set_operation(node, query_types)
        elif intervals:
            widen_choice(node, types_of)
        operation = _operation(node, intervals, moments)
        if operation is not None:
            _resolved(node, *operation, types_of)


__all__ = ["SPARK_OPERATOR", "spark_operator", "type_interval_operations"]
