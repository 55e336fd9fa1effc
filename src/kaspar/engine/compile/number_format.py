"""Spark's number formats (``to_number``, ``to_char``): the format parsed, and a number
written in it as a DuckDB tree (``kaspar.sql.functions.number_format`` and Spark SQL's
``to_char`` both build on this).

A format (a constant) is made of ``0``/``9`` digits, ``.``/``D`` (decimal point), ``,``/``G``
(grouping), ``$``, a sign ``S``/``MI`` first or last, or ``PR`` last. A number is written with
its digits padded with spaces, or zeros when the integer part of the format starts with ``0``;
``#`` in every digit when it does not fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from kaspar.errors import AnalysisException

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
    if any(t in ("S", "MI", "PR") for t in tokens) or tokens.count("$") > 1:
        raise ValueError(f"invalid number format {text!r}")  # a sign inside, or two $
    dollar = "$" in tokens
    body = "".join(t for t in tokens if t != "$").replace("D", ".").replace("G", ",")
    if body.count(".") > 1 or "," in body.partition(".")[2]:
        raise ValueError(f"invalid number format {text!r}")
    integer, point, fraction = body.partition(".")
    return NumberFormat(integer, len(fraction), bool(point), dollar, sign, sign_first)


def check_format(text: str) -> NumberFormat:
    """The parsed format of ``to_number``, or Spark's ``INVALID_FORMAT`` error."""
    if not text:
        raise AnalysisException(
            "The format is invalid: ''. The number format string cannot be empty.",
            "INVALID_FORMAT.EMPTY",
            {"format": "''"},
        )
    try:
        return parse_format(text)
    except ValueError:
        raise AnalysisException(
            f"The format is invalid: '{text}'. Found an unexpected token in the format "
            "string; the structure of the valid format is [MI|S] [$] [0|9|G|,]* [.|D] [0|9]* "
            "[$] [PR|MI|S].",
            "INVALID_FORMAT.UNEXPECTED_TOKEN",
            {"format": f"'{text}'"},
        ) from None


def _grouped_regex(integer: str) -> str:
    """The integer part of a grouped format (``99,999``): the input's groups, aligned to the
    format's last ones, each at most as long as the format's group there."""
    sizes = [len(g) for g in integer.split(",")]
    choices = [",".join(f"[0-9]{{1,{n}}}" for n in sizes[first:]) for first in range(len(sizes))]
    return "(" + "|".join(choices) + ")?"


def input_regex(f: NumberFormat) -> str:
    if "," in f.integer:
        integer = _grouped_regex(f.integer)
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


def call(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=[a.copy() for a in args])


def _grouped(padded: exp.Expr, integer: str) -> exp.Expr:
    """The padded digits with the format's grouping commas (a space within the padding)."""
    pieces: list[exp.Expr] = []
    position = 0
    for ch in integer:
        if ch == ",":
            before = call("substr", padded, exp.Literal.number(position), exp.Literal.number(1))
            blank = exp.EQ(this=before, expression=exp.Literal.string(" "))
            pieces.append(
                exp.If(this=blank, true=exp.Literal.string(" "), false=exp.Literal.string(","))
            )
        else:
            position += 1
            pieces.append(
                call("substr", padded, exp.Literal.number(position), exp.Literal.number(1))
            )
    return call("concat", *pieces) if pieces else exp.Literal.string("")


def _signed(body: exp.Expr, negative: exp.Expr, f: NumberFormat) -> exp.Expr:
    """The sign as the format asks (none: no sign at all, as Spark writes it). A leading sign
    (and PR's ``<``) comes right before the first written character, after the padding (at
    the end when nothing is written); a trailing ``S`` comes first when nothing is."""

    def pick(neg: str, pos: str) -> exp.Expr:
        return exp.If(
            this=negative.copy(), true=exp.Literal.string(neg), false=exp.Literal.string(pos)
        )

    def before_text(mark: exp.Expr, text: exp.Expr) -> exp.Expr:
        trimmed = call("ltrim", text)
        padding = exp.Sub(this=call("length", text), expression=call("length", trimmed))
        return call("concat", call("repeat", exp.Literal.string(" "), padding), mark, trimmed)

    if f.sign == "PR":
        return call("concat", before_text(pick("<", ""), body), pick(">", "  "))
    if not f.sign:
        return body
    mark = pick("-", "+") if f.sign == "S" else pick("-", " ")
    if f.sign_first:
        return before_text(mark, body)
    blank = exp.EQ(this=call("trim", body), expression=exp.Literal.string(""))
    return exp.If(this=blank, true=call("concat", mark, body), false=call("concat", body, mark))


def _point(f: NumberFormat) -> str:
    """The decimal point as written: a space when no digit follows it."""
    return "." if f.fraction else " "


def _overflow_text(f: NumberFormat) -> str:
    """Every digit as ``#``, grouping as a space (the value does not fit the format)."""
    text = "#" * f.digits if "," not in f.integer else f.integer.replace(",", " ")
    text = re.sub("[09]", "#", text) + (_point(f) + "#" * f.fraction if f.point else "")
    return ("$" if f.dollar else "") + text


def format_number(x: exp.Expr, f: NumberFormat) -> exp.Expr:
    """Spark's ``ToCharacter``: ``#`` when the integer part is too long or the value has
    non-zero digits past the format's; a zero integer part is blank without a point."""
    magnitude = call("abs", x)
    text = call("printf", exp.Literal.string(f"%.{f.fraction}f"), exp.cast(magnitude, "DOUBLE"))
    whole = call("split_part", text, exp.Literal.string("."), exp.Literal.number(1))
    if not f.point or not f.digits:  # a zero integer part is written only with a digit
        zero = exp.EQ(this=whole.copy(), expression=exp.Literal.string("0"))
        whole = exp.If(this=zero, true=exp.Literal.string(""), false=whole)
    pad = "0" if f.integer.startswith("0") else " "
    padded = call("lpad", whole, exp.Literal.number(f.digits), exp.Literal.string(pad))
    body = _grouped(padded, f.integer)
    if f.point:
        fraction = call("split_part", text, exp.Literal.string("."), exp.Literal.number(2))
        body = call("concat", body, exp.Literal.string(_point(f)), fraction)
    if f.dollar:
        body = call("concat", exp.Literal.string("$"), body)
    negative = exp.LT(this=x.copy(), expression=exp.Literal.number(0))
    fits = exp.and_(
        exp.LTE(this=call("length", whole), expression=exp.Literal.number(f.digits)),
        exp.EQ(
            this=call("round", magnitude, exp.Literal.number(f.fraction)),
            expression=magnitude.copy(),
        ),
    )
    written = exp.If(this=fits, true=body, false=exp.Literal.string(_overflow_text(f)))
    is_null = exp.Is(this=x.copy(), expression=exp.Null())
    return exp.If(this=is_null, true=exp.Null(), false=_signed(written, negative, f))


def parse_number(s: exp.Expr, text: str, *, safe: bool) -> exp.Expr:
    """``to_number(s, text)`` (``try_to_number`` when ``safe``): ``s`` (spaces around it
    ignored) as ``decimal(digits, fraction digits)`` when it matches the format, else NULL or
    Spark's ``INVALID_FORMAT.MISMATCH_INPUT``."""
    f = check_format(text)
    trimmed = call("trim", s)
    regex = exp.Literal.string(input_regex(f))
    matched = exp.and_(
        call("regexp_full_match", trimmed, regex),
        call("regexp_matches", trimmed, exp.Literal.string("[0-9]")),
    )
    digits = call(
        "regexp_replace",
        trimmed,
        exp.Literal.string("[^0-9.]"),
        exp.Literal.string(""),
        exp.Literal.string("g"),
    )
    dtype = f"DECIMAL({max(f.digits + f.fraction, 1)}, {f.fraction})"
    negative = call("regexp_matches", trimmed, exp.Literal.string("^<|-"))
    magnitude = exp.cast(digits, dtype)
    value = exp.If(this=negative, true=exp.Neg(this=exp.paren(magnitude)), false=magnitude.copy())
    mismatch: exp.Expr = exp.cast(exp.Null(), dtype)
    if not safe:
        message = exp.DPipe(
            this=exp.Literal.string("[INVALID_FORMAT.MISMATCH_INPUT] The input '"),
            expression=exp.DPipe(
                this=s.copy(),
                expression=exp.Literal.string(f"' does not match the format '{text}'."),
            ),
        )
        mismatch = call("error", message)
    ifs = [
        exp.If(this=exp.Is(this=s.copy(), expression=exp.Null()), true=exp.cast(exp.Null(), dtype))
    ]
    ifs.append(exp.If(this=matched, true=value))
    return exp.Case(ifs=ifs, default=mismatch)
