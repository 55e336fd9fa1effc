"""Spark functions whose DuckDB namesake behaves differently, rewritten as DuckDB trees.

Each rewrite takes the node sqlglot's Spark parser builds (so ``F.trunc`` and
``expr("trunc(...)")`` meet here) and returns the tree DuckDB must run:

* ``array_sort(a)`` sorts ascending with NULLs **last**; ``sort_array(a, asc)`` puts NULLs first
  ascending and last descending. Both orders are written out (DuckDB's default null order is a
  connection setting).
* ``trunc(date, fmt)`` returns a DATE, truncated to the year (``year``/``yyyy``/``yy``), quarter,
  month (``month``/``mon``/``mm``) or Monday-based week; any other format gives NULL.
* ``url_decode(s)`` decodes ``+`` as a space (Java's ``URLDecoder``).
* ``(a, b)`` selected or passed to a function is Spark's row constructor: a struct with the
  fields ``col1``, ``col2`` (DuckDB would make an unnamed tuple).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from kaspar.engine.compile import counter_diff

_REWRITTEN = "kaspar_rewritten"

_TRUNC_UNITS = {
    "YEAR": "YEAR",
    "YYYY": "YEAR",
    "YY": "YEAR",
    "QUARTER": "QUARTER",
    "MONTH": "MONTH",
    "MON": "MONTH",
    "MM": "MONTH",
    "WEEK": "WEEK",
}


def _literal_bool(value: exp.Expr | None, default: bool) -> bool | None:
    if value is None:
        return default
    if isinstance(value, exp.Boolean):
        return bool(value.this)
    return None


def array_sort(e: exp.ArraySort) -> exp.Expr | None:
    """``LIST_SORT(a, 'ASC'|'DESC', 'NULLS FIRST'|'NULLS LAST')``; None when not literal."""
    if e.args.get("expression") is not None:
        return None  # a comparator: left to sqlglot (which refuses it)
    asc = _literal_bool(e.args.get("asc"), True)
    nulls_first = _literal_bool(e.args.get("nulls_first"), False)
    if asc is None or nulls_first is None:
        return None
    return exp.Anonymous(
        this="LIST_SORT",
        expressions=[
            e.this.copy(),
            exp.Literal.string("ASC" if asc else "DESC"),
            exp.Literal.string("NULLS FIRST" if nulls_first else "NULLS LAST"),
        ],
    )


def _trunc_to(date: exp.Expr, unit: str) -> exp.Expr:
    truncated = exp.Anonymous(this="DATE_TRUNC", expressions=[exp.Literal.string(unit), date])
    return exp.Cast(this=truncated, to=exp.DataType.build("DATE"))


def _trunc(args: list[exp.Expr]) -> exp.Expr | None:
    """Spark's ``trunc(date, fmt)``: a DATE, or NULL for an unknown format."""
    if len(args) != 2:
        return None
    date = exp.Cast(this=args[0], to=exp.DataType.build("DATE"))
    unit = args[1]
    null_date = exp.Cast(this=exp.Null(), to=exp.DataType.build("DATE"))
    if isinstance(unit, exp.Literal) and unit.is_string:
        name = _TRUNC_UNITS.get(str(unit.this).upper())
        return null_date if name is None else _trunc_to(date, name)
    upper = exp.Upper(this=unit)
    ifs = [
        exp.If(
            this=exp.EQ(this=upper.copy(), expression=exp.Literal.string(k)),
            true=_trunc_to(date.copy(), v),
        )
        for k, v in _TRUNC_UNITS.items()
    ]
    return exp.Case(ifs=ifs, default=null_date)


def _url_decode(args: list[exp.Expr]) -> exp.Expr:
    spaces = exp.Anonymous(
        this="REPLACE", expressions=[args[0], exp.Literal.string("+"), exp.Literal.string(" ")]
    )
    return _final(exp.Anonymous(this="URL_DECODE", expressions=[spaces]))


def _final(e: exp.Anonymous) -> exp.Anonymous:
    """A DuckDB call that shares its Spark namesake's name: never rewritten again."""
    e.meta[_REWRITTEN] = True
    return e


def _no_file(value: exp.Expr) -> Callable[[list[exp.Expr]], exp.Expr | None]:
    """``input_file_name()`` and its block functions where the analyzer did not resolve them
    (Spark SQL text): the values Spark gives without a file."""
    return lambda args: None if args else value.copy()


def substring_index(args: list[exp.Expr]) -> exp.Expr:
    """``substring_index(s, delim, n)`` in SQL text: the text before the ``n``-th delimiter
    (after the ``-n``-th from the end when ``n`` < 0); ``''`` for ``n`` = 0 or an empty one."""
    text, delim, count = args
    parts = exp.Anonymous(this="string_split", expressions=[text, delim])
    one, minus_one = exp.Literal.number(1), exp.Literal.number(-1)

    def joined(start: exp.Expr, end: exp.Expr) -> exp.Expr:
        sliced = exp.Anonymous(this="list_slice", expressions=[parts.copy(), start, end])
        if isinstance(delim, exp.Literal):
            return exp.Anonymous(this="array_to_string", expressions=[sliced, delim.copy()])
        # DuckDB joins with a constant only: joined with NUL, then NUL replaced by ``delim``
        nul = exp.Anonymous(this="chr", expressions=[exp.Literal.number(0)])
        text = exp.Anonymous(this="array_to_string", expressions=[sliced, nul])
        return exp.Anonymous(this="replace", expressions=[text, nul.copy(), delim.copy()])

    empty = exp.or_(
        exp.EQ(this=count.copy(), expression=exp.Literal.number(0)),
        exp.EQ(this=delim.copy(), expression=exp.Literal.string("")),
    )
    positive = exp.GT(this=count.copy(), expression=exp.Literal.number(0))
    return (
        exp.case()
        .when(empty, exp.Literal.string(""))
        .when(positive, joined(one, count.copy()))
        .else_(joined(count.copy(), minus_one))
    )


# Calls sqlglot leaves as ``exp.Anonymous`` (lower-case Spark name -> rewrite of the arguments).
ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr | None]] = {
    "counter_diff": counter_diff.without_over,
    "input_file_name": _no_file(exp.Literal.string("")),
    "input_file_block_start": _no_file(exp.cast(exp.Literal.number(-1), "BIGINT")),
    "input_file_block_length": _no_file(exp.cast(exp.Literal.number(-1), "BIGINT")),
    "trunc": _trunc,
    "url_decode": _url_decode,
}


def anonymous(e: exp.Anonymous) -> exp.Expr | None:
    rewrite = ANONYMOUS.get(str(e.this).lower())
    if rewrite is None or e.meta.get(_REWRITTEN):
        return None
    return rewrite([a.copy() for a in e.expressions])


def row_constructor(expression: exp.Tuple) -> exp.Expr | None:
    """``(a, b)`` as Spark's struct ``{col1: a, col2: b}`` where it is a value (selected,
    aliased or a function's argument); ``None`` where it is a list (``IN``, ``VALUES``,
    grouping sets)."""
    parent = expression.parent
    is_value = isinstance(parent, exp.Alias | exp.Select) or (
        isinstance(parent, exp.Func) and not isinstance(parent, exp.Predicate)
    )
    if not is_value or (isinstance(parent, exp.Select) and expression.arg_key != "expressions"):
        return None
    fields = [
        exp.PropertyEQ(this=exp.to_identifier(f"col{i}", quoted=True), expression=e.copy())
        for i, e in enumerate(expression.expressions, start=1)
    ]
    return exp.Struct(expressions=fields)
