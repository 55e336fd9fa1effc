"""Generators in ``spark.sql`` text, rewritten into DuckDB's ``UNNEST`` before the query runs.

Each SELECT of the statement (innermost first) is rewritten in four steps:

1. A generator in WHERE, GROUP BY, HAVING or ORDER BY is Spark's
   ``UNSUPPORTED_GENERATOR.OUTSIDE_SELECT``.
2. A generator used as a table (``FROM explode(array(1, 2)) AS t(x)``,
   ``JOIN LATERAL stack(...)``, ``, LATERAL inline(t.xs)``) becomes a (lateral) subquery
   selecting the generator's items.
3. ``LATERAL VIEW [OUTER] gen(...) t AS a, b`` becomes ``CROSS JOIN LATERAL (SELECT items)
   AS t``, after the FROM clause's joins, in order (a later view may read an earlier one's
   columns); ``OUTER`` takes the generator's ``_outer`` form, which keeps a row of NULLs.
4. Generators in the select list are replaced by their items (``AS (a, b)`` names them).
   Several generators in one select list give Spark's product of their rows: the query is
   split so that each later generator runs over the rows of the earlier ones.

Where the items depend on the argument's type (a map's ``key``/``value``, an array of structs'
fields), the argument is typed by a probe query over the same FROM clause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan.naming import output_name
from kaspar.errors import AnalysisException
from kaspar.sql._sql_generators import (
    TABLE_ONLY,
    TypeOf,
    check_not_nested,
    check_outside_select,
    generator_arguments,
    generator_items,
    generator_name,
    split_alias,
)
from kaspar.sql.column import aliased

if TYPE_CHECKING:
    from kaspar.sql.session import SparkSession

_OUTSIDE_SELECT = ("where", "group", "having", "order", "qualify")


def expand_generators(session: SparkSession, statement: exp.Expr) -> exp.Expr:
    """``statement`` with every generator call rewritten into select items (in place)."""
    if not isinstance(statement, exp.Query):  # a view's body is read again as a query
        return statement
    if not any(_needs_rewrite(n) for n in statement.walk()):
        return statement
    ctes = statement.args.get("with_")
    for select in reversed(list(statement.find_all(exp.Select))):
        done = _expand_select(session, select, ctes)
        if select is statement:
            statement = done
    return statement


def _is_generator(node: exp.Expr) -> bool:
    return generator_name(node) is not None


def _needs_rewrite(node: exp.Expr) -> bool:
    """A generator, or a table function left in a select list (an error)."""
    return _is_generator(node) or (
        isinstance(node, exp.Anonymous) and node.name.lower() in TABLE_ONLY
    )


def _expand_select(session: SparkSession, select: exp.Select, ctes: exp.Expr | None) -> exp.Select:
    """``select`` rewritten (in place), or the query that replaces it."""
    for key in _OUTSIDE_SELECT:
        clause = select.args.get(key)
        if clause is not None:
            check_outside_select(clause)
    _table_generators(session, select, ctes)
    _lateral_views(session, select, ctes)
    split = _select_list(session, select, ctes)
    if split is None:
        return select
    if select.parent is not None:
        select.replace(split)
    return _expand_select(session, split, ctes)


def _probe_type(session: SparkSession, source: exp.Select, ctes: exp.Expr | None) -> TypeOf:
    """A function typing an expression over ``source``'s FROM clause (and its filters and
    grouping): the first column of ``source`` selecting just that expression."""

    def type_of(e: exp.Expr) -> T.DataType | None:
        probe = source.copy().select(e.copy(), append=False)
        for key in ("order", "limit", "offset", "distinct"):
            probe.set(key, None)
        if ctes is not None and probe.args.get("with_") is None:
            probe.set("with_", ctes.copy())
        try:
            return session._statement("", probe).schema.fields[0].dataType
        except AnalysisException:
            return None  # an outer reference: typed as an array

    return type_of


def _from_part(select: exp.Select, joins: list[exp.Expr]) -> exp.Select:
    """A SELECT over ``select``'s FROM clause and ``joins`` (for probing types)."""
    source = exp.Select(expressions=[exp.Star()])
    from_ = select.args.get("from_")
    if from_ is not None:
        source.set("from_", from_.copy())
    if joins:
        source.set("joins", [j.copy() for j in joins])
    return source


def _table_generators(session: SparkSession, select: exp.Select, ctes: exp.Expr | None) -> None:
    from_ = select.args.get("from_")
    if from_ is not None and _generator_table(from_.this):
        from_.set("this", _generator_subquery(session, from_.this, exp.Select(), ctes))
    joins: list[exp.Expr] = select.args.get("joins") or []
    for k, join in enumerate(joins):
        if _variant_lateral(join.this):
            join.set("this", _variant_rows(join.this))
        elif _generator_table(join.this):
            source = _from_part(select, joins[:k])
            join.set("this", _generator_subquery(session, join.this, source, ctes))


def _variant_lateral(node: exp.Expr | None) -> bool:
    call = node.this if isinstance(node, exp.Lateral) else None
    return isinstance(call, exp.Anonymous) and call.name.lower() in TABLE_ONLY


def _variant_rows(node: exp.Expr) -> exp.Expr:
    """``LATERAL variant_explode(t.v)`` as a lateral subquery of its rows."""
    from kaspar.engine.variant.sql import explode_rows

    call = node.this
    rows = explode_rows(call.expressions[0].copy(), call.name.lower().endswith("_outer"))
    alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(call.name.lower()))
    return exp.Lateral(this=rows.subquery(), alias=alias.copy())


def _generator_table(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Table | exp.Lateral) and _is_generator(node.this)


def _generator_subquery(
    session: SparkSession, node: exp.Expr, source: exp.Select, ctes: exp.Expr | None
) -> exp.Expr:
    """``node`` (a generator as a table or a lateral) as a subquery of its items."""
    call = node.this
    alias = node.args.get("alias")
    columns = tuple(c.name for c in alias.columns) if alias is not None else ()
    outer = bool(node.args.get("outer"))
    items = generator_items(call, columns or None, _probe_type(session, source, ctes), outer)
    name = alias.name if alias is not None and alias.name else generator_name(call) or "gen"
    table_alias = exp.TableAlias(this=exp.to_identifier(name))
    query = exp.select(*items)
    if isinstance(node, exp.Lateral):
        return exp.Lateral(this=query.subquery(), alias=table_alias)
    return exp.Subquery(this=query, alias=table_alias)


def _lateral_views(session: SparkSession, select: exp.Select, ctes: exp.Expr | None) -> None:
    laterals: list[exp.Expr] = select.args.get("laterals") or []
    kept: list[exp.Expr] = []
    for lateral in laterals:
        if not _is_generator(lateral.this):
            kept.append(lateral)
            continue
        joins: list[exp.Expr] = select.args.get("joins") or []
        source = _from_part(select, joins)
        subquery = _generator_subquery(session, lateral, source, ctes)
        select.append("joins", exp.Join(this=subquery, kind="CROSS"))
    select.set("laterals", kept or None)


def _select_list(
    session: SparkSession, select: exp.Select, ctes: exp.Expr | None
) -> exp.Select | None:
    """Expands the select list's generator in place; for several, the query replacing
    ``select``."""
    items = list(select.expressions)
    for item in items:
        check_not_nested(item)
    positions = [k for k, item in enumerate(items) if _is_generator(split_alias(item)[0])]
    if not positions:
        return None
    if len(positions) > 1:
        return _split_generators(select, positions)
    type_of = _probe_type(session, select, ctes)
    expanded: list[exp.Expr] = []
    for k, item in enumerate(items):
        if k in positions:
            call, aliases = split_alias(item)
            expanded.extend(generator_items(call, aliases, type_of))
        else:
            expanded.append(item)
    select.set("expressions", expanded)
    return None


def _split_generators(select: exp.Select, positions: list[int]) -> exp.Select:
    """Several generators in one select list: Spark gives the product of their rows. An inner
    query computes the other items and the generators' arguments; an outer one applies each
    generator as a LATERAL VIEW over it, in order, so later generators repeat for each row of
    the earlier ones."""
    inner = select.copy()
    outer_items: list[exp.Expr] = []
    inner_items: list[exp.Expr] = []
    laterals: list[exp.Expr] = []
    for k, item in enumerate(select.expressions):
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and item.is_star):
            raise AnalysisException(
                "kaspar does not mix * with several generators in one SELECT clause.",
                "UNSUPPORTED_GENERATOR.MULTI_GENERATOR",
            )
        inner_name = f"_kaspar_c{k}"
        if k not in positions:
            value = item.this if isinstance(item, exp.Alias) else item
            inner_items.append(aliased(value.copy(), inner_name))
            shown = item.alias if isinstance(item, exp.Alias) else output_name(item)
            outer_items.append(aliased(_inner_column(inner_name), shown))
            continue
        call, aliases = split_alias(item)
        refs: list[exp.Expr] = []
        for n, arg in enumerate(generator_arguments(call)):
            if isinstance(arg, exp.Literal):
                refs.append(arg.copy())
                continue
            inner_items.append(aliased(arg.copy(), f"{inner_name}_{n}"))
            refs.append(_inner_column(f"{inner_name}_{n}"))
        view = f"_kaspar_view{k}"
        columns = [exp.to_identifier(a) for a in aliases or ()]
        alias = exp.TableAlias(this=exp.to_identifier(view), columns=columns)
        laterals.append(exp.Lateral(this=_with_arguments(call, refs), view=True, alias=alias))
        outer_items.append(exp.Column(this=exp.Star(), table=exp.to_identifier(view)))
    inner.set("expressions", inner_items)
    moved = {key: inner.args.get(key) for key in ("order", "limit", "offset", "distinct")}
    for key in moved:
        inner.set(key, None)
    outer = exp.Select(expressions=outer_items).from_(inner.subquery(_INNER, copy=False))
    outer.set("laterals", laterals)
    for key, value in moved.items():
        outer.set(key, value)
    return outer


_INNER = "_kaspar_generated"


def _inner_column(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True), table=exp.to_identifier(_INNER))


def _with_arguments(call: exp.Expr, args: list[exp.Expr]) -> exp.Expr:
    """``call`` with its arguments replaced by ``args``."""
    new = call.copy()
    if isinstance(new, exp.Anonymous):
        new.set("expressions", args)
        return new
    new.set("this", args[0])
    if "expressions" in new.arg_types:
        new.set("expressions", args[1:])
    return new
