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

import re
from dataclasses import dataclass

from sqlglot import exp

from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node
from kaspar.sql.functions._to_char_column import column_format, folded_text

_TOKEN = re.compile(r"MI|PR|[09.,DGS$]", re.IGNORECASE)


@dataclass(frozen=True)
class NumberFormat:
    """A parsed number format."""

    integer: str  # the 0/9 and grouping characters before the point (``,``)
    fraction: int  # digits after the point
    point: bool
    dollar: bool
    sign: str  # "", "S" or "MI" (first or last), "PR"
    sign_first: bool

    @property
    def digits(self) -> int:
        return sum(ch in "09" for ch in self.integer)


def parse_format(text: str) -> NumberFormat:
    tokens = _TOKEN.findall(text.upper())
    if "".join(tokens) != text.upper() or not tokens:
        raise ValueError(f"invalid number format {text!r}")
    sign, sign_first = "", False
    if tokens[0] in ("S", "MI"):
        sign, sign_first, tokens = tokens[0], True, tokens[1:]
    elif tokens[-1] in ("S", "MI", "PR"):
        sign, tokens = tokens[-1], tokens[:-1]
    dollar = "$" in tokens
    body = "".join(t for t in tokens if t != "$").replace("D", ".").replace("G", ",")
    integer, point, fraction = body.partition(".")
    return NumberFormat(integer, len(fraction), bool(point), dollar, sign, sign_first)


def _input_regex(f: NumberFormat) -> str:
    if "," in f.integer:
        integer = "[0-9][0-9,]*"
    elif f.integer.startswith("0"):
        integer = f"[0-9]{{{f.digits}}}"
    else:
        integer = f"[0-9]{{0,{f.digits}}}"
    number = integer + (f"(\\.[0-9]{{0,{f.fraction}}})?" if f.point else "")
    number = ("\\$" if f.dollar else "") + number
    signs = {"S": "[+-]?", "MI": "-?"}
    if f.sign == "PR":
        return f"<{number}>|{number}"
    sign = signs.get(f.sign, "")
    return sign + number if f.sign_first else number + sign


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=[a.copy() for a in args])


def _to_number(fn: str, col: ColumnOrName, format: ColumnOrName, safe: bool) -> Column:
    s, fmt = to_expr(col), to_expr(format)
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise ValueError(f"{fn}: the format must be a constant string")
    f = parse_format(str(fmt.this))
    regex = exp.Literal.string(_input_regex(f))
    matched = exp.and_(
        _fn("regexp_full_match", s, regex), _fn("regexp_matches", s, exp.Literal.string("[0-9]"))
    )
    digits = _fn(
        "regexp_replace",
        s,
        exp.Literal.string("[^0-9.]"),
        exp.Literal.string(""),
        exp.Literal.string("g"),
    )
    dtype = f"DECIMAL({max(f.digits + f.fraction, 1)}, {f.fraction})"
    negative = _fn("regexp_matches", s, exp.Literal.string("^<|-"))
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
        mismatch = _fn("error", message)
    ifs = [
        exp.If(this=exp.Is(this=s.copy(), expression=exp.Null()), true=exp.cast(exp.Null(), dtype))
    ]
    ifs.append(exp.If(this=matched, true=value))
    return node(exp.Case(ifs=ifs, default=mismatch), f"{fn}({names(s, fmt)})")


def to_number(col: ColumnOrName, format: ColumnOrName) -> Column:
    return _to_number("to_number", col, format, safe=False)


def try_to_number(col: ColumnOrName, format: ColumnOrName) -> Column:
    return _to_number("try_to_number", col, format, safe=True)


def _grouped(padded: exp.Expr, integer: str) -> exp.Expr:
    """The padded digits with the format's grouping commas (a space within the padding)."""
    pieces: list[exp.Expr] = []
    position = 0
    for ch in integer:
        if ch == ",":
            before = _fn("substr", padded, exp.Literal.number(position), exp.Literal.number(1))
            blank = exp.EQ(this=before, expression=exp.Literal.string(" "))
            pieces.append(
                exp.If(this=blank, true=exp.Literal.string(" "), false=exp.Literal.string(","))
            )
        else:
            position += 1
            pieces.append(
                _fn("substr", padded, exp.Literal.number(position), exp.Literal.number(1))
            )
    return _fn("concat", *pieces) if pieces else exp.Literal.string("")


def _signed(body: exp.Expr, negative: exp.Expr, f: NumberFormat) -> exp.Expr:
    """The sign as the format asks (none: no sign at all, as Spark writes it)."""

    def pick(neg: str, pos: str) -> exp.Expr:
        return exp.If(
            this=negative.copy(), true=exp.Literal.string(neg), false=exp.Literal.string(pos)
        )

    if f.sign == "PR":
        return _fn("concat", pick("<", ""), body, pick(">", "  "))
    if not f.sign:
        return body
    mark = pick("-", "+") if f.sign == "S" else pick("-", " ")
    return _fn("concat", mark, body) if f.sign_first else _fn("concat", body, mark)


def _overflow_text(f: NumberFormat) -> str:
    """Every digit as ``#``, grouping as a space (the value does not fit the format)."""
    text = "#" * f.digits if "," not in f.integer else f.integer.replace(",", " ")
    text = re.sub("[09]", "#", text) + ("." + "#" * f.fraction if f.point else "")
    return ("$" if f.dollar else "") + text


def _format_number(x: exp.Expr, f: NumberFormat) -> exp.Expr:
    """Spark's ``ToCharacter``: ``#`` when the integer part is too long or the value has
    non-zero digits past the format's; a zero integer part is blank without a point."""
    magnitude = _fn("abs", x)
    text = _fn("printf", exp.Literal.string(f"%.{f.fraction}f"), exp.cast(magnitude, "DOUBLE"))
    whole = _fn("split_part", text, exp.Literal.string("."), exp.Literal.number(1))
    if not f.point:
        zero = exp.EQ(this=whole.copy(), expression=exp.Literal.string("0"))
        whole = exp.If(this=zero, true=exp.Literal.string(""), false=whole)
    pad = "0" if f.integer.startswith("0") else " "
    padded = _fn("lpad", whole, exp.Literal.number(f.digits), exp.Literal.string(pad))
    body = _grouped(padded, f.integer)
    if f.point:
        fraction = _fn("split_part", text, exp.Literal.string("."), exp.Literal.number(2))
        body = _fn("concat", body, exp.Literal.string("."), fraction)
    if f.dollar:
        body = _fn("concat", exp.Literal.string("$"), body)
    negative = exp.LT(this=x.copy(), expression=exp.Literal.number(0))
    fits = exp.and_(
        exp.LTE(this=_fn("length", whole), expression=exp.Literal.number(f.digits)),
        exp.EQ(
            this=_fn("round", magnitude, exp.Literal.number(f.fraction)),
            expression=magnitude.copy(),
        ),
    )
    written = exp.If(this=fits, true=body, false=exp.Literal.string(_overflow_text(f)))
    is_null = exp.Is(this=x.copy(), expression=exp.Null())
    return exp.If(this=is_null, true=exp.Null(), false=_signed(written, negative, f))


_BINARY_FORMATS = {"base64": "to_base64", "hex": "hex", "utf-8": "decode"}


def _to_char(fn: str, col: ColumnOrName, format: ColumnOrName) -> Column:
    """By the format: binary (``hex``, ``base64``, ``utf-8``), a number format, else a
    datetime pattern (``date_format``); named as Spark names each."""
    x, fmt = to_expr(col), to_expr(format)
    text = folded_text(fmt)
    if text is None:
        return node(column_format(x, fmt), f"date_format({names(x, fmt)})")
    binary = _BINARY_FORMATS.get(text.lower())
    if binary == "hex":
        return node(_fn("upper", _fn("hex", x)), f"hex({names(x)})")
    if binary == "to_base64":
        return node(_fn("to_base64", x), f"base64({names(x)})")
    if binary is not None:
        return node(_fn(binary, x), f"{fn}({names(x, fmt)})")
    try:
        number_format = parse_format(text)
    except ValueError:  # a datetime pattern
        from kaspar.sql.functions.datetime import date_format

        return date_format(Column(x), text)
    return node(_format_number(x, number_format), f"to_char({names(x, fmt)})")


def to_char(col: ColumnOrName, format: ColumnOrName) -> Column:
    return _to_char("to_char", col, format)


def to_varchar(col: ColumnOrName, format: ColumnOrName) -> Column:
    return _to_char("to_varchar", col, format)


_ = literal

__all__ = ["to_char", "to_number", "to_varchar", "try_to_number"]
