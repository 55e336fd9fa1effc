"""Spark's nullability of an expression's result, at the top and inside nested types.

DuckDB's result types carry no nullability, so the analyzer derives it from the expression
tree as Spark does: a literal is null only if it is ``NULL``; most functions are null only
when an argument is (``upper``, ``+`` under ANSI, comparisons, ``concat``); constructors
(``array``, ``struct``, ``map``), ``count``, ``collect_list``, ``IS NULL``, ranking functions
and ``current_date`` never are; ``coalesce`` is null only if every argument may be; a ``CASE``
is null if a branch may be or it has no ``ELSE``; anything not known is nullable.

``Shape`` is the nullability inside a nested result (a struct's fields, ``containsNull``,
``valueContainsNull``); ``apply_shape`` puts it on the type DuckDB reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan.cast_nullability import forces_null, source_of, typed_literal
from kaspar.engine.plan.null_intolerant import (
    NEVER_NULL,
    NEVER_NULL_CALLS,
    NEVER_NULL_FUNCTIONS,
    NO_NULL_ELEMENTS,
    STRICT,
    STRICT_CALLS,
    STRICT_FUNCTIONS,
)

if TYPE_CHECKING:
    from kaspar.engine.plan.attributes import Attribute

NOT_NULL = "not_null"  # meta flag: the expression never gives NULL (``window``'s struct)
# meta flag: NULL exactly when an argument is (a call lowered to a typed rewrite: ANSI interval
# arithmetic)
NULL_INTOLERANT = "null_intolerant"
# meta flag on an alias: the column is nullable whatever its expression (``describe``'s
# statistics, which Spark returns as a local relation of nullable strings)
NULLABLE = "nullable"


@dataclass(frozen=True)
class Shape:
    """Nullability inside a nested value: ``kind`` is ``struct`` (one entry per field),
    ``array`` (the elements) or ``map`` (the values)."""

    kind: str
    nullable: tuple[bool, ...]
    inner: tuple[Shape | None, ...]


@dataclass(frozen=True)
class Nullability:
    nullable: bool = True
    shape: Shape | None = None


# the elements of an empty array literal: no values, so nothing to say about them
EMPTY = Shape("empty", (), ())
UNKNOWN = Nullability()
NEVER = Nullability(nullable=False)


def infer(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    """The nullability of ``e`` over columns ``inputs`` (unknown expressions are nullable)."""
    if e.meta.get(NOT_NULL):
        return NEVER
    if e.meta.get(NULL_INTOLERANT):
        return Nullability(any(infer(a, inputs).nullable for a in _arguments(e)))
    by_name = _by_spark_name(e, inputs)
    if by_name is not None:
        return by_name
    rule = _RULES.get(type(e))
    if rule is not None:
        return rule(e, inputs)
    if isinstance(e, NEVER_NULL):
        return NEVER
    if isinstance(e, exp.Anonymous | exp.Func) and _call_name(e) in NEVER_NULL_CALLS:
        return NEVER
    if isinstance(e, STRICT) or (isinstance(e, exp.Anonymous) and _call_name(e) in STRICT_CALLS):
        return Nullability(any(infer(a, inputs).nullable for a in _arguments(e)))
    return UNKNOWN


def _by_spark_name(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability | None:
    from kaspar.engine.plan.naming import SPARK_NAME  # naming imports the plan package

    name = e.meta.get(SPARK_NAME)
    if not isinstance(name, str) or "(" not in name or isinstance(e, exp.Column | exp.Alias):
        return None
    function = name[: name.index("(")].strip().lower()
    if function in NEVER_NULL_FUNCTIONS and not isinstance(e, exp.Window):
        nullable = False
    elif function in STRICT_FUNCTIONS:
        nullable = any(p.nullable for p in _spark_arguments(e, inputs))
    else:
        return None
    if function in NO_NULL_ELEMENTS:
        return Nullability(nullable, Shape("array", (False,), (None,)))
    return Nullability(nullable)


def _spark_arguments(
    e: exp.Expr, inputs: Sequence[Attribute], top: bool = True
) -> list[Nullability]:
    """The nullability of a lowered call's own arguments: the nearest columns, literals and
    named calls under it (NULLs the lowering adds itself are not arguments)."""
    from kaspar.engine.plan.attributes import ATTR_ID
    from kaspar.engine.plan.naming import SPARK_NAME

    found: list[Nullability] = []
    for child in _arguments(e):
        if isinstance(child, exp.Null):
            if top or SPARK_NAME in child.meta:
                found.append(UNKNOWN)
        elif SPARK_NAME in child.meta or ATTR_ID in child.meta or isinstance(child, exp.Literal):
            found.append(infer(child, inputs))
        else:
            found.extend(_spark_arguments(child, inputs, top=False))
    return found


def _call_name(e: exp.Expr) -> str:
    if isinstance(e, exp.Anonymous):
        return str(e.this).lower()
    return e.sql_name().lower() if isinstance(e, exp.Func) else ""


def _arguments(e: exp.Expr) -> list[exp.Expr]:
    return [v for v in e.iter_expressions() if not isinstance(v, exp.DataType)]


def _column(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    from kaspar.engine.plan.attributes import ATTR_ID

    if ATTR_ID not in e.meta:
        return UNKNOWN
    attr = next((a for a in inputs if a.id == e.meta[ATTR_ID]), None)
    return UNKNOWN if attr is None else Nullability(attr.nullable, attr.shape)


def _literal(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    return NEVER


def _null(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    return UNKNOWN


def _alias(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    return infer(e.this, inputs)


def _cast(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    """A cast to text keeps its operand's nullability; other casts may fail to NULL (a string
    to a number or a date), which is not known before the operand's type is."""
    to = e.args.get("to")
    inner = infer(e.this, inputs)
    if isinstance(to, exp.DataType) and to.this in exp.DataType.TEXT_TYPES:
        return Nullability(inner.nullable)
    if typed_literal(e):  # ``DATE '2024-01-01'``, ``lit(1.5)``, ``lit(Decimal('1.5'))``
        return NEVER
    source = source_of(e.this) if not isinstance(e, exp.TryCast) else None
    forced = (
        forces_null(source, to) if source is not None and isinstance(to, exp.DataType) else None
    )
    if forced is not None:  # Spark's rule for the pair of types (``cast_nullability``)
        return Nullability(inner.nullable or forced)
    if isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal) and _is_real(to):
        return NEVER if _is_number(str(e.this.this)) else UNKNOWN  # ``lit(1.5)``
    return UNKNOWN


def _is_real(to: object) -> bool:
    return isinstance(to, exp.DataType) and to.this in exp.DataType.REAL_TYPES


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _coalesce(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    parts = [infer(a, inputs) for a in [e.this, *e.expressions]]
    nullable = all(p.nullable for p in parts)
    return Nullability(nullable, merge_shapes(parts))


def _case(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    default = e.args.get("default")
    if default is None:
        return UNKNOWN
    branches = [i.args["true"] for i in e.args.get("ifs") or []]
    nullable = any(infer(b, inputs).nullable for b in [*branches, default])
    return Nullability(nullable)


def _if(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    false = e.args.get("false")
    if false is None:
        return UNKNOWN
    return Nullability(infer(e.args["true"], inputs).nullable or infer(false, inputs).nullable)


def _struct(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    fields = [f.expression if isinstance(f, exp.PropertyEQ) else f for f in e.expressions]
    parts = [infer(f, inputs) for f in fields]
    shape = Shape("struct", tuple(p.nullable for p in parts), tuple(p.shape for p in parts))
    return Nullability(False, shape)


def _array(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    parts = [infer(x, inputs) for x in e.expressions]
    contains_null = any(p.nullable for p in parts)
    values = [p for p, x in zip(parts, e.expressions, strict=True) if not isinstance(x, exp.Null)]
    element = merge_shapes(values) if values else EMPTY
    return Nullability(False, Shape("array", (contains_null,), (element,)))


def _map(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    values = e.args.get("values")
    if values is None and not e.args.get("keys"):
        return Nullability(False, Shape("map", (False,), (EMPTY,)))
    if not isinstance(values, exp.Array):
        return UNKNOWN
    parts = [infer(x, inputs) for x in values.expressions]
    value_null = any(p.nullable for p in parts)
    return Nullability(False, Shape("map", (value_null,), (merge_shapes(parts),)))


def _array_agg(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    """``collect_list``/``collect_set``: never NULL, and without NULL elements."""
    if not e.args.get("nulls_excluded"):
        return UNKNOWN
    element = infer(e.this, inputs)
    return Nullability(False, Shape("array", (False,), (element.shape,)))


def _window(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    inner = e.this
    if isinstance(inner, exp.Count):
        return NEVER
    if isinstance(inner, exp.Coalesce | exp.Anonymous | exp.RowNumber):
        return infer(inner, inputs)
    return UNKNOWN


def _explode(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    """``explode(array)``: an element, NULL only if the array may hold NULL."""
    outer = infer(e.this, inputs)
    shape = outer.shape
    if shape is None or shape.kind != "array":
        return UNKNOWN
    inner = shape.inner[0]
    return Nullability(shape.nullable[0], None if inner is EMPTY else inner)


def _greatest(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    parts = [infer(a, inputs) for a in [e.this, *e.expressions]]
    return Nullability(all(p.nullable for p in parts))


def _field(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    """``st.a`` / ``st['a']``: NULL when the struct or its field may be."""
    key = e.expressions[0] if isinstance(e, exp.Bracket) and len(e.expressions) == 1 else None
    if not (isinstance(key, exp.Literal) and key.is_string):
        return UNKNOWN
    outer = infer(e.this, inputs)
    return _field_of(outer, key.this, e.this, inputs)


def _field_of(
    outer: Nullability, name: str, struct: exp.Expr, inputs: Sequence[Attribute]
) -> Nullability:
    shape = outer.shape
    if shape is None or shape.kind != "struct":
        return UNKNOWN
    names = _struct_names(struct)
    if names is None or name not in names:
        return UNKNOWN
    i = names.index(name)
    return Nullability(outer.nullable or shape.nullable[i], shape.inner[i])


def _struct_names(struct: exp.Expr) -> list[str] | None:
    if isinstance(struct, exp.Struct):
        return [f.name if isinstance(f, exp.PropertyEQ) else "" for f in struct.expressions]
    return None


_RULES: dict[type[exp.Expr], Callable[[Any, Sequence[Attribute]], Nullability]] = {
    exp.Column: _column,
    exp.Literal: _literal,
    exp.Boolean: _literal,
    exp.Null: _null,
    exp.Alias: _alias,
    exp.Cast: _cast,
    exp.TryCast: _cast,
    exp.Coalesce: _coalesce,
    exp.Case: _case,
    exp.If: _if,
    exp.Struct: _struct,
    exp.Array: _array,
    exp.Map: _map,
    exp.VarMap: _map,
    exp.ArrayAgg: _array_agg,
    exp.Window: _window,
    exp.Greatest: _greatest,
    exp.Explode: _explode,
    exp.Least: _greatest,
    exp.Bracket: _field,
}


def merge_shapes(parts: Sequence[Nullability]) -> Shape | None:
    """The shape of values that may come from any of ``parts`` (NULL parts aside)."""
    shapes = [p.shape for p in parts if p.shape is not EMPTY]
    if not shapes:
        return EMPTY if parts else None
    if any(s is None for s in shapes):
        return None
    first = shapes[0]
    assert first is not None
    for s in shapes[1:]:
        assert s is not None
        if s.kind != first.kind or len(s.nullable) != len(first.nullable):
            return None
    nullable = tuple(
        any(s.nullable[i] for s in shapes if s is not None) for i in range(len(first.nullable))
    )
    inner = tuple(
        merge_shapes([Nullability(True, s.inner[i]) for s in shapes if s is not None])
        for i in range(len(first.inner))
    )
    return Shape(first.kind, nullable, inner)


def of_values_query(query: exp.Expr, width: int) -> list[Nullability] | None:
    """The columns of ``SELECT ... [FROM VALUES ... AS t(...)]`` (``spark.sql``), or None for
    other queries. A VALUES column is nullable if a row's value may be NULL."""
    if not isinstance(query, exp.Select) or any(
        query.args.get(k) for k in ("joins", "where", "group", "having", "laterals")
    ):
        return None
    source = query.args.get("from_") or query.args.get("from")
    if source is None:
        parts = [infer(e, ()) for e in query.expressions]
        return parts if len(parts) == width else None
    values = source.this
    is_star = len(query.expressions) == 1 and isinstance(query.expressions[0], exp.Star)
    if not (isinstance(values, exp.Values) and is_star):
        return None
    rows = [r.expressions if isinstance(r, exp.Tuple) else [r] for r in values.expressions]
    if not rows or any(len(r) != width for r in rows):
        return None
    columns = []
    for i in range(width):
        cells = [r[i] for r in rows]
        parts = [infer(c, ()) for c in cells]
        shapes = [p for p, c in zip(parts, cells, strict=True) if not isinstance(c, exp.Null)]
        columns.append(Nullability(any(p.nullable for p in parts), merge_shapes(shapes)))
    return columns


def shape_of(dtype: T.DataType) -> Shape | None:
    """The nested nullability a Spark type declares."""
    if isinstance(dtype, T.StructType):
        fields = dtype.fields
        return Shape(
            "struct",
            tuple(f.nullable for f in fields),
            tuple(shape_of(f.dataType) for f in fields),
        )
    if isinstance(dtype, T.ArrayType):
        return Shape("array", (dtype.containsNull,), (shape_of(dtype.elementType),))
    if isinstance(dtype, T.MapType):
        return Shape("map", (dtype.valueContainsNull,), (shape_of(dtype.valueType),))
    return None


def apply_shape(dtype: T.DataType, shape: Shape | None) -> T.DataType:
    """``dtype`` with the nested nullability ``shape`` gives (unchanged where they differ)."""
    if shape is None:
        return dtype
    if isinstance(dtype, T.StructType) and shape.kind == "struct":
        if len(dtype.fields) != len(shape.nullable):
            return dtype
        fields = [
            replace_field(f, n, apply_shape(f.dataType, s))
            for f, n, s in zip(dtype.fields, shape.nullable, shape.inner, strict=True)
        ]
        return T.StructType(fields)
    if isinstance(dtype, T.ArrayType) and shape.kind == "array":
        return T.ArrayType(apply_shape(dtype.elementType, shape.inner[0]), shape.nullable[0])
    if isinstance(dtype, T.MapType) and shape.kind == "map":
        value = apply_shape(dtype.valueType, shape.inner[0])
        return T.MapType(dtype.keyType, value, shape.nullable[0])
    return dtype


def replace_field(f: T.StructField, nullable: bool, dtype: T.DataType) -> T.StructField:
    return T.StructField(f.name, dtype, nullable, f.metadata)


__all__ = [
    "NOT_NULL",
    "NULLABLE",
    "NULL_INTOLERANT",
    "Nullability",
    "Shape",
    "apply_shape",
    "infer",
    "shape_of",
]
