"""Expanding ``select`` items that stand for several columns.

* multi-column generators (``posexplode``, ``json_tuple``): ``meta["multi"]`` lists the outputs;
* ``inline(arr)``: one column per field of the array's struct (from the analysed schema);
* ``select("s.*")`` where ``s`` is a struct column rather than a DataFrame alias.

Struct fields are only known after analysis, so the last two ask the child for its schema, as
Spark's analyzer does when the DataFrame is built.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.plan.naming import SPARK_NAME, output_name
from kaspar.sql._session_window import session_keys as session_keys  # noqa: PLC0414
from kaspar.sql._sql_generators import renamed
from kaspar.sql.column import (
    GENERATOR_ALIASES,
    MAP_GENERATOR,
    Column,
    aliased,
    column_reference,
)
from kaspar.sql.functions.generator import map_generator_items

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame


STAR_ARGUMENTS = "kaspar_star_arguments"  # meta: the Spark name of a call taking ``*``


def expand_star_arguments(df: DataFrame, e: exp.Expr) -> exp.Expr:
    """``e`` with the ``*`` arguments of calls such as ``hash('*')`` replaced by ``df``'s
    columns, each call then named after them (``hash(c1, c2)``), as Spark's analyzer does."""
    calls = [n for n in e.walk() if n.meta.get(STAR_ARGUMENTS)]
    if not calls:
        return e
    from kaspar.engine.plan.resolution import expand_star, is_star
    from kaspar.sql.dataframe import attribute_column

    e = e.copy()
    attrs = df._attributes()
    for call in [n for n in e.walk() if n.meta.get(STAR_ARGUMENTS)]:
        args: list[exp.Expr] = []
        for arg in call.expressions:
            if is_star(arg):
                args.extend(attribute_column(a).expr for a in expand_star(arg, attrs))
            else:
                args.append(arg)
        call.set("expressions", args)
        shown = ", ".join(output_name(a) for a in args)
        call.meta[SPARK_NAME] = f"{call.meta[STAR_ARGUMENTS]}({shown})"
    return e


def expand_projection(df: DataFrame, columns: Sequence[Column]) -> list[exp.Expr]:
    out: list[exp.Expr] = []
    for c in columns:
        e = expand_star_arguments(df, c.expr)
        multi = e.meta.get("multi")
        generator = e.meta.get(MAP_GENERATOR)
        if generator is not None and _is_map(df, generator[2]):
            out.extend(map_generator_items(generator, e.meta.get(GENERATOR_ALIASES)))
        elif multi:
            out.extend(renamed([m.copy() for m in multi], e.meta.get(GENERATOR_ALIASES)))
        elif e.meta.get("regex"):
            out.extend(_regex_items(df, e))
        elif e.meta.get("inline"):
            out.extend(renamed(_field_items(df, e), e.meta.get(GENERATOR_ALIASES)))
        elif isinstance(e, exp.Column) and _is_struct_star(df, e):
            ref = exp.column(e.table, quoted=True)
            if has_outer_references(df.plan):  # its type is known in the lateral join
                deferred = e.copy()
                deferred.meta[DEFERRED_STAR] = True
                out.append(deferred)
            else:
                out.extend(_field_items(df, ref))
        elif e.meta.get(GENERATOR_ALIASES):  # explode of an array: one column
            inner = e.this if isinstance(e, exp.Alias) else e
            out.extend(renamed([inner], e.meta[GENERATOR_ALIASES]))
        else:
            out.append(e)
    return out


def is_generator_column(e: exp.Expr) -> bool:
    """Whether ``e`` (a select item) is a generator such as ``explode`` or ``posexplode``."""
    inner = e.this if isinstance(e, exp.Alias) else e
    meta = (MAP_GENERATOR, "multi", "inline")
    return isinstance(inner, exp.Explode) or any(m in x.meta for x in (e, inner) for m in meta)


def select_generators_in_turn(df: DataFrame, columns: Sequence[Column]) -> DataFrame | None:
    """``df.select(columns)`` when several are generators: Spark gives the product of their
    rows, so each generator is applied in turn to the rows of the ones before it (its
    columns added next to ``df``'s), and the items then read from the last step."""
    from kaspar.sql.dataframe import attribute_column

    turns = [k for k, c in enumerate(columns) if is_generator_column(c.expr)]
    if len(turns) < 2:
        return None
    stage = df
    added: dict[int, list[Column]] = {}
    for k in turns:
        known = len(stage.columns)
        stage = stage.select("*", columns[k])
        added[k] = [attribute_column(a) for a in stage._attributes()[known:]]
    items: list[Column] = []
    for k, c in enumerate(columns):
        items.extend(added.get(k, [c]))
    return stage.select(*items)


DEFERRED_STAR = "deferred_struct_star"  # ``s.*`` over outer() columns, expanded by lateralJoin


def has_outer_references(plan: L.LogicalPlan) -> bool:
    """Whether ``plan`` reads ``outer()`` columns that no enclosing query has bound yet."""
    import dataclasses

    from kaspar.engine.plan.subquery import OUTER

    for f in dataclasses.fields(plan):
        value = getattr(plan, f.name)
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            if isinstance(v, L.LogicalPlan) and has_outer_references(v):
                return True
            if isinstance(v, exp.Expr) and any(
                isinstance(n, exp.Column) and n.meta.get(OUTER) for n in v.walk()
            ):
                return True
    return False


def expand_deferred_stars(left: DataFrame, right: L.LogicalPlan) -> L.LogicalPlan:
    """``right`` (a lateral join's right side) with its deferred ``s.*`` items expanded into
    the struct's fields, typed with ``left``'s columns bound to its ``outer()`` references."""
    import dataclasses

    if not has_outer_references(right):
        return right
    changes = {
        f.name: expand_deferred_stars(left, getattr(right, f.name))
        for f in dataclasses.fields(right)
        if isinstance(getattr(right, f.name), L.LogicalPlan)
    }
    if any(changes[k] is not getattr(right, k) for k in changes):
        right = dataclasses.replace(right, **changes)
    if not isinstance(right, L.Project) or not any(
        e.meta.get(DEFERRED_STAR) for e in right.expressions
    ):
        return right
    base = right.child
    joined = left._with(L.LateralJoin(left.plan, base, "cross", None))
    fields = joined.schema.fields[len(left.columns) :]
    by_name = {f.name.lower(): f.dataType for f in fields}
    exprs: list[exp.Expr] = []
    for e in right.expressions:
        if not (isinstance(e, exp.Column) and e.meta.get(DEFERRED_STAR)):
            exprs.append(e)
            continue
        dtype = by_name.get(e.table.lower())
        if not isinstance(dtype, T.StructType):
            return right  # analysis reports it
        ref = exp.column(e.table, quoted=True)
        exprs.extend(
            aliased(exp.Bracket(this=ref.copy(), expressions=[exp.Literal.string(f.name)]), f.name)
            for f in dtype.fields
        )
    return L.Project(base, tuple(exprs))


def _is_map(df: DataFrame, e: exp.Expr) -> bool:
    """Whether ``e`` is a map over ``df`` (False when ``df`` alone cannot type it, as for an
    outer reference in a lateral join's generator, which Spark explodes as an array)."""
    from kaspar.errors import AnalysisException

    probe = df._with(L.Project(df.plan, (e.copy(),)))
    try:
        return isinstance(probe.schema.fields[0].dataType, T.MapType)
    except AnalysisException:
        return False


def _is_struct_star(df: DataFrame, e: exp.Expr) -> bool:
    if not (isinstance(e, exp.Column) and isinstance(e.this, exp.Star) and e.table):
        return False
    qualifier = e.table.lower()
    attrs = df._attributes()
    if any(qualifier in (q.lower() for q in a.qualifiers) for a in attrs):
        return False
    return any(a.name.lower() == qualifier for a in attrs)


def _field_items(df: DataFrame, struct: exp.Expr) -> list[exp.Expr]:
    probe = df._with(L.Project(df.plan, (struct.copy(),)))
    dtype = probe.schema.fields[0].dataType
    if not isinstance(dtype, T.StructType):
        from kaspar.errors import AnalysisException

        raise AnalysisException(
            f"Can only star expand struct data types. Attribute: `{dtype.simpleString()}`.",
            "INVALID_USAGE_OF_STAR_OR_REGEX",
        )
    return [
        aliased(exp.Bracket(this=struct.copy(), expressions=[exp.Literal.string(f.name)]), f.name)
        for f in dtype.fields
    ]


def contains_generator(e: exp.Expr) -> bool:
    return any(
        isinstance(n, exp.Anonymous) and str(n.this).lower() == "unnest" for n in e.walk()
    ) or any(isinstance(n, exp.Explode) for n in e.walk())


def generate_keys(df: DataFrame, keys: list[Column]) -> tuple[DataFrame, list[Column]]:
    """Grouping keys that are generators (sliding time windows) are expanded first, as Spark's
    analyzer does, and grouped by as plain columns."""
    generated = [c for c in keys if contains_generator(c.expr)]
    if not generated:
        return df, keys
    source = df.select("*", *generated)
    named = [source[output_name(c.expr)] if any(c is g for g in generated) else c for c in keys]
    return source, named


def column_regex(df: DataFrame, name: object) -> Column:
    """``df.colRegex``: a backquoted name is a regex over the column names (Spark's
    ``UnresolvedRegex``, expanded by ``select``); any other name is that column."""
    if not isinstance(name, str):
        from kaspar.errors import PySparkTypeError

        raise PySparkTypeError(
            f"Argument `colName` should be str, got {type(name).__name__}.",
            "NOT_EXPECTED_TYPE",
        )
    quoted = re.fullmatch(r"(?:(.+)\.)?`(.+)`", name, re.DOTALL)
    if quoted is None:
        return Column(column_reference(name))
    placeholder = exp.Column(this=exp.Star())
    placeholder.meta["regex"] = (quoted.group(1), quoted.group(2))
    return Column(placeholder)


def _regex_items(df: DataFrame, e: exp.Expr) -> list[exp.Expr]:
    from kaspar.sql.dataframe import attribute_column

    qualifier, pattern = e.meta["regex"]
    regex = re.compile(pattern, re.IGNORECASE)
    attrs = df._attributes()
    if qualifier is not None:
        attrs = tuple(a for a in attrs if qualifier.lower() in (q.lower() for q in a.qualifiers))
    return [attribute_column(a).expr for a in attrs if regex.fullmatch(a.name)]
