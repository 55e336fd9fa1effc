"""Spark's ``reverse``: a string's characters, an array's elements or a binary's bytes in
reverse order. DuckDB's ``reverse`` takes only strings, so the call is written once the
operand's type is known (``typed_rewrites``): ``list_reverse`` for an array, the hex digit
pairs reversed for a binary, ``reverse`` of the text for anything else (Spark's implicit cast
of a number or date to a string)."""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.typed_rewrites import typed_call


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _reverse_bytes(e: exp.Expr) -> exp.Expr:
    pairs = _fn("regexp_extract_all", _fn("hex", e), exp.Literal.string(".."))
    digits = _fn("array_to_string", _fn("list_reverse", pairs), exp.Literal.string(""))
    return _fn("unhex", digits)


def _rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
    e, kind = operands[0], types[0].id
    if kind in ("list", "array"):
        return _fn("list_reverse", e)
    if kind == "blob":
        return _reverse_bytes(e)
    if kind != "varchar":
        e = exp.cast(e, "VARCHAR")
    return _fn("reverse", e)


def reverse(args: list[exp.Expr]) -> exp.Expr:
    """The parser's builder for ``reverse(x)`` (``F.reverse`` and SQL text alike)."""
    return typed_call(args[:1], _rewrite)


__all__ = ["reverse"]
