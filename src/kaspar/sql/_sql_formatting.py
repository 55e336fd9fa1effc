"""``spark.sql``'s arguments: ``{name}`` formatting, ``:name`` and ``?`` parameters, and the
``range`` table-valued function.

1. Keyword arguments fill ``{...}`` fields as PySpark's ``SQLStringFormatter`` does: a
   DataFrame becomes a temporary view (dropped once the query is planned), a plain column
   reference its quoted name, a string a SQL string literal, anything else its Python text.
2. ``args`` binds parameters: a dict the named ``:name`` markers, a list the ``?`` markers in
   order; each value is a literal, or a Column's expression.
3. ``FROM range(...)`` is Spark's table function: one ``id`` column.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlglot import exp

from kaspar.engine.plan.naming import SPARK_NAME
from kaspar.errors import AnalysisException, PySparkValueError

if TYPE_CHECKING:
    from kaspar.sql.session import SparkSession


class _Formatter(string.Formatter):
    def __init__(self, session: SparkSession) -> None:
        self._session = session
        self.views: list[tuple[Any, str]] = []

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        value, first = super().get_field(field_name, args, kwargs)
        return self._sql_text(value, field_name), first

    def _sql_text(self, value: Any, field_name: str) -> Any:
        from kaspar.sql.column import Column, literal
        from kaspar.sql.dataframe import DataFrame

        if isinstance(value, Column):
            if not isinstance(value.expr, exp.Column):
                raise PySparkValueError(
                    f"Value for `{field_name}` must be a plain column reference, got {value}.",
                    "VALUE_NOT_PLAIN_COLUMN_REFERENCE",
                )
            name = value.expr.meta.get(SPARK_NAME, value.expr.name)
            return exp.to_identifier(name, quoted=True).sql(dialect="spark")
        if isinstance(value, DataFrame):
            for df, name in self.views:
                if df is value:
                    return name
            name = f"_kaspar_{uuid.uuid4().hex}"
            self.views.append((value, name))
            value.createOrReplaceTempView(name)
            return name
        if isinstance(value, str):
            return literal(value).sql(dialect="spark")
        return value


def format_query(
    session: SparkSession, query: str, kwargs: dict[str, Any]
) -> tuple[str, list[str]]:
    """The query with its ``{...}`` fields filled, and the temporary views made for it."""
    if not kwargs:
        return query, []
    formatter = _Formatter(session)
    text = formatter.format(query, **kwargs)
    return text, [name for _, name in formatter.views]


def _parameter(value: Any) -> exp.Expr:
    from kaspar.sql.column import Column, literal

    return value.expr.copy() if isinstance(value, Column) else literal(value)


def bind_parameters(statement: exp.Expr, args: Any) -> exp.Expr:
    """Replace ``:name`` / ``?`` markers by ``args``' values (see the module docstring)."""
    if args is None:
        return statement
    positional = iter(args) if isinstance(args, list | tuple) else None
    for marker in list(statement.find_all(exp.Placeholder, bfs=False)):
        name = marker.this or ""
        if positional is not None and not name:
            value = next(positional, marker)
        elif isinstance(args, dict) and name in args:
            value = args[name]
        else:
            raise AnalysisException(
                f"Found the unbound parameter: {name or '?'}. Please, fix `args` and provide a "
                "mapping of the parameter to either a SQL literal or collection constructor "
                "functions.",
                "UNBOUND_SQL_PARAMETER",
            )
        marker.replace(_parameter(value))
    return statement


_E = TypeVar("_E", bound=exp.Expr)


_VARIANT_EXPLODE = ("variant_explode", "variant_explode_outer")


def spark_table_functions(statement: exp.Expr) -> exp.Expr:
    """``FROM range(...)`` as Spark's ``id`` column (DuckDB names it ``range``);
    ``FROM variant_explode(v)`` (``_outer``) as rows of ``pos``, ``key`` and ``value``."""
    for table in list(statement.find_all(exp.Table)):
        call = table.this
        if isinstance(call, exp.Anonymous) and call.name.lower() in _VARIANT_EXPLODE:
            from kaspar.engine.variant.sql import explode_rows

            outer = call.name.lower().endswith("_outer")
            query = explode_rows(call.expressions[0], outer)
            table.replace(query.subquery(table.alias or call.name.lower()))
            continue
        if isinstance(call, exp.Anonymous) and call.name.lower() == "range":
            alias = table.alias or "range"
            source = exp.Table(this=call.copy())
            query = exp.select(exp.alias_(exp.column("range"), "id")).from_(source)
            table.replace(query.subquery(alias))
    return statement


def empty_collected_arrays(statement: _E) -> _E:
    """``collect_list`` / ``collect_set`` / ``array_agg`` over no non-null value give ``[]`` in
    Spark, NULL in DuckDB: each such aggregate (or its window) is wrapped in
    ``coalesce(..., [])``. Runs after the projections are named, so names stay Spark's."""
    for agg in list(statement.find_all(exp.ArrayAgg, exp.ArrayUniqueAgg)):
        target: exp.Expr = agg.parent if isinstance(agg.parent, exp.Window) else agg
        if isinstance(target.parent, exp.Coalesce):
            continue
        target.replace(exp.Coalesce(this=target.copy(), expressions=[exp.Array(expressions=[])]))
    return statement
