"""Registered UDTFs in ``spark.sql`` text.

* ``FROM f(1, x => 'a')`` and ``FROM f(TABLE(t))``: the call is made as from Python (the
  ``TABLE(name)`` or ``TABLE(query)`` argument is ``spark.table``/``spark.sql`` as a TABLE
  argument) and its DataFrame read as a temporary view for the statement.
* ``FROM t, LATERAL f(t.x)``: the call's output list per row of ``t``, unnested into the
  schema's columns inside the lateral subquery, so each row of ``t`` meets its own rows.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.engine.compile.dialect import (
    TABLE_ORDER_BY,
    TABLE_PARTITION_BY,
    TABLE_SINGLE_PARTITION,
)
from kaspar.sql.column import Column
from kaspar.sql.table_arg import TableArg

if TYPE_CHECKING:
    from kaspar.sql.session import SparkSession
    from kaspar.sql.udtf import UserDefinedTableFunction

_views = itertools.count()


def bind_table_functions(session: SparkSession, statement: exp.Expr) -> list[str]:
    """Rewrite the registered UDTF calls of ``statement`` in place; the temporary views made."""
    registry = session.udtf
    views: list[str] = []
    for node in list(statement.find_all(exp.Table, exp.Lateral)):
        call = node.this
        if not isinstance(call, exp.Anonymous):
            continue
        f = registry.lookup(call.name)
        if f is None:
            continue
        if isinstance(node, exp.Lateral):
            node.set("this", _lateral_query(f, call).subquery())
            continue
        args, kwargs = _arguments(session, call)
        df = f(*args, **kwargs)
        view = f"__kaspar_udtf_{next(_views)}"
        df.createOrReplaceTempView(view)
        views.append(view)
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(call.name))
        node.replace(exp.Table(this=exp.to_identifier(view), alias=alias))
    return views


def _arguments(session: SparkSession, call: exp.Anonymous) -> tuple[list[Any], dict[str, Any]]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for a in call.expressions:
        if isinstance(a, exp.Kwarg):
            kwargs[a.this.name] = _argument(session, a.expression)
        else:
            args.append(_argument(session, a))
    return args, kwargs


def _argument(session: SparkSession, e: exp.Expr) -> Any:
    """A ``TABLE(name)``/``TABLE(query)`` argument as a TableArg, anything else a Column."""
    if isinstance(e, exp.Anonymous) and e.name.upper() == "TABLE" and len(e.expressions) == 1:
        inner = e.expressions[0]
        if isinstance(inner, exp.Subquery | exp.Query):
            query = inner.this if isinstance(inner, exp.Subquery) else inner
            table = session.sql(query.sql(dialect="spark")).asTable()
        else:
            table = session.table(inner.sql(dialect="spark")).asTable()
        return _clauses(table, e)
    return Column(e.copy())


def _clauses(table: TableArg, call: exp.Anonymous) -> TableArg:
    """``PARTITION BY`` / ``WITH SINGLE PARTITION`` and ``ORDER BY`` of ``TABLE(...)``."""
    if call.meta.get(TABLE_SINGLE_PARTITION):
        table = table.withSinglePartition()
    keys = call.meta.get(TABLE_PARTITION_BY)
    if keys:
        table = table.partitionBy(*[Column(k.copy()) for k in keys])
    order = call.meta.get(TABLE_ORDER_BY)
    if order:
        table = table.orderBy(*[Column(o.copy()) for o in order])
    return table


def _lateral_query(f: UserDefinedTableFunction, call: exp.Anonymous) -> exp.Select:
    """``SELECT UNNEST(udtf(args), max_depth := 2)``: a row per output row, a column per field
    (the arguments are the enclosing query's columns)."""
    from kaspar.sql._udtf_runner import UdtfCall
    from kaspar.sql.udtf import udtf_column

    schema = f.returnType
    if schema is None:
        from kaspar.errors import AnalysisException

        raise AnalysisException(
            f"The UDTF '{f._name}' with an 'analyze' method cannot be called with LATERAL "
            "column arguments in kaspar yet; give it a returnType.",
            "UNSUPPORTED_FEATURE.LATERAL_UDTF_ANALYZE",
        )
    values = [a.expression if isinstance(a, exp.Kwarg) else a for a in call.expressions]
    keywords = tuple(a.this.name if isinstance(a, exp.Kwarg) else None for a in call.expressions)
    shape = "arrow" if f.evalType == 302 else "rows"
    udtf_call = UdtfCall(f.func, schema, keywords, None, shape, None, f._name)
    column = udtf_column(udtf_call, [v.copy() for v in values])
    depth = exp.PropertyEQ(this=exp.to_identifier("max_depth"), expression=exp.Literal.number(2))
    return exp.select(exp.Explode(this=column.expr, expressions=[depth]))
