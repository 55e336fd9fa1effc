"""Spark's generators written in SQL text: ``explode``, ``posexplode``, ``inline``, ``stack``,
``json_tuple`` (and the ``_outer`` forms) as parsed by sqlglot, turned into the same select
items the DataFrame functions give (``kaspar.sql.functions.generator``), so that
``selectExpr`` and ``spark.sql`` name, type and expand them as ``DataFrame.select`` does.

A generator call is recognised only at the top of a select item (under ``AS a`` or
``AS (a, b)``); anywhere else inside a select item it is Spark's
``UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan.naming import output_name
from kaspar.errors import AnalysisException
from kaspar.sql.column import GENERATOR_ALIASES, Column, aliased
from kaspar.sql.functions.generator import map_generator_items

GENERATORS = frozenset(
    {
        "explode",
        "explode_outer",
        "posexplode",
        "posexplode_outer",
        "inline",
        "inline_outer",
        "stack",
        "json_tuple",
    }
)
TABLE_ONLY = frozenset({"variant_explode", "variant_explode_outer"})

_NODE_NAMES: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.PosexplodeOuter, "posexplode_outer"),
    (exp.Posexplode, "posexplode"),
    (exp.ExplodeOuter, "explode_outer"),
    (exp.Explode, "explode"),
    (exp.Inline, "inline"),
    (exp.Stack, "stack"),
)

TypeOf = Callable[[exp.Expr], "T.DataType | None"]


def generator_name(e: exp.Expr) -> str | None:
    """The Spark name of the generator ``e`` calls, or None when ``e`` is no generator call."""
    if isinstance(e, exp.Anonymous):
        name = e.name.lower()
        return name if name in GENERATORS else None
    if any(isinstance(a, exp.PropertyEQ) for a in e.args.get("expressions") or ()):
        return None  # DuckDB's unnest(x, max_depth := 2), built by kaspar itself
    for node_type, name in _NODE_NAMES:
        if isinstance(e, node_type):
            return name
    return None


def generator_arguments(e: exp.Expr) -> list[exp.Expr]:
    if isinstance(e, exp.Anonymous):
        return list(e.expressions)
    first = e.this
    return [first, *e.expressions] if isinstance(first, exp.Expr) else list(e.expressions)


def split_alias(item: exp.Expr) -> tuple[exp.Expr, tuple[str, ...] | None]:
    """A select item's expression and the names given by ``AS a`` / ``AS (a, b)``."""
    if isinstance(item, exp.Alias):
        return item.this, (item.alias,)
    if isinstance(item, exp.Aliases):
        return item.this, tuple(i.name for i in item.expressions)
    return item, None


def is_generator_item(item: exp.Expr) -> bool:
    return generator_name(split_alias(item)[0]) is not None


def check_not_nested(item: exp.Expr) -> None:
    """Spark's errors for a generator inside an expression, or a table function in a select
    item."""
    inner, _ = split_alias(item)
    top = inner if generator_name(inner) else None
    for node in inner.walk(prune=_subquery):
        if node is top:
            continue
        if generator_name(node) is not None:
            raise AnalysisException(
                f'The generator is not supported: nested in expressions "{output_name(inner)}".',
                "UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS",
            )
        if isinstance(node, exp.Anonymous) and node.name.lower() in TABLE_ONLY:
            raise AnalysisException(
                f"`{node.name.lower()}` appears as a scalar expression here, but the function "
                "was defined as a table function. Please update the query to move the function "
                "call into the FROM clause, or redefine it as a scalar function instead.",
                "NOT_A_SCALAR_FUNCTION",
            )


def _subquery(node: exp.Expr) -> bool:
    """A subquery has its own select list (checked on its own)."""
    return isinstance(node, exp.Query | exp.Subquery)


def check_outside_select(clause: exp.Expr) -> None:
    """Spark's error for a generator in WHERE, GROUP BY, HAVING or ORDER BY."""
    for node in clause.walk(prune=_subquery):
        if generator_name(node) is not None:
            raise AnalysisException(
                "The generator is not supported: outside the SELECT clause, found: "
                f"{output_name(node)}.",
                "UNSUPPORTED_GENERATOR.OUTSIDE_SELECT",
            )


def alias_mismatch(expected: int, aliases: tuple[str, ...]) -> AnalysisException:
    return AnalysisException(
        "The number of aliases supplied in the AS clause does not match the number of columns "
        f"output by the UDTF. Expected {expected} aliases, but got {','.join(aliases)}.",
        "UDTF_ALIAS_NUMBER_MISMATCH",
    )


def generator_column(call: exp.Expr, outer: bool = False) -> Column:
    """The DataFrame function call (``F.posexplode(...)``) that ``call`` stands for; ``outer``
    (``LATERAL VIEW OUTER``) takes the ``_outer`` form."""
    from kaspar.sql import functions as F

    name = generator_name(call)
    assert name is not None
    args = generator_arguments(call)
    if outer and name in ("explode", "posexplode", "inline"):
        name = f"{name}_outer"
    if name == "json_tuple":
        return F.json_tuple(Column(args[0]), *_json_fields(args[1:]))
    if name == "stack" and not (args and _is_integer_literal(args[0])):
        shown = output_name(args[0]) if args else ""
        raise AnalysisException(
            f'Cannot resolve "{output_name(call)}" due to data type mismatch: the input `n` '
            f'should be a foldable "INT" expression; however, got "{shown}".',
            "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
        )
    function: Callable[..., Column] = getattr(F, name)
    return function(*(Column(a) for a in args))


def _is_integer_literal(e: exp.Expr) -> bool:
    return isinstance(e, exp.Literal) and not e.is_string and e.this.lstrip("-").isdigit()


def _json_fields(args: list[exp.Expr]) -> list[str]:
    if not args:
        raise AnalysisException(
            "The `json_tuple` requires more than 1 parameters but the actual number is 1.",
            "WRONG_NUM_ARGS.WITHOUT_SUGGESTION",
        )
    fields = []
    for a in args:
        if not (isinstance(a, exp.Literal) and a.is_string):
            raise AnalysisException(
                "json_tuple: the field names must be string literals in kaspar, got "
                f'"{output_name(a)}".',
                "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
            )
        fields.append(a.this)
    return fields


def select_expr_column(item: exp.Expr) -> Column:
    """A ``selectExpr`` item as the Column ``DataFrame.select`` expands (a generator call
    becomes the DataFrame function's Column, carrying its aliases)."""
    check_not_nested(item)
    inner, aliases = split_alias(item)
    if generator_name(inner) is None:
        return Column(item)
    column = generator_column(inner)
    if aliases:
        column.expr.meta[GENERATOR_ALIASES] = aliases
    return column


def generator_items(
    call: exp.Expr, aliases: tuple[str, ...] | None, type_of: TypeOf, outer: bool = False
) -> list[exp.Expr]:
    """The select items (one per output column, each aliased) of the generator ``call``;
    ``type_of`` types the argument of ``explode``/``posexplode`` (a map gives key and value)
    and of ``inline`` (the struct's fields)."""
    column = generator_column(call, outer)
    name = generator_name(call) or ""
    e = column.expr
    if name.startswith(("explode", "posexplode")) and isinstance(
        type_of(generator_arguments(call)[0]), T.MapType
    ):
        fn = name if not outer or name.endswith("_outer") else f"{name}_outer"
        return map_generator_items((fn, fn.endswith("_outer"), _map_argument(e)), aliases)
    if name.startswith("inline"):
        return renamed(_inline_items(e, type_of(generator_arguments(call)[0])), aliases)
    multi = e.meta.get("multi")
    if multi:
        return renamed([m.copy() for m in multi], aliases)
    return renamed([aliased(e.copy(), output_name(e))], aliases)


def _map_argument(e: exp.Expr) -> exp.Expr:
    from kaspar.sql.column import MAP_GENERATOR

    generator: tuple[str, bool, exp.Expr] = e.meta[MAP_GENERATOR]
    return generator[2]


def _inline_items(e: exp.Expr, dtype: T.DataType | None) -> list[exp.Expr]:
    element = dtype.elementType if isinstance(dtype, T.ArrayType) else None
    if not isinstance(element, T.StructType):
        shown = dtype.simpleString() if dtype is not None else "unknown"
        raise AnalysisException(
            f'Cannot resolve "{output_name(e)}" due to data type mismatch: the input should '
            f'be an array of structs; however, got "{shown}".',
            "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
        )
    struct = e.this if isinstance(e, exp.Alias) else e
    return [
        aliased(exp.Bracket(this=struct.copy(), expressions=[exp.Literal.string(f.name)]), f.name)
        for f in element.fields
    ]


def renamed(items: list[exp.Expr], aliases: tuple[str, ...] | None) -> list[exp.Expr]:
    """A generator's select items under the names of ``AS (a, b, ...)``, the counts checked."""
    if not aliases:
        return items
    if len(aliases) != len(items):
        raise alias_mismatch(len(items), aliases)
    return [
        aliased(i.this if isinstance(i, exp.Alias) else i, a)
        for i, a in zip(items, aliases, strict=True)
    ]
