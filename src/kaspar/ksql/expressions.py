"""ksqlDB expressions in Spark's terms, as sqlglot trees the DataFrame API takes.

* Names: identifiers are upper-cased unless back-quoted (ksqlDB's rule).
* ``arr[1]`` is 1-based in ksqlDB (and ``m['k']`` a map lookup): ``element_at``.
* Functions sqlglot does not know by ksqlDB's name are built from ``kaspar.sql.functions``:
  ``TIMESTAMPTOSTRING``, ``STRINGTOTIMESTAMP``, ``UNIX_TIMESTAMP`` (ms), ``EXTRACTJSONFIELD``,
  ``LATEST_BY_OFFSET`` / ``EARLIEST_BY_OFFSET`` (``max_by`` / ``min_by`` over the offset), ...
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from kaspar.ksql.errors import KsqlError
from kaspar.sql import functions as F
from kaspar.sql.column import Column

OFFSET = "ROWOFFSET"


def _timestamp_to_string(args: list[Column]) -> Column:
    when = F.timestamp_millis(args[0])
    if len(args) > 2:
        when = F.from_utc_timestamp(when, _literal_text(args[2]))
    return F.date_format(when, _literal_text(args[1]))


def _string_to_timestamp(args: list[Column]) -> Column:
    return F.unix_millis(F.to_timestamp(args[0], _literal_text(args[1])))


def _literal_text(column: Column) -> str:
    if not isinstance(column.expr, exp.Literal) or not column.expr.is_string:
        raise KsqlError("The format of a timestamp function must be a string literal")
    return str(column.expr.this)


def _split(args: list[Column]) -> Column:
    """ksqlDB splits at a literal delimiter (Spark's ``split`` takes a regex)."""
    return F.split(args[0], re.escape(_literal_text(args[1])))


def _regexp_extract(args: list[Column]) -> Column:
    group = 0
    if len(args) > 2:
        if not isinstance(args[2].expr, exp.Literal) or not args[2].expr.is_int:
            raise KsqlError("REGEXP_EXTRACT's group must be a whole number")
        group = int(args[2].expr.this)
    return F.regexp_extract(args[0], _literal_text(args[1]), group)


DAY_MS = 86_400_000
SCALARS: dict[str, Callable[[list[Column]], Column]] = {
    "SPLIT": _split,
    "REGEXP_EXTRACT": _regexp_extract,
    "DATETOSTRING": lambda a: F.date_format(F.timestamp_millis(a[0] * DAY_MS), _literal_text(a[1])),
    "STRINGTODATE": lambda a: (
        F.unix_millis(F.to_timestamp(a[0], _literal_text(a[1]))) / DAY_MS
    ).cast("int"),
    "TIMESTAMPTOSTRING": _timestamp_to_string,
    "FORMAT_TIMESTAMP": lambda a: F.date_format(a[0], _literal_text(a[1])),
    "STRINGTOTIMESTAMP": _string_to_timestamp,
    "UNIX_TIMESTAMP": lambda a: F.unix_millis(a[0]) if a else F.unix_millis(F.current_timestamp()),
    "EXTRACTJSONFIELD": lambda a: F.get_json_object(a[0], _literal_text(a[1])),
    "AS_VALUE": lambda a: a[0],
    "RANDOM": lambda a: F.rand(),
    "FROM_UNIXTIME": lambda a: F.timestamp_millis(a[0]),
}


def _top_k(distinct: bool) -> Callable[[list[Column]], Column]:
    """``TOPK(col, k)``: the k largest values, largest first (``TOPKDISTINCT``: distinct)."""

    def build(args: list[Column]) -> Column:
        if not isinstance(args[1].expr, exp.Literal) or not args[1].expr.is_int:
            raise KsqlError("TOPK's k must be a whole number")
        values = F.collect_set(args[0]) if distinct else F.collect_list(args[0])
        return F.slice(F.sort_array(values, asc=False), 1, int(args[1].expr.this))

    return build


def _arrival() -> Column:
    """The order records arrive in, as ksqlDB's *_BY_OFFSET see it after repartitioning:
    the micro-batch first (its time: a later batch wins, whatever the offsets of other
    partitions), then the offset within it."""
    return F.struct(F.current_timestamp().alias("batch"), F.col(OFFSET).alias("offset"))


def _histogram(args: list[Column]) -> Column:
    """``HISTOGRAM(col)``: each distinct non-null value and how often it came, from the values
    collected (a mergeable ``collect_list`` in the engine's state)."""
    values = F.collect_list(args[0])
    distinct = F.array_distinct(values)
    counts = F.transform(distinct, lambda v: F.size(F.filter(values, lambda x: x == v)))
    return F.map_from_arrays(distinct, counts.cast("array<bigint>"))


AGGREGATES: dict[str, Callable[[list[Column]], Column]] = {
    "HISTOGRAM": _histogram,
    "TOPK": _top_k(distinct=False),
    "TOPKDISTINCT": _top_k(distinct=True),
    "LATEST_BY_OFFSET": lambda a: F.max_by(a[0], _arrival()),
    "EARLIEST_BY_OFFSET": lambda a: F.min_by(a[0], _arrival()),
    "COUNT_DISTINCT": lambda a: F.approx_count_distinct(a[0]),
}


def rewrite(tree: exp.Expr) -> exp.Expr:
    """``tree`` (parsed with the ksql dialect) in Spark's terms; a new tree. Names first, then
    calls (a replaced call's arguments are rewritten before it is built)."""
    return _calls(tree.copy().transform(_names))


def _names(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Identifier) and not node.quoted:
        upper = exp.Identifier(this=node.this.upper(), quoted=True)
        upper.meta.update(node.meta)  # line and column, for errors
        return upper
    return node


def _calls(tree: exp.Expr) -> exp.Expr:
    return tree.transform(_call)


def _call(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        return F.element_at(Column(_calls(node.this)), Column(_calls(node.expressions[0]))).expr
    if isinstance(node, exp.Struct) and all(
        isinstance(e, exp.PropertyEQ) for e in node.expressions
    ):  # STRUCT(name := value, ...)
        fields = [Column(_calls(e.expression)).alias(str(e.this.this)) for e in node.expressions]
        return F.struct(*fields).expr
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        builder = SCALARS.get(name) or AGGREGATES.get(name)
        if builder is None:
            raise KsqlError(f"Can't find any functions with the name '{name}'")
        return builder([Column(_calls(a)) for a in node.expressions]).expr
    return node


def is_aggregate(node: exp.Expr) -> bool:
    """An aggregate call, before or after ``rewrite``."""
    if isinstance(node, exp.AggFunc):
        return True
    return isinstance(node, exp.Anonymous) and str(node.this).upper() in AGGREGATES


def has_aggregate(tree: exp.Expr) -> bool:
    return any(is_aggregate(n) for n in tree.walk())


def column_name(tree: exp.Expr) -> str | None:
    """The name of a plain column reference (``a``, ``s.a``) after ``rewrite``; None else."""
    if isinstance(tree, exp.Column) and isinstance(tree.this, exp.Identifier):
        return str(tree.this.this)
    return None
