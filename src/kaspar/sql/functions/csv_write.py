"""``to_csv``: a struct written as one CSV record, as Spark's CSV writer writes a row.

The text of each field depends on its type, so the call is a typed rewrite (the struct's
DuckDB type is known once bound, ``kaspar.engine.compile.typed_rewrites``) that becomes plain
DuckDB SQL: strings are trimmed (the writer's ``ignoreLeading/TrailingWhiteSpace``), an empty
one is written ``""``, and one holding the separator, the quote or a line break is quoted with
its quotes escaped (``\\"``); dates and timestamps follow ``dateFormat`` / ``timestampFormat``
(default ``yyyy-MM-dd'T'HH:mm:ss.SSSXXX`` in the session time zone, ``Z`` for UTC); other
values are written as Spark casts them to a string (an array, map or struct's text quoted
as a string is); NULL fields are ``nullValue`` (empty). A
NULL struct gives NULL; an argument that is not a struct is refused at analysis. ``from_csv``
reads the text back.
"""

from __future__ import annotations

from typing import Any

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.compile.typed_rewrites import struct_fields, typed_call
from kaspar.engine.type_conversion import from_duckdb
from kaspar.errors import AnalysisException
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, build, names, node

_NESTED = frozenset({"list", "array", "map", "struct"})
_TIMESTAMP_DEFAULT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
_ISO_TIMESTAMP = (
    "strftime(_x_, '%Y-%m-%dT%H:%M:%S.%g') || CASE WHEN date_part('timezone', _x_) = 0 "
    "THEN 'Z' ELSE (CASE WHEN date_part('timezone', _x_) < 0 THEN '-' ELSE '+' END) "
    "|| lpad(CAST(abs(date_part('timezone', _x_)) // 3600 AS VARCHAR), 2, '0') || ':' "
    "|| lpad(CAST(abs(date_part('timezone', _x_)) % 3600 // 60 AS VARCHAR), 2, '0') END"
)


def _options(options: dict[str, Any] | None) -> dict[str, str]:
    given = {k: str(v) for k, v in (options or {}).items()}
    return {
        "sep": given.get("sep", given.get("delimiter", ",")),
        "quote": given.get("quote", '"'),
        "escape": given.get("escape", "\\"),
        "nullValue": given.get("nullValue", ""),
        "emptyValue": given.get("emptyValue", '""'),
        "dateFormat": given.get("dateFormat", "yyyy-MM-dd"),
        "timestampFormat": given.get("timestampFormat", _TIMESTAMP_DEFAULT),
        "quoteAll": given.get("quoteAll", "false").lower(),
    }


def _quoted(text: exp.Expr, opts: dict[str, str]) -> exp.Expr:
    """``text`` within quotes, its quote characters escaped."""
    quote = exp.Literal.string(opts["quote"])
    escaped = exp.Anonymous(
        this="replace",
        expressions=[text.copy(), quote.copy(), exp.Literal.string(opts["escape"] + opts["quote"])],
    )
    return exp.DPipe(this=exp.DPipe(this=quote, expression=escaped), expression=quote.copy())


def _string_field(value: exp.Expr, opts: dict[str, str]) -> exp.Expr:
    trimmed = exp.Trim(this=value.copy())
    if opts["quoteAll"] == "true":
        null = literal(opts["nullValue"])
        return _quoted(exp.Coalesce(this=trimmed, expressions=[null]), opts)
    specials = [opts["sep"], opts["quote"], "\n", "\r"]
    needs_quotes = exp.or_(
        *[
            exp.GT(
                this=exp.Anonymous(
                    this="strpos", expressions=[trimmed.copy(), exp.Literal.string(ch)]
                ),
                expression=exp.Literal.number(0),
            )
            for ch in specials
        ]
    )
    empty = exp.EQ(this=trimmed.copy(), expression=exp.Literal.string(""))
    return exp.Case(
        ifs=[
            exp.If(this=empty, true=exp.Literal.string(opts["emptyValue"])),
            exp.If(this=needs_quotes, true=_quoted(trimmed, opts)),
        ],
        default=trimmed,
    )


def _field_text(value: exp.Expr, kind: DuckDBPyType, opts: dict[str, str]) -> exp.Expr:
    name = str(kind)
    if name == "VARCHAR":
        return _string_field(value, opts)
    if name == "TIMESTAMP WITH TIME ZONE" and opts["timestampFormat"] == _TIMESTAMP_DEFAULT:
        text = fill(_ISO_TIMESTAMP, value)
    elif name.startswith("TIMESTAMP"):
        text = build("date_format", [value.copy(), literal(opts["timestampFormat"])])
    elif name == "DATE":
        text = build("date_format", [value.copy(), literal(opts["dateFormat"])])
    elif kind.id in _NESTED:  # its text ("[1, 2]") is quoted as a string holding a comma
        return _string_field(exp.cast(value.copy(), "VARCHAR"), opts)
    else:
        text = exp.cast(value.copy(), "VARCHAR")
    if opts["quoteAll"] == "true":  # a NULL field too: quoted nullValue
        return _quoted(exp.Coalesce(this=text, expressions=[literal(opts["nullValue"])]), opts)
    return text


def to_csv(col: ColumnOrName, options: dict[str, Any] | None = None) -> Column:
    """The CSV record of a struct's fields (Spark's writer options ``sep``, ``quote``,
    ``escape``, ``nullValue``, ``emptyValue``, ``dateFormat``, ``timestampFormat``,
    ``quoteAll``)."""
    e = to_expr(col)
    name = f"to_csv({names(e)})"
    opts = _options(options)

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        struct, kind = operands[0], types[0]
        if kind.id != "struct":
            given = from_duckdb(str(kind)).simpleString().upper()
            raise AnalysisException(
                f'Cannot resolve "{name}" due to data type mismatch: The input of `to_csv` '
                f'can\'t be "{given}" type data.',
                "DATATYPE_MISMATCH.UNSUPPORTED_INPUT_TYPE",
            )
        parts: list[exp.Expr] = []
        for field, child in struct_fields(kind):
            access = exp.Anonymous(
                this="struct_extract", expressions=[struct.copy(), exp.Literal.string(field)]
            )
            text = _field_text(access, child, opts)
            parts.append(exp.Coalesce(this=text, expressions=[literal(opts["nullValue"])]))
        record: exp.Expr = parts[0]
        for part in parts[1:]:
            joined = exp.DPipe(this=record, expression=exp.Literal.string(opts["sep"]))
            record = exp.DPipe(this=joined, expression=part)
        is_null = exp.Is(this=struct.copy(), expression=exp.Null())
        return exp.If(this=is_null, true=exp.Null(), false=record)

    return node(typed_call([e], rewrite), name)


__all__ = ["to_csv"]
