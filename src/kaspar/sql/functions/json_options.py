"""Jackson's relaxed JSON, as Spark's ``from_json``/``schema_of_json`` options allow it.

DuckDB's JSON reader takes strict JSON only, so the text is first rewritten into strict JSON
by regular expressions (RE2 in DuckDB, ``re`` for a literal) that each match either a whole
double-quoted string, kept as it is, or the relaxed construct outside strings:

* ``allowSingleQuotes`` (Spark's default: on): ``'text'`` becomes ``"text"`` (a single-quoted
  string holding a double quote or a backslash is left alone, and stays malformed);
* ``allowComments``: ``/* ... */`` and ``// ...`` comments are removed;
* ``allowUnquotedFieldNames``: ``{a: 1}`` becomes ``{"a": 1}``;
* ``allowNumericLeadingZeros``: ``007`` becomes ``7``.

A replacement cannot add quotes only where the second alternative matched, so the rewrites
that add them write marks (``\\x01`` opening, ``\\x02`` closing): a double-quoted string comes
out followed by both, a rewritten name or string wrapped in them; the pair right after a
closing ``"`` is then dropped (in valid text no string starts right after one), and the other
marks become quotes. Other options are accepted and ignored, as Spark ignores options it does
not know.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp

from kaspar.sql.column import literal

_OPEN, _CLOSE = "\x01", "\x02"
_STRING = r'("(?:[^"\\]|\\.)*")'
# Applied in order to the marked text: (mark, text), as literal replacements.
_UNMARK = (('"' + _OPEN + _CLOSE, '"'), (_OPEN, '"'), (_CLOSE, '"'))


@dataclass(frozen=True)
class _Rewrite:
    pattern: str
    replacement: str  # \1-style groups
    marks: bool  # the replacement holds marks to turn into quotes


_SINGLE_QUOTES = _Rewrite(_STRING + r"|'([^'\\\"]*)'", rf"\1{_OPEN}\2{_CLOSE}", marks=True)
_COMMENTS = _Rewrite(_STRING + r"|/\*(?s:.*?)\*/|//[^\n]*", r"\1", marks=False)
_FIELD_NAMES = _Rewrite(
    _STRING + r"|([{,]\s*)([A-Za-z_$][A-Za-z0-9_$]*)(\s*:)",
    rf"\1\2{_OPEN}\3{_CLOSE}\4",
    marks=True,
)
_LEADING_ZEROS = _Rewrite(_STRING + r"|([:\[,]\s*-?)0+([0-9])", r"\1\2\3", marks=False)


def _enabled(options: Mapping[str, str] | None) -> list[_Rewrite]:
    given = {k.lower(): str(v).strip().lower() for k, v in (options or {}).items()}
    chosen = [
        (_SINGLE_QUOTES, given.get("allowsinglequotes", "true") == "true"),
        (_COMMENTS, given.get("allowcomments") == "true"),
        (_FIELD_NAMES, given.get("allowunquotedfieldnames") == "true"),
        (_LEADING_ZEROS, given.get("allownumericleadingzeros") == "true"),
    ]
    return [rewrite for rewrite, on in chosen if on]


def _call(fn: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=fn, expressions=list(args))


def strict_json_sql(text: exp.Expr, options: Mapping[str, str] | None) -> exp.Expr:
    """``text`` rewritten as strict JSON under ``options`` (the same tree when none apply)."""
    value = text.copy()
    for rewrite in _enabled(options):
        pattern, replacement = literal(rewrite.pattern), literal(rewrite.replacement)
        rewritten = _call("regexp_replace", value, pattern, replacement, literal("g"))
        if rewrite is _SINGLE_QUOTES:  # on by default: most text has no single quote to read
            quoted = _call("contains", value.copy(), literal("'"))
            rewritten = exp.If(this=quoted, true=rewritten, false=value.copy())
        value = rewritten
        if rewrite.marks:
            for mark, quote in _UNMARK:
                value = _call("replace", value, literal(mark), literal(quote))
    return value


def strict_json_text(text: str, options: Mapping[str, str] | None) -> str:
    """A literal's text rewritten as strict JSON under ``options``."""
    for rewrite in _enabled(options):
        text = re.sub(rewrite.pattern, rewrite.replacement, text)
        if rewrite.marks:
            for mark, quote in _UNMARK:
                text = text.replace(mark, quote)
    return text


__all__ = ["strict_json_sql", "strict_json_text"]
