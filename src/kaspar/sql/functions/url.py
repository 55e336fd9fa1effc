"""``parse_url``: the parts of a URL, split by RFC 3986's regular expression."""

from __future__ import annotations

from sqlglot import exp

from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

__all__ = ["parse_url", "try_parse_url", "try_url_decode"]

_URL = r"^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?"


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


def _part(url: exp.Expr, part: str) -> exp.Expr:
    if part == "PROTOCOL":
        return _when(_group(url, 1), _group(url, 2))
    if part == "AUTHORITY":
        return _when(_group(url, 3), _group(url, 4))
    if part == "HOST":
        return _authority_part(url, r"^(?:[^@]*@)?([^:]*)", 1)
    if part == "USERINFO":
        info = _authority_part(url, r"^([^@]*)@", 1)
        return _when(_authority_part(url, r"^([^@]*@)", 1), info)
    if part == "PATH":
        return _group(url, 5)
    if part == "QUERY":
        return _when(_group(url, 6), _group(url, 7))
    if part == "REF":
        return _when(_group(url, 8), _group(url, 9))
    if part == "FILE":
        return exp.DPipe(this=_group(url, 5), expression=_group(url, 6))
    raise NotImplementedError(f"parse_url: part {part!r} is not supported")


def _literal_text(value: ColumnOrName) -> str:
    e = value.expr if isinstance(value, Column) else literal(value)
    if not (isinstance(e, exp.Literal) and e.is_string):
        raise NotImplementedError("parse_url: the part and key must be string literals")
    return str(e.this)


def parse_url(
    url: ColumnOrName,
    partToExtract: ColumnOrName,
    key: ColumnOrName | None = None,
) -> Column:
    u = to_expr(url)
    part = _literal_text(partToExtract)
    value = _part(u, part)
    args = [u, literal(part)]
    if key is not None:
        if part != "QUERY":
            value = exp.cast(exp.null(), "VARCHAR")
        else:
            k = _literal_text(key)
            pattern = literal("(?:^|&)" + _escape(k) + "=([^&]*)")
            found = exp.Anonymous(this="regexp_extract", expressions=[value, pattern, literal(1)])
            matched = exp.Anonymous(this="regexp_matches", expressions=[value.copy(), pattern])
            value = exp.Case(ifs=[exp.If(this=matched, true=found)], default=exp.null())
        args.append(literal(_literal_text(key)))
    return node(value, f"parse_url({names(*args)})")


def _escape(text: str) -> str:
    return "".join("\\" + c if not c.isalnum() else c for c in text)


def try_parse_url(
    url: ColumnOrName,
    partToExtract: ColumnOrName,
    key: ColumnOrName | None = None,
) -> Column:
    parsed = parse_url(url, partToExtract, key)
    name = parsed.expr.meta["spark_name"]
    return node(parsed.expr, "try_" + name)


def try_url_decode(str: ColumnOrName) -> Column:
    e = to_expr(str)
    malformed = exp.Anonymous(
        this="regexp_matches", expressions=[e.copy(), literal("%([0-9A-Fa-f]?([^0-9A-Fa-f]|$))")]
    )
    decoded = exp.Anonymous(this="url_decode", expressions=[e])  # '+' → ' ': function_rewrites
    value = exp.Case(ifs=[exp.If(this=malformed, true=exp.null())], default=decoded)
    return node(value, f"try_url_decode({names(e)})")
