"""String functions."""

from __future__ import annotations

import builtins
import re

from sqlglot import exp

from kaspar.errors import IllegalArgumentException
from kaspar.sql.column import Column, literal, to_columns, to_expr
from kaspar.sql.functions._invoke import (
    ColumnOrName,
    as_binary,
    as_text,
    call,
    names,
    node,
    operand,
)


def upper(col: ColumnOrName) -> Column:
    return call("upper", as_text(col))


def lower(col: ColumnOrName) -> Column:
    return call("lower", as_text(col))


def length(col: ColumnOrName) -> Column:
    return call("length", as_text(col, keep_binary=True))


def char_length(str: ColumnOrName) -> Column:
    return call("char_length", as_text(str, keep_binary=True))


def trim(col: ColumnOrName, trim: ColumnOrName | None = None) -> Column:
    return _trim("trim", "BOTH", col, trim)


def ltrim(col: ColumnOrName, trim: ColumnOrName | None = None) -> Column:
    return _trim("ltrim", "LEADING", col, trim)


def rtrim(col: ColumnOrName, trim: ColumnOrName | None = None) -> Column:
    return _trim("rtrim", "TRAILING", col, trim)


def _trim(fn: str, side: str, col: ColumnOrName, chars: ColumnOrName | None) -> Column:
    """Spaces, or the characters of ``chars`` (a column; a name is a column's), off one or both
    ends; named ``TRIM(BOTH chars FROM col)`` as Spark names the two-argument form."""
    if chars is None:
        return call(fn, as_text(col))
    s, c = as_text(col).expr, as_text(chars).expr
    e = exp.Trim(this=s, expression=c, position=side)
    return node(e, f"TRIM({side} {names(c)} FROM {names(s)})")


def concat(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    e = exp.Concat(expressions=exprs, safe=True, coalesce=False)
    return node(e, f"concat({names(*exprs)})")


def concat_ws(sep: str, *cols: ColumnOrName) -> Column:
    exprs = [literal(sep), *(c.expr for c in to_columns(cols))]
    # coalesce=True: sqlglot writes DuckDB's CONCAT_WS as it is, which skips NULL arguments as
    # Spark's does (without it every argument is checked and one NULL makes the result NULL)
    joined = exp.Coalesce(
        this=exp.ConcatWs(expressions=exprs, coalesce=True), expressions=[literal("")]
    )
    return node(joined, f"concat_ws({names(*exprs)})")


def substring(str: ColumnOrName, pos: ColumnOrName | int, len: ColumnOrName | int) -> Column:
    return call("substring", as_text(str, keep_binary=True), operand(pos), operand(len))


def instr(
    str: ColumnOrName,
    substr: Column | str,
    start: Column | int | None = None,
    occurrence: Column | int | None = None,
) -> Column:
    """The 1-based position of ``substr`` in ``str`` (0 if absent); from ``start`` on, or, for
    a negative ``start``, searching backward from that many characters before the end; the
    ``occurrence``-th match (Spark 4.3)."""
    if start is None and occurrence is None:
        return call("instr", str, args=(substr,))
    if isinstance(occurrence, int) and occurrence <= 0:
        raise IllegalArgumentException(
            "[INVALID_PARAMETER_VALUE.OCCURRENCE] The value of parameter(s) `occurrence` in "
            f"`instr` is invalid: expects a positive integer, but got {occurrence}.",
            "INVALID_PARAMETER_VALUE.OCCURRENCE",
        )
    s = as_text(str).expr
    sub = substr.expr if isinstance(substr, Column) else literal(substr)
    begin = to_expr(start) if isinstance(start, Column) else literal(1 if start is None else start)
    nth = to_expr(occurrence) if isinstance(occurrence, Column) else literal(occurrence or 1)
    return node(_instr_from(s, sub, begin, nth), f"instr({names(s, sub, begin, nth)})")


def _instr_from(s: exp.Expr, sub: exp.Expr, begin: exp.Expr, nth: exp.Expr) -> exp.Expr:
    size = exp.Length(this=s.copy())
    p = exp.to_identifier("_instr_p")
    at = exp.Substring(this=s.copy(), start=exp.column(p.name), length=exp.Length(this=sub.copy()))
    matches = exp.Anonymous(
        this="list_filter",
        expressions=[
            exp.Anonymous(this="range", expressions=[exp.Literal.number(1), size + 1]),
            exp.Lambda(this=exp.EQ(this=at, expression=sub.copy()), expressions=[p]),
        ],
    )
    q = exp.to_identifier("_instr_q")
    forward = exp.Anonymous(
        this="list_filter",
        expressions=[matches, exp.Lambda(this=exp.column(q.name) >= begin.copy(), expressions=[q])],
    )
    last = size.copy() + begin.copy() + 1
    backward = exp.Anonymous(
        this="list_reverse",
        expressions=[
            exp.Anonymous(
                this="list_filter",
                expressions=[
                    matches.copy(),
                    exp.Lambda(this=exp.column(q.name) <= last, expressions=[q.copy()]),
                ],
            )
        ],
    )
    candidates = exp.If(this=begin.copy() > 0, true=forward, false=backward)
    found = exp.Anonymous(this="list_extract", expressions=[candidates, nth.copy()])
    value = exp.Case(
        ifs=[
            exp.If(this=exp.Length(this=sub.copy()).eq(0), true=exp.Literal.number(1)),
            exp.If(this=begin.copy().eq(0), true=exp.Literal.number(0)),
        ],
        default=exp.Coalesce(this=found, expressions=[exp.Literal.number(0)]),
    )
    nulls = exp.or_(*(exp.Is(this=x.copy(), expression=exp.Null()) for x in (s, sub, begin, nth)))
    return exp.cast(exp.If(this=nulls, true=exp.Null(), false=value), "INT")


def locate(substr: str, str: ColumnOrName, pos: int = 1) -> Column:
    s, sub = to_expr(str), literal(substr)
    e = exp.StrPosition(this=s, substr=sub, position=literal(pos))
    return node(e, f"locate({names(sub, s)}, {pos})")


def lpad(col: ColumnOrName, len: int, pad: Column | str | bytes) -> Column:
    return _pad("lpad", col, len, pad)


def rpad(col: ColumnOrName, len: int, pad: Column | str | bytes) -> Column:
    return _pad("rpad", col, len, pad)


def _pad(fn: str, col: ColumnOrName, len: int, pad: Column | str | bytes) -> Column:
    """A bytes pad pads binary: the same padding over hex digits, two per byte."""
    if not isinstance(pad, bytes | bytearray):
        text_pad = as_text(pad) if isinstance(pad, Column) else pad
        return call(fn, as_text(col), args=(len, text_pad))
    e, n, p = to_expr(col), literal(len), literal(pad)
    hex_digits = exp.Anonymous(this="hex", expressions=[e])
    width = exp.Mul(this=exp.paren(n.copy()), expression=exp.Literal.number(2))
    padded = exp.Anonymous(
        this=fn, expressions=[hex_digits, width, exp.Literal.string(pad.hex().upper())]
    )
    return node(exp.Unhex(this=padded), f"{fn}({names(e, n, p)})")


def repeat(col: ColumnOrName, n: ColumnOrName | int) -> Column:
    return call("repeat", as_text(col), operand(n))


def reverse(col: ColumnOrName) -> Column:
    return call("reverse", col)


def initcap(col: ColumnOrName) -> Column:
    return call("initcap", as_text(col))


def split(str: ColumnOrName, pattern: Column | str, limit: ColumnOrName | int = -1) -> Column:
    """Java's ``String.split(regex, limit)`` keeping trailing empty strings: ``limit > 0``
    keeps at most ``limit`` parts, the last holding the rest of the string after the
    ``limit - 1``-th match (found with ``regexp_extract_all``)."""
    s = to_expr(str)
    regex = pattern.expr if isinstance(pattern, Column) else literal(pattern)
    e: exp.Expr = exp.RegexpSplit(this=s, expression=regex)
    if isinstance(limit, int) and limit > 0:
        e = _split_limited(s, regex, e, exp.Literal.number(limit))
    elif isinstance(pattern, Column) or not pattern:  # Java splits "" into [""]; DuckDB: []
        empty = exp.EQ(this=s.copy(), expression=exp.Literal.string(""))
        e = exp.Case(ifs=[exp.If(this=empty, true=exp.Array(expressions=[s.copy()]))], default=e)
    if isinstance(limit, Column | builtins.str):  # a limit per row (a name is a column's)
        at_most = to_expr(limit)
        limited = _split_limited(s, regex, exp.RegexpSplit(this=s, expression=regex), at_most)
        e = exp.If(this=at_most.copy() > 0, true=limited, false=e)
    shown = names(regex) if isinstance(pattern, Column) else pattern
    limit_name = names(to_expr(limit)) if isinstance(limit, Column | builtins.str) else limit
    return node(e, f"split({names(s)}, {shown}, {limit_name})")


def _split_limited(s: exp.Expr, regex: exp.Expr, parts: exp.Expr, limit: exp.Expr) -> exp.Expr:
    def fn(name: str, *args: exp.Expr) -> exp.Expr:
        return exp.Anonymous(this=name, expressions=[a.copy() for a in args])

    def first(values: exp.Expr) -> exp.Expr:
        return fn("list_slice", values, exp.Literal.number(1), limit.copy() - 1)

    def joined_length(values: exp.Expr) -> exp.Expr:
        return fn("length", fn("array_to_string", first(values), exp.Literal.string("")))

    separators = fn("regexp_extract_all", s, regex)
    offset = exp.Add(this=joined_length(parts), expression=joined_length(separators))
    rest = fn("substring", s, exp.Add(this=exp.paren(offset), expression=exp.Literal.number(1)))
    limited = fn("list_concat", first(parts), exp.Array(expressions=[rest]))
    few = exp.LTE(this=fn("len", parts), expression=limit.copy())
    is_null = exp.Is(this=s.copy(), expression=exp.Null())
    ifs = [exp.If(this=is_null, true=exp.Null()), exp.If(this=few, true=parts.copy())]
    return exp.Case(ifs=ifs, default=limited)


def regexp_replace(
    string: ColumnOrName,
    pattern: Column | str,
    replacement: Column | str,
    position: Column | int | None = None,
) -> Column:
    """Java's replacement syntax (``$1``) in DuckDB's (``\\1``) for a literal replacement;
    matches replaced from the 1-based ``position`` on (the text before it kept)."""
    s = to_expr(string)
    regex = pattern.expr if isinstance(pattern, Column) else literal(pattern)
    if isinstance(replacement, Column):
        written = replacement.expr
    else:
        written = literal(re.sub(r"\$(\d)", r"\\\1", replacement.replace("\\", "\\\\")))
    at = to_expr(position) if isinstance(position, Column) else literal(position or 1)
    tail = exp.Substring(this=s.copy(), start=at)
    e: exp.Expr = exp.RegexpReplace(
        this=tail if position is not None else s.copy(),
        expression=regex,
        replacement=written,
        modifiers=exp.Literal.string("g"),
    )
    if position is not None:
        head = exp.Substring(this=s.copy(), start=exp.Literal.number(1), length=at.copy() - 1)
        e = exp.DPipe(this=head, expression=e, safe=True)
    shown = [names(x.expr) if isinstance(x, Column) else x for x in (pattern, replacement)]
    return node(e, f"regexp_replace({names(s)}, {shown[0]}, {shown[1]}, {names(at)})")


def regexp_extract(str: ColumnOrName, pattern: str, idx: int) -> Column:
    return call("regexp_extract", str, args=(pattern, idx))


def regexp_like(str: ColumnOrName, regexp: ColumnOrName) -> Column:
    s, r = to_expr(str), to_expr(regexp)
    return node(exp.RegexpLike(this=s, expression=r), f"REGEXP_LIKE({names(s, r)})")


def translate(srcCol: ColumnOrName, matching: str, replace: str) -> Column:
    return call("translate", as_text(srcCol), args=(matching, replace))


def ascii(col: ColumnOrName) -> Column:
    return call("ascii", as_text(col))


def base64(col: ColumnOrName) -> Column:
    return call("base64", as_binary(col))


def unbase64(col: ColumnOrName) -> Column:
    return call("unbase64", as_text(col))


def left(str: ColumnOrName, len: ColumnOrName) -> Column:
    return call("left", as_text(str), len)


def right(str: ColumnOrName, len: ColumnOrName) -> Column:
    return call("right", as_text(str), len)


def replace(src: ColumnOrName, search: ColumnOrName, replace: ColumnOrName | None = None) -> Column:
    """``replace`` defaults to the empty string (the matches are removed)."""
    with_text = Column(literal("")) if replace is None else replace
    return call("replace", as_text(src), as_text(search), as_text(with_text))


def startswith(str: ColumnOrName, prefix: ColumnOrName) -> Column:
    return call("startswith", as_text(str), as_text(prefix))  # binary: as its text


def endswith(str: ColumnOrName, suffix: ColumnOrName) -> Column:
    return call("endswith", as_text(str), as_text(suffix))


def contains(left: ColumnOrName, right: ColumnOrName) -> Column:
    return call("contains", as_text(left), as_text(right))


def levenshtein(left: ColumnOrName, right: ColumnOrName, threshold: int | None = None) -> Column:
    if threshold is None:
        return call("levenshtein", as_text(left), as_text(right))
    a, b = as_text(left).expr, as_text(right).expr
    distance = exp.cast(exp.Levenshtein(this=a, expression=b), "INT")
    over = exp.GT(this=distance.copy(), expression=literal(threshold))
    value = exp.Case(ifs=[exp.If(this=over, true=literal(-1))], default=distance)
    return node(value, f"levenshtein({names(a, b)}, {threshold})")


def md5(col: ColumnOrName) -> Column:
    return call("md5", col)


def sha1(col: ColumnOrName) -> Column:
    return call("sha1", col)


def sha2(col: ColumnOrName, numBits: int) -> Column:
    return call("sha2", col, args=(numBits,))


def format_string(format: str, *cols: ColumnOrName) -> Column:
    from kaspar.sql.functions.formatting import printf_call

    return printf_call("format_string", literal(format), [c.expr for c in to_columns(cols)])


__all__ = [
    "ascii",
    "base64",
    "char_length",
    "concat",
    "concat_ws",
    "contains",
    "endswith",
    "format_string",
    "initcap",
    "instr",
    "left",
    "length",
    "levenshtein",
    "locate",
    "lower",
    "lpad",
    "ltrim",
    "md5",
    "regexp_extract",
    "regexp_like",
    "regexp_replace",
    "repeat",
    "replace",
    "reverse",
    "right",
    "rpad",
    "rtrim",
    "sha1",
    "sha2",
    "split",
    "startswith",
    "substring",
    "translate",
    "trim",
    "unbase64",
    "upper",
]
