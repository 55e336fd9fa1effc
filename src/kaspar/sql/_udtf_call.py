"""Calling a UDTF: its arguments checked against ``eval``, its schema (``returnType`` or
``analyze``), and the DataFrame that runs it.

1. Split the arguments: positional and keyword values, at most one ``TableArg``.
2. The output schema: the ``returnType``, or ``analyze`` called with an ``AnalyzeArgument`` per
   argument (its type; its value when it is constant), whose ``AnalyzeResult`` may also ask for
   a partitioning, ordering and selection of the TABLE argument.
3. The source relation: one row for scalar arguments, the table's rows, or one row per
   partition of the table.
4. The call over the source, its output rows exploded into the schema's columns.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan.resolution import outer_as_plain
from kaspar.engine.plan.subquery import OUTER
from kaspar.errors import AnalysisException, PySparkTypeError, PythonException
from kaspar.sql._udtf_runner import UdtfCall
from kaspar.sql.table_arg import TableArg
from kaspar.sql.udtf import (
    SQL_ARROW_UDTF,
    AnalyzeArgument,
    AnalyzeResult,
    UserDefinedTableFunction,
    explode_rows,
    expression,
    pending_call,
    table_rows,
    udtf_column,
)

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame


def call_udtf(
    f: UserDefinedTableFunction,
    args: list[Any],
    kwargs: dict[str, Any],
    outer: DataFrame | None = None,
) -> DataFrame:
    """``outer``: the lateral join's left side, whose columns the ``outer()`` arguments are
    (``analyze`` needs their types); without it, such a call waits for its lateral join."""
    from kaspar.sql.session import SparkSession

    session = SparkSession.active()
    if outer is None and f.returnType is None and _reads_outer(args, kwargs):
        return pending_call(session, lambda left: call_udtf(f, args, kwargs, left))
    values = [*args, *kwargs.values()]
    keywords: tuple[str | None, ...] = (*([None] * len(args)), *kwargs)
    tables = [i for i, v in enumerate(values) if isinstance(v, TableArg)]
    if len(tables) > 1:
        raise AnalysisException(
            f"The table function '{f._name}' takes at most one TABLE argument, but got "
            f"{len(tables)}.",
            "TABLE_VALUED_FUNCTION_TOO_MANY_TABLE_ARGUMENTS",
        )
    table_index = tables[0] if tables else None
    _check_signature(f, args, kwargs)
    schema, result = _schema(f, values, keywords, outer or session.range(1))
    table = values[table_index] if table_index is not None else None
    if table is not None and result is not None:
        table = _apply_analyze(table, result)
    shape = "rows"
    if f.evalType == SQL_ARROW_UDTF:
        shape = "arrow"
    elif table is not None and table.partitioned:
        shape = "partitions"
    call = UdtfCall(f.func, schema, keywords, table_index, shape, result, f._name)
    if table is None:
        source = session.range(1)
        exprs = [expression(v) for v in values]
    else:
        source, rows = table_rows(table)
        exprs = [rows.expr if i == table_index else expression(v) for i, v in enumerate(values)]
    return explode_rows(source, udtf_column(call, exprs), schema)


def _check_signature(f: UserDefinedTableFunction, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Spark checks the arguments against ``eval``'s signature before running it."""
    try:
        signature = inspect.signature(f.func.eval)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return
    try:
        signature.bind(None, *args, **kwargs)
    except TypeError as e:
        raise PythonException(
            "An exception was thrown from the Python worker: "
            "[UDTF_EVAL_METHOD_ARGUMENTS_DO_NOT_MATCH_SIGNATURE] Failed to evaluate the "
            f"user-defined table function '{f._name}' because the function arguments did not "
            f"match the expected signature of the 'eval' method ({e}). Please update the query "
            "so that this table function call provides arguments matching the expected "
            "signature, or else update the table function so that its 'eval' method accepts "
            "the provided arguments, and then try the query again.",
            "PYTHON_EXCEPTION",
        ) from None


def _reads_outer(args: list[Any], kwargs: dict[str, Any]) -> bool:
    exprs = [expression(v) for v in [*args, *kwargs.values()] if not isinstance(v, TableArg)]
    return any(isinstance(n, exp.Column) and n.meta.get(OUTER) for e in exprs for n in e.walk())


def _schema(
    f: UserDefinedTableFunction,
    values: list[Any],
    keywords: tuple[str | None, ...],
    scope: DataFrame,
) -> tuple[T.StructType, AnalyzeResult | None]:
    declared = f.returnType
    if declared is not None:
        return declared, None
    described = _analyze_arguments(values, scope)
    positional = [a for a, k in zip(described, keywords, strict=True) if k is None]
    named = {k: a for a, k in zip(described, keywords, strict=True) if k is not None}
    result = f.func.analyze(*positional, **named)  # type: ignore[attr-defined]
    if not isinstance(result, AnalyzeResult) or not isinstance(result.schema, T.StructType):
        raise PySparkTypeError(
            f"Output of `analyze` static method of Python UDTFs expects a "
            f"pyspark.sql.udtf.AnalyzeResult but got: {type(result)}",
            "INVALID_UDTF_ANALYZE_RESULT",
        )
    return result.schema, result


def _analyze_arguments(values: list[Any], scope: DataFrame) -> list[AnalyzeArgument]:
    """Each argument's type (over ``scope``: one row, or the lateral join's left side), and
    its value when it is a constant (no column in it)."""
    out: list[AnalyzeArgument | None] = [None] * len(values)
    scalars = {i: expression(v) for i, v in enumerate(values) if not isinstance(v, TableArg)}
    if scalars:
        from kaspar.sql.column import Column

        plain = [e.transform(_plain, copy=True) for e in scalars.values()]
        probe = scope.limit(1).select(*(Column(e) for e in plain))
        types = [f.dataType for f in probe.schema.fields]
        constant = [not any(isinstance(n, exp.Column) for n in e.walk()) for e in scalars.values()]
        row = probe.collect()[0] if any(constant) and probe.count() else None
        for j, (i, _) in enumerate(scalars.items()):
            value = row[j] if row is not None and constant[j] else None
            out[i] = AnalyzeArgument(types[j], value, False, constant[j])
    for i, v in enumerate(values):
        if isinstance(v, TableArg):
            out[i] = AnalyzeArgument(v.dataFrame.schema, None, True, False)
    return [a for a in out if a is not None]


def _plain(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Column) and node.meta.get(OUTER):
        return outer_as_plain(node)
    return node


def _apply_analyze(table: TableArg, result: AnalyzeResult) -> TableArg:
    """The partitioning, ordering and selection ``analyze`` asked for the TABLE argument."""
    from kaspar.sql import functions as F

    if result.select:
        picked = tuple(F.expr(s.name).alias(s.alias or s.name) for s in result.select)
        table = replace(table, selection=picked)
    if result.withSinglePartition:
        table = table.withSinglePartition()
    if result.partitionBy:
        table = table.partitionBy(*[F.expr(p.name) for p in result.partitionBy])
    if result.orderBy:
        order = []
        for o in result.orderBy:
            c = F.expr(o.name)
            first = o.overrideNullsFirst if o.overrideNullsFirst is not None else o.ascending
            if o.ascending:
                order.append(c.asc_nulls_first() if first else c.asc_nulls_last())
            else:
                order.append(c.desc_nulls_first() if first else c.desc_nulls_last())
        table = table.orderBy(*order)
    return table
