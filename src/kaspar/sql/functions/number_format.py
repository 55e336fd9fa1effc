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

from kaspar.engine.compile.number_format import call, format_number, input_regex, parse_format
from kaspar.engine.compile.to_char import BINARY_FORMATS, column_format, folded_text
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def _to_number(fn: str, col: ColumnOrName, format: ColumnOrName, safe: bool) -> Column:
    s, fmt = to_expr(col), to_expr(format)
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise ValueError(f"{fn}: the format must be a constant string")
    f = parse_format(str(fmt.this))
    regex = exp.Literal.string(input_regex(f))
    matched = exp.and_(
        call("regexp_full_match", s, regex), call("regexp_matches", s, exp.Literal.string("[0-9]"))
    )
    digits = call(
        "regexp_replace",
        s,
        exp.Literal.string("[^0-9.]"),
        exp.Literal.string(""),
        exp.Literal.string("g"),
    )
    dtype = f"DECIMAL({max(f.digits + f.fraction, 1)}, {f.fraction})"
    negative = call("regexp_matches", s, exp.Literal.string("^<|-"))
    magnitude = exp.cast(digits, dtype)
    value = exp.If(this=negative, true=exp.Neg(this=exp.paren(magnitude)), false=magnitude.copy())
    mismatch: exp.Expr = exp.cast(exp.Null(), dtype)
    if not safe:
        message = exp.DPipe(
            this=exp.Literal.string("[INVALID_FORMAT.MISMATCH_INPUT] The input '"),
            expression=exp.DPipe(
                this=s.copy(),
                expression=exp.Literal.string(f"' does not match the format '{fmt.this}'."),
            ),
        )
        mismatch = call("error", message)
    ifs = [
        exp.If(this=exp.Is(this=s.copy(), expression=exp.Null()), true=exp.cast(exp.Null(), dtype))
    ]
    ifs.append(exp.If(this=matched, true=value))
    return node(exp.Case(ifs=ifs, default=mismatch), f"{fn}({names(s, fmt)})")


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

        return date_format(Column(x), text)
    return node(format_number(x, number_format), f"to_char({names(x, fmt)})")


def to_char(col: ColumnOrName, format: ColumnOrName) -> Column:
    return _to_char("to_char", col, format)


def to_varchar(col: ColumnOrName, format: ColumnOrName) -> Column:
    return _to_char("to_varchar", col, format)


_ = literal

__all__ = ["to_char", "to_number", "to_varchar", "try_to_number"]
