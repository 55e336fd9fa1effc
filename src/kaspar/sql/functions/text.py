"""More string functions (PySpark names, Spark semantics on DuckDB)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kaspar.sql.column import Column, literal, to_columns, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, as_binary, as_text, call, names, node


def lcase(str: ColumnOrName) -> Column:
    return call("lcase", as_text(str), sql_fn="lower")


def ucase(str: ColumnOrName) -> Column:
    return call("ucase", as_text(str), sql_fn="upper")


def character_length(str: ColumnOrName) -> Column:
    return call("character_length", str, sql_fn="length")


def substr(str: ColumnOrName, pos: ColumnOrName, len: ColumnOrName | None = None) -> Column:
    cols = [as_text(str, keep_binary=True), pos] + ([len] if len is not None else [])
    named = None if len is not None else f"substr({names(*(to_expr(c) for c in cols))}, 2147483647)"
    return call("substr", *cols, sql_fn="substring", name=named)


def btrim(str: ColumnOrName, trim: ColumnOrName | None = None) -> Column:
    cols = [str] + ([trim] if trim is not None else [])
    e = [to_expr(c) for c in cols]
    chars = e[1] if len(e) > 1 else exp.Literal.string(" ")
    return node(exp.Anonymous(this="trim", expressions=[e[0], chars]), f"btrim({names(*e)})")


def octet_length(col: ColumnOrName) -> Column:
    e = to_expr(col)
    value = exp.Anonymous(this="octet_length", expressions=[as_binary(col).expr])
    return node(exp.cast(value, "INT"), f"octet_length({names(e)})")


def bit_length(col: ColumnOrName) -> Column:
    e = to_expr(col)
    value = exp.Mul(
        this=exp.Anonymous(this="octet_length", expressions=[as_binary(col).expr]),
        expression=exp.Literal.number(8),
    )
    return node(exp.cast(value, "INT"), f"bit_length({names(e)})")


def substring_index(str: ColumnOrName, delim: str, count: int) -> Column:
    e = to_expr(str)
    parts = exp.Anonymous(this="string_split", expressions=[e, literal(delim)])
    if count >= 0:
        picked = exp.Anonymous(
            this="list_slice", expressions=[parts, exp.Literal.number(1), literal(count)]
        )
    else:
        picked = exp.Anonymous(
            this="list_slice", expressions=[parts.copy(), literal(count), exp.Literal.number(-1)]
        )
    value = exp.Anonymous(this="array_to_string", expressions=[picked, literal(delim)])
    return node(value, f"substring_index({names(e)}, {delim}, {count})")


def split_part(src: ColumnOrName, delimiter: ColumnOrName, partNum: ColumnOrName) -> Column:
    return call("split_part", src, delimiter, partNum)


def rlike(str: ColumnOrName, regexp: ColumnOrName) -> Column:
    a, b = to_expr(str), to_expr(regexp)
    return node(exp.RegexpLike(this=a, expression=b), f"RLIKE({names(a, b)})")


def regexp(str: ColumnOrName, regexp: ColumnOrName) -> Column:
    a, b = to_expr(str), to_expr(regexp)
    return node(exp.RegexpLike(this=a, expression=b), f"REGEXP({names(a, b)})")


def like(str: ColumnOrName, pattern: ColumnOrName, escapeChar: Column | None = None) -> Column:
    a, b = to_expr(str), to_expr(pattern)
    return node(_escaped(exp.Like(this=a, expression=b), escapeChar), f"{names(a)} LIKE {names(b)}")


def ilike(str: ColumnOrName, pattern: ColumnOrName, escapeChar: Column | None = None) -> Column:
    a, b = to_expr(str), to_expr(pattern)
    return node(_escaped(exp.ILike(this=a, expression=b), escapeChar), f"ilike({names(a, b)})")


def _escaped(match: exp.Expr, escape: Column | None) -> exp.Expr:
    """``match ESCAPE escape`` (Spark's default escape is a backslash, as DuckDB's none)."""
    if escape is None:
        return match
    return exp.Escape(this=match, expression=to_expr(escape))


def regexp_count(str: ColumnOrName, regexp: ColumnOrName) -> Column:
    a, b = to_expr(str), to_expr(regexp)
    found = exp.Anonymous(this="regexp_extract_all", expressions=[a, b])
    return node(
        exp.cast(exp.Anonymous(this="len", expressions=[found]), "INT"),
        f"regexp_count({names(a, b)})",
    )


def regexp_extract_all(
    str: ColumnOrName, regexp: ColumnOrName, idx: int | Column | None = None
) -> Column:
    a, b = to_expr(str), to_expr(regexp)
    i = literal(1 if idx is None else idx)
    value = exp.Anonymous(this="regexp_extract_all", expressions=[a, b, i])
    return node(value, f"regexp_extract_all({names(a, b, i)})")


def regexp_substr(str: ColumnOrName, regexp: ColumnOrName) -> Column:
    a, b = to_expr(str), to_expr(regexp)
    found = exp.Anonymous(this="regexp_extract", expressions=[a, b])
    return node(
        exp.Nullif(this=found, expression=exp.Literal.string("")), f"regexp_substr({names(a, b)})"
    )


def find_in_set(str: ColumnOrName, str_array: ColumnOrName) -> Column:
    a, b = to_expr(str), to_expr(str_array)
    parts = exp.Anonymous(this="string_split", expressions=[b, exp.Literal.string(",")])
    pos = exp.Coalesce(
        this=exp.Anonymous(this="list_position", expressions=[parts, a]),
        expressions=[exp.Literal.number(0)],
    )
    value = exp.Case(
        ifs=[
            exp.If(
                this=exp.Or(
                    this=exp.Is(this=a.copy(), expression=exp.Null()),
                    expression=exp.Is(this=b.copy(), expression=exp.Null()),
                ),
                true=exp.Null(),
            )
        ],
        default=pos,
    )
    return node(exp.cast(value, "INT"), f"find_in_set({names(a, b)})")


def printf(format: ColumnOrName, *cols: ColumnOrName) -> Column:
    from kaspar.sql.functions.formatting import printf_call

    text = to_expr(format)
    shown = text if isinstance(text, exp.Literal) else as_text(format).expr
    return printf_call("printf", shown, [c.expr for c in to_columns(cols)])


def char(col: ColumnOrName) -> Column:
    """Spark's ``chr``: empty for a negative code, else the character of ``code % 256``."""
    return _character("char", col)


def chr(n: ColumnOrName) -> Column:
    """``char`` under its other name (Spark 4.1)."""
    return _character("chr", n)


def _character(fn: str, col: ColumnOrName) -> Column:
    e = to_expr(col)
    number = exp.cast(e, "BIGINT")
    code = exp.Mod(this=exp.paren(number), expression=exp.Literal.number(256))
    character = exp.Anonymous(this="chr", expressions=[exp.cast(code, "INT")])
    negative = exp.LT(this=number.copy(), expression=exp.Literal.number(0))
    value = exp.If(this=negative, true=exp.Literal.string(""), false=character)
    return node(value, f"{fn}({names(e)})")


def elt(*inputs: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(inputs)]
    items = exp.Array(expressions=exprs[1:])
    value = exp.Bracket(this=items, expressions=[exprs[0]], offset=1)
    return node(value, f"elt({names(*exprs)})")


def overlay(
    src: ColumnOrName, replace: ColumnOrName, pos: ColumnOrName | int, len: ColumnOrName | int = -1
) -> Column:
    s, r = as_text(src, keep_binary=True).expr, as_text(replace, keep_binary=True).expr
    p = literal(pos) if isinstance(pos, int) else to_expr(pos)
    n = literal(len) if isinstance(len, int) else to_expr(len)
    length = exp.Case(
        ifs=[
            exp.If(
                this=exp.LT(this=n.copy(), expression=exp.Literal.number(0)),
                true=exp.Length(this=r.copy()),
            )
        ],
        default=n,
    )
    head = exp.Substring(
        this=s,
        start=exp.Literal.number(1),
        length=exp.Sub(this=p, expression=exp.Literal.number(1)),
    )
    tail = exp.Substring(this=s.copy(), start=exp.Add(this=p.copy(), expression=length))
    value = exp.DPipe(this=exp.DPipe(this=head, expression=r), expression=tail)
    return node(value, f"overlay({names(s, r, p, n)})")


def sentences(
    string: ColumnOrName,
    language: ColumnOrName | None = None,
    country: ColumnOrName | None = None,
) -> Column:
    """Sentences (split after ``.``, ``!`` or ``?`` and the spaces after them; a blank one
    is an empty array) as arrays of words (runs of letters, digits and apostrophes): an
    approximation of Java's ``BreakIterator``."""
    e = as_text(string).expr
    shown = [
        literal("") if v is None else to_expr(v) if isinstance(v, Column) else literal(v)
        for v in (language, country)
    ]
    x, w = exp.to_identifier("_s"), exp.to_identifier("_w")

    def split(text: exp.Expr, pattern: str) -> exp.Expr:
        return exp.Anonymous(
            this="regexp_split_to_array", expressions=[text, exp.Literal.string(pattern)]
        )

    def keep(values: exp.Expr, var: exp.Identifier, test: exp.Expr) -> exp.Expr:
        lam = exp.Lambda(this=test, expressions=[var.copy()])
        return exp.Anonymous(this="list_filter", expressions=[values, lam])

    words = keep(
        split(x.copy(), r"[^\p{L}\p{N}']+"), w, exp.NEQ(this=w.copy(), expression=literal(""))
    )
    pieces = keep(split(e, r"[.!?]+\s*"), x, exp.NEQ(this=x.copy(), expression=literal("")))
    value = exp.Anonymous(
        this="list_transform", expressions=[pieces, exp.Lambda(this=words, expressions=[x.copy()])]
    )
    return node(value, f"sentences({names(e, *shown)})")


def url_encode(str: ColumnOrName) -> Column:
    """Java's ``URLEncoder``: a space is ``+``, ``*`` stays, ``~`` is ``%7E``."""
    e = to_expr(str)
    value: exp.Expr = exp.Anonymous(this="url_encode", expressions=[e])
    for old, new in (("%20", "+"), ("%2A", "*"), ("~", "%7E")):
        value = exp.Anonymous(
            this="replace", expressions=[value, exp.Literal.string(old), exp.Literal.string(new)]
        )
    return node(value, f"url_encode({names(e)})")


def url_decode(str: ColumnOrName) -> Column:
    return call("url_decode", str)


def to_binary(col: ColumnOrName, format: Any = None) -> Column:
    """``hex`` (the default; an odd number of digits gets a leading 0), ``utf-8`` or
    ``base64`` text as bytes; malformed text raises (``try_to_binary``: NULL)."""
    return _to_binary("to_binary", col, format, safe=False)


def try_to_binary(col: ColumnOrName, format: Any = None) -> Column:
    return _to_binary("try_to_binary", col, format, safe=True)


def _to_binary(fn: str, col: ColumnOrName, format: Any, safe: bool) -> Column:
    e = to_expr(col)
    f = (
        to_expr(format)
        if isinstance(format, Column)
        else None
        if format is None
        else literal(format)
    )
    kind = str(f.this).lower() if isinstance(f, exp.Literal) else "hex"
    shown = f"{fn}({names(e)})" if f is None else f"{fn}({names(e, f)})"
    if kind in ("utf-8", "utf8"):
        return node(exp.Anonymous(this="encode", expressions=[e]), shown)
    if kind == "base64":
        value: exp.Expr = exp.Anonymous(this="from_base64", expressions=[e])
        return node(exp.Anonymous(this="try", expressions=[value]) if safe else value, shown)
    odd = exp.EQ(
        this=exp.Mod(this=exp.Length(this=e.copy()), expression=exp.Literal.number(2)),
        expression=exp.Literal.number(1),
    )
    digits = exp.If(
        this=odd, true=exp.DPipe(this=exp.Literal.string("0"), expression=e.copy()), false=e.copy()
    )
    valid = exp.RegexpFullMatch(this=e.copy(), expression=exp.Literal.string("[0-9a-fA-F]*"))
    message = exp.Literal.string(
        f"[CONVERSION_INVALID_INPUT] The value cannot be converted to BINARY by {fn}"
    )
    bad = (
        exp.cast(exp.Null(), "BLOB") if safe else exp.Anonymous(this="error", expressions=[message])
    )
    return node(exp.If(this=valid, true=exp.Unhex(this=digits), false=bad), shown)


def position(substr: ColumnOrName, str: ColumnOrName, start: ColumnOrName | None = None) -> Column:
    a, b = to_expr(substr), to_expr(str)
    if start is None:
        value = exp.cast(exp.StrPosition(this=b, substr=a), "INT")
        return node(value, f"position({names(a, b)}, 1)")
    at = to_expr(start)
    found = exp.StrPosition(this=b, substr=a, position=at)
    # Spark's locate: 0 for a start before 1 or NULL
    before = exp.or_(at.copy() < 1, exp.Is(this=at.copy(), expression=exp.Null()))
    located = exp.If(this=before, true=exp.Literal.number(0), false=found)
    return node(exp.cast(located, "INT"), f"position({names(a, b, at)})")


__all__ = [
    "bit_length",
    "btrim",
    "char",
    "character_length",
    "chr",
    "elt",
    "find_in_set",
    "ilike",
    "lcase",
    "like",
    "octet_length",
    "overlay",
    "position",
    "printf",
    "regexp",
    "regexp_count",
    "regexp_extract_all",
    "regexp_substr",
    "rlike",
    "sentences",
    "split_part",
    "substr",
    "substring_index",
    "to_binary",
    "try_to_binary",
    "ucase",
    "url_decode",
    "url_encode",
]
