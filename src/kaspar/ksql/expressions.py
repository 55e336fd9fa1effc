"""ksqlDB expressions in Spark's terms, as sqlglot trees the DataFrame API takes.

* Names: identifiers are upper-cased unless back-quoted (ksqlDB's rule).
* ``arr[1]`` is 1-based in ksqlDB (and ``m['k']`` a map lookup): ``element_at``.
* ksqlDB's functions whose meaning is not Spark's are anonymous calls (``dialect.py``), built
  by ``functions.py``'s table (``function_builders.py``): ``TIMESTAMPTOSTRING``,
  ``UNIX_TIMESTAMP`` (ms), ``LATEST_BY_OFFSET`` (``max_by`` over the offset), ``MASK``, ...
* ``CAST(x AS BOOLEAN)``: true for the string 'true' in any case, false for any other.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.ksql import function_builders
from kaspar.ksql.errors import KsqlError
from kaspar.ksql.functions import builder, is_aggregate_name
from kaspar.sql import functions as F
from kaspar.sql.column import Column

OFFSET = function_builders.OFFSET


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
        build = builder(name)
        if build is None:
            raise KsqlError(f"Can't find any functions with the name '{name}'")
        return build([Column(_calls(a)) for a in node.expressions]).expr
    if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.BOOLEAN):
        # ksqlDB: a string is true when it is 'true' in any case, false otherwise
        value = Column(_calls(node.this))
        return (F.lower(value.cast("string")) == "true").expr
    return node


def is_aggregate(node: exp.Expr) -> bool:
    """An aggregate call, before or after ``rewrite``."""
    if isinstance(node, exp.AggFunc):
        return True
    return isinstance(node, exp.Anonymous) and is_aggregate_name(str(node.this))


def has_aggregate(tree: exp.Expr) -> bool:
    return any(is_aggregate(n) for n in tree.walk())


def column_name(tree: exp.Expr) -> str | None:
    """The name of a plain column reference (``a``, ``s.a``) after ``rewrite``; None else."""
    if isinstance(tree, exp.Column) and isinstance(tree.this, exp.Identifier):
        return str(tree.this.this)
    return None
