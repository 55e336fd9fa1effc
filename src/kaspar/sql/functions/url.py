"""``parse_url``: the parts of a URL, split by RFC 3986's regular expression.

The part and the key may be columns (Spark evaluates them per row): a part column is a
``CASE`` over the eight part names (another name gives NULL, as in Spark), and a key column
builds the key's regular expression per row (Spark's key is a regular expression too:
``(&|^)key=([^&]*)``). A URL that Java's ``URI`` refuses (a space or another character it
does not allow, a bad ``%`` escape, a second ``#``, a scheme not starting with a letter)
raises ``INVALID_URL`` in ANSI mode and gives NULL otherwise (``try_parse_url``: NULL).
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.cast_templates import ansi_only, error_message, fill
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

__all__ = ["parse_url", "try_parse_url", "try_url_decode"]

_URL = r"^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?"
_PARTS = ("HOST", "PATH", "QUERY", "REF", "PROTOCOL", "FILE", "AUTHORITY", "USERINFO")
# What java.net.URI refuses, in a URL that is not NULL (a syntax error is INVALID_URL).
_INVALID = (
    r"regexp_matches(_x_, '[\x00-\x20\x22<>\\^`{|}\x7f]|%([^0-9A-Fa-f]|.[^0-9A-Fa-f]|.?$)|#.*#')"
    r" OR (regexp_matches(_x_, '^[^/?#]*:')"
    r" AND NOT regexp_matches(_x_, '^[A-Za-z][A-Za-z0-9+.\-]*:'))"
    r" OR regexp_matches(regexp_extract(_x_, '^(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)', 1), '[\[\]]')"
)
_OPAQUE = r"regexp_matches(_x_, '^[A-Za-z][A-Za-z0-9+.\-]*:[^/]')"


def _group(url: exp.Expr, group: int) -> exp.Expr:
    return exp.Anonymous(
        this="regexp_extract", expressions=[url.copy(), literal(_URL), literal(group)]
    )


def _when(present: exp.Expr, value: exp.Expr) -> exp.Expr:
    is_present = exp.NEQ(this=present, expression=literal(""))
    return exp.Case(
        ifs=[exp.If(this=is_present, true=value)], default=exp.cast(exp.null(), "VARCHAR")
    )


def _authority_part(url: exp.Expr, pattern: str, group: int) -> exp.Expr:
    authority = _group(url, 4)
    part = exp.Anonymous(
        this="regexp_extract", expressions=[authority, literal(pattern), literal(group)]
    )
    return _when(_group(url, 3), part)


def _hierarchical(url: exp.Expr, part: str) -> exp.Expr:
    if part == "AUTHORITY":
        return _when(_group(url, 3), _group(url, 4))
    if part == "HOST":
        return _authority_part(url, r"^(?:[^@]*@)?(\[[^\]]*\]|[^:]*)", 1)
    if part == "USERINFO":
        info = _authority_part(url, r"^([^@]*)@", 1)
        return _when(_authority_part(url, r"^([^@]*@)", 1), info)
    if part == "PATH":
        return _group(url, 5)
    if part == "QUERY":
        return _when(_group(url, 6), _group(url, 7))
    return exp.DPipe(this=_group(url, 5), expression=_group(url, 6))  # FILE


def _part(url: exp.Expr, part: str) -> exp.Expr:
    """``part`` of ``url``; NULL for a name that is not a part (Spark's answer)."""
    if part == "PROTOCOL":
        return _when(_group(url, 1), _group(url, 2))
    if part == "REF":
        return _when(_group(url, 8), _group(url, 9))
    if part not in _PARTS:
        return exp.cast(exp.null(), "VARCHAR")
    # an opaque URI (``mailto:a@b``) has no authority, path or query
    return exp.Case(
        ifs=[exp.If(this=fill(_OPAQUE, url), true=exp.cast(exp.null(), "VARCHAR"))],
        default=_hierarchical(url, part),
    )


def _literal_text(e: exp.Expr) -> str | None:
    return str(e.this) if isinstance(e, exp.Literal) and e.is_string else None


def _argument(value: ColumnOrName) -> exp.Expr:
    """A part or key: a column, or a literal for a plain string (as PySpark 3.5 allowed)."""
    return value.expr if isinstance(value, Column) else to_expr(value)


def _any_part(url: exp.Expr, part: exp.Expr) -> exp.Expr:
    """The part a (literal or per-row) part name names."""
    text = _literal_text(part)
    if text is not None:
        return _part(url, text)
    ifs = [
        exp.If(this=exp.EQ(this=part.copy(), expression=literal(p)), true=_part(url, p))
        for p in _PARTS
    ]
    return exp.Case(ifs=ifs, default=exp.cast(exp.null(), "VARCHAR"))


def _query_value(url: exp.Expr, part: exp.Expr, key: exp.Expr) -> exp.Expr:
    """The value of the query parameter ``key`` (a regular expression, as in Spark)."""
    query = _part(url, "QUERY")
    text = _literal_text(key)
    prefix, suffix = literal("(&|^)"), literal("=([^&]*)")
    pattern = (
        literal(f"(&|^){text}=([^&]*)")
        if text is not None
        else exp.DPipe(this=exp.DPipe(this=prefix, expression=key.copy()), expression=suffix)
    )
    found = exp.Anonymous(this="regexp_extract", expressions=[query, pattern, literal(2)])
    matched = exp.Anonymous(this="regexp_matches", expressions=[query.copy(), pattern.copy()])
    is_query = exp.EQ(this=part.copy(), expression=literal("QUERY"))
    return exp.Case(
        ifs=[exp.If(this=exp.and_(is_query, matched), true=found)],
        default=exp.cast(exp.null(), "VARCHAR"),
    )


def _parsed(
    url: ColumnOrName, partToExtract: ColumnOrName, key: ColumnOrName | None
) -> tuple[exp.Expr, exp.Expr, list[exp.Expr]]:
    """The part (or the key's value), the invalid-URL test, and the call's arguments."""
    u = to_expr(url)
    part = _argument(partToExtract)
    args = [u, part]
    if key is None:
        value = _any_part(u, part)
    else:
        k = _argument(key)
        args.append(k)
        value = _query_value(u, part, k)
    return value, fill(_INVALID, u), args


def parse_url(
    url: ColumnOrName,
    partToExtract: ColumnOrName,
    key: ColumnOrName | None = None,
) -> Column:
    """A part of ``url`` (or a query parameter's value); ``INVALID_URL`` in ANSI mode."""
    value, invalid, args = _parsed(url, partToExtract, key)
    error = error_message(
        "INVALID_URL",
        "The url is invalid: ",
        args[0].copy(),
        ". Use `try_parse_url` to tolerate invalid URL and return NULL instead.",
    )
    checked = exp.Case(ifs=[exp.If(this=invalid, true=ansi_only(error))], default=value)
    return node(checked, f"parse_url({names(*args)})")


def try_parse_url(
    url: ColumnOrName,
    partToExtract: ColumnOrName,
    key: ColumnOrName | None = None,
) -> Column:
    """``parse_url`` that gives NULL for an invalid URL."""
    value, invalid, args = _parsed(url, partToExtract, key)
    null = exp.cast(exp.null(), "VARCHAR")
    checked = exp.Case(ifs=[exp.If(this=invalid, true=null)], default=value)
    return node(checked, f"try_parse_url({names(*args)})")


def try_url_decode(str: ColumnOrName) -> Column:
    e = to_expr(str)
    malformed = exp.Anonymous(
        this="regexp_matches", expressions=[e.copy(), literal("%([0-9A-Fa-f]?([^0-9A-Fa-f]|$))")]
    )
    decoded = exp.Anonymous(this="url_decode", expressions=[e])  # '+' → ' ': function_rewrites
    value = exp.Case(ifs=[exp.If(this=malformed, true=exp.null())], default=decoded)
    return node(value, f"try_url_decode({names(e)})")
