"""Numbers to and from text with Spark's number formats: ``to_number``, ``try_to_number``,
``to_char`` and ``to_varchar``.

A format (a constant) is made of ``0``/``9`` digits, ``.``/``D`` (decimal point), ``,``/``G``
(grouping), ``$``, a sign ``S``/``MI`` first or last, or ``PR`` last. ``to_number`` gives
``decimal(digits, digits after the point)``: the text must match the format (a regex built
from it), else ANSI raises ``INVALID_FORMAT.MISMATCH_INPUT`` and ``try_to_number`` gives NULL.
``to_char`` of a number writes it in the format (digits padded with spaces, or zeros when
the integer part of the format starts with ``0``; ``#`` in every digit when it does not fit);
of a date or timestamp it is ``date_format``; of binary, ``base64`` / ``hex`` / ``utf-8``.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.number_format import call, format_number, parse_format, parse_number
from kaspar.engine.compile.to_char import (
    BINARY_FORMATS,
    column_format,
    datetime_only,
    folded_text,
)
from kaspar.engine.plan.naming import output_name
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def _to_number(fn: str, col: ColumnOrName, format: ColumnOrName, safe: bool) -> Column:
    s, fmt = to_expr(col), to_expr(format)
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise ValueError(f"{fn}: the format must be a constant string")
    return node(parse_number(s, str(fmt.this), safe=safe), f"{fn}({names(s, fmt)})")


def to_number(col: ColumnOrName, format: ColumnOrName) -> Column:
    return _to_number("to_number", col, format, safe=False)


def try_to_number(col: ColumnOrName, format: ColumnOrName) -> Column:
    return _to_number("try_to_number", col, format, safe=True)


def _to_char(fn: str, col: ColumnOrName, format: ColumnOrName) -> Column:
    """By the format: binary (``hex``, ``base64``, ``utf-8``), a number format, else a
    datetime pattern (``date_format``); named as Spark names each."""
    x, fmt = to_expr(col), to_expr(format)
    text = folded_text(fmt)
    if text is None:
        refused = column_format(x, fmt, f"to_char({names(x, fmt)})", names(fmt))
        return node(refused, f"date_format({names(x, fmt)})")
    binary = BINARY_FORMATS.get(text.lower())
    if binary == "hex":
        return node(call("upper", call("hex", x)), f"hex({names(x)})")
    if binary == "to_base64":
        return node(call("to_base64", x), f"base64({names(x)})")
    if binary is not None:
        return node(call(binary, x), f"{fn}({names(x, fmt)})")
    try:
        number_format = parse_format(text)
    except ValueError:  # a datetime pattern
        from kaspar.sql.functions.datetime import date_format

        formatted = date_format(Column(x), text)
        refused = datetime_only(x, text, lambda e: date_format(Column(e), text).expr)
        return node(refused, output_name(formatted.expr))
    return node(format_number(x, number_format), f"to_char({names(x, fmt)})")


def to_char(col: ColumnOrName, format: ColumnOrName) -> Column:
    return _to_char("to_char", col, format)


def to_varchar(col: ColumnOrName, format: ColumnOrName) -> Column:
    return _to_char("to_varchar", col, format)


_ = literal

__all__ = ["to_char", "to_number", "to_varchar", "try_to_number"]
