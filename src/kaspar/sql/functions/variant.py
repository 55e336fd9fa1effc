"""Variant functions (Spark 4.0+): ``parse_json``, ``try_parse_json``, ``variant_get``,
``try_variant_get``, ``is_variant_null``, ``is_valid_variant``, built as DuckDB trees over
DuckDB's ``VARIANT`` (``kaspar.engine.variant.sql``; docs/variant.md)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.type_conversion import parse_data_type
from kaspar.engine.variant import sql as V
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def parse_json(col: ColumnOrName) -> Column:
    """The variant of a JSON text; a text that is not JSON fails the query."""
    e = to_expr(col)
    return node(V.parse(e, try_=False), f"parse_json({names(e)})")


def try_parse_json(col: ColumnOrName) -> Column:
    """The variant of a JSON text; NULL for a text that is not JSON."""
    e = to_expr(col)
    return node(V.parse(e, try_=True), f"try_parse_json({names(e)})")


def is_variant_null(v: ColumnOrName) -> Column:
    """True for a variant holding JSON null (false for SQL NULL)."""
    e = to_expr(v)
    return node(V.is_variant_null(e), f"is_variant_null({names(e)})")


def is_valid_variant(v: ColumnOrName) -> Column:
    """Whether a variant's encoding is valid: always, for one DuckDB holds (NULL for NULL)."""
    e = to_expr(v)
    present = exp.Is(this=e.copy(), expression=exp.Null()).not_()
    return node(
        exp.Case(ifs=[exp.If(this=present, true=exp.true())]), f"is_valid_variant({names(e)})"
    )


def schema_of_variant(v: ColumnOrName) -> Column:
    """Spark's schema text of a variant (``OBJECT<a: BIGINT>``)."""
    e = to_expr(v)
    return node(V.schema_of_variant(e), f"schema_of_variant({names(e)})")


def schema_of_variant_agg(v: ColumnOrName) -> Column:
    """The schema of all of a group's variants, merged (an aggregate)."""
    e = to_expr(v)
    return node(V.schema_of_variant_agg(e), f"schema_of_variant_agg({names(e)})")


def to_variant_object(col: ColumnOrName) -> Column:
    """A struct or array as a variant (objects and arrays, each value keeping its type)."""
    e = to_expr(col)
    return node(exp.cast(e, exp.DataType.build("VARIANT")), f"to_variant_object({names(e)})")


def variant_delete(v: ColumnOrName, *paths: Column | str) -> Column:
    """The variant without the values at ``paths`` (literal paths; NULL ones skipped)."""
    e = to_expr(v)
    exprs = [exp.Literal.string(p) if isinstance(p, str) else to_expr(p) for p in paths]
    return node(V.delete(e, exprs), f"variant_delete({names(e, *exprs)})")


def _with_value(
    name: str, v: ColumnOrName, path: Column | str, value: Any, create: bool = True
) -> Column:
    e = to_expr(v)
    p = exp.Literal.string(path) if isinstance(path, str) else to_expr(path)
    x = (
        value.expr
        if isinstance(value, Column)
        else to_expr(value)
        if isinstance(value, str)
        else literal(value)
    )
    shown = names(e, p, x) + (
        "" if name.removeprefix("try_") != "variant_set" else f", {str(create).lower()}"
    )
    return node(V.with_value(name, e, p, x, create), f"{name}({shown})")


def variant_array_append(v: ColumnOrName, path: Column | str, value: Any) -> Column:
    """``value`` appended to the array at ``path`` (VARIANT_PATH_TYPE_MISMATCH if not one)."""
    return _with_value("variant_array_append", v, path, value)


def try_variant_array_append(v: ColumnOrName, path: Column | str, value: Any) -> Column:
    """``value`` appended to the array at ``path``; NULL where the path's value is not one."""
    return _with_value("try_variant_array_append", v, path, value)


def variant_set(
    v: ColumnOrName, path: Column | str, value: Any, create_if_missing: bool = True
) -> Column:
    """``value`` at ``path``, replacing what is there (what is missing created, unless not
    ``create_if_missing``)."""
    return _with_value("variant_set", v, path, value, create_if_missing)


def try_variant_set(
    v: ColumnOrName, path: Column | str, value: Any, create_if_missing: bool = True
) -> Column:
    """``variant_set``, NULL where it raises."""
    return _with_value("try_variant_set", v, path, value, create_if_missing)


def variant_insert(v: ColumnOrName, path: Column | str, value: Any) -> Column:
    """``value`` inserted at ``path`` (a new field, or before an array element)."""
    return _with_value("variant_insert", v, path, value)


def try_variant_insert(v: ColumnOrName, path: Column | str, value: Any) -> Column:
    """``variant_insert``, NULL where it raises."""
    return _with_value("try_variant_insert", v, path, value)


def variant_strip_nulls(v: ColumnOrName, include_arrays: bool = True) -> Column:
    """The variant without object fields (and array elements) holding null."""
    e = to_expr(v)
    flag = "true" if include_arrays else "false"
    return node(V.strip_nulls(e, include_arrays), f"variant_strip_nulls({names(e)}, {flag})")


def _text(value: Column | str) -> str:
    if isinstance(value, Column) and isinstance(value.expr, exp.Literal):
        return str(value.expr.this)
    return str(value)


def _get(v: ColumnOrName, path: Column | str, target: str | None, try_: bool) -> Column:
    function = "try_variant_get" if try_ else "variant_get"
    e = to_expr(v)
    dtype = parse_data_type(target) if target is not None else T.VariantType()
    if isinstance(path, Column) and not V.is_literal_path(path.expr):
        p = path.expr
        built = V.get_by_column(e, p, dtype, try_, function)
        return node(built, f"{function}({names(e, p)})")  # Spark leaves out the type
    text = _text(path)
    built = V.get(e, V.path_steps(text, function), dtype, try_)
    shown = f"{names(e)}, {text}"
    return node(built, f"{function}({shown})")


def variant_get(v: ColumnOrName, path: Column | str, targetType: str) -> Column:
    """The value at ``path`` cast to ``targetType``; a value that does not cast fails."""
    return _get(v, path, targetType, try_=False)


def try_variant_get(v: ColumnOrName, path: Column | str, targetType: str) -> Column:
    """The value at ``path`` cast to ``targetType``; NULL where it does not cast."""
    return _get(v, path, targetType, try_=True)


__all__ = [
    "is_valid_variant",
    "is_variant_null",
    "parse_json",
    "schema_of_variant",
    "schema_of_variant_agg",
    "to_variant_object",
    "try_parse_json",
    "try_variant_array_append",
    "try_variant_get",
    "try_variant_insert",
    "try_variant_set",
    "variant_array_append",
    "variant_delete",
    "variant_get",
    "variant_insert",
    "variant_set",
    "variant_strip_nulls",
]
