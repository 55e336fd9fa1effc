"""A datetime pattern given as a column: the text parsed row by row (``engine.pattern_parse``).

``parsed`` is the wall-clock ``TIMESTAMP`` (NULL where the text does not parse, or where the
text or the pattern is NULL); the functions cast it to their type and add their own error for
text that does not parse.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.cast_templates import ansi_only, error_message, not_null
from kaspar.engine.compile.cast_text import string_value
from kaspar.engine.pattern_parse import ON_BAD_PATTERN_ILLEGAL, PARSE_BY_PATTERN
from kaspar.sql.column import literal

__all__ = ["fails", "is_column_pattern", "parsed", "parsed_timestamp"]


def is_column_pattern(format: exp.Expr) -> bool:
    """Whether ``format`` varies by row (anything but a string literal)."""
    return not (isinstance(format, exp.Literal) and format.is_string)


def parsed(text: exp.Expr, format: exp.Expr, on_bad_pattern: str) -> exp.Expr:
    """``text`` parsed by the row's ``format`` as a wall-clock TIMESTAMP."""
    args = [text.copy(), format.copy(), literal(on_bad_pattern)]
    return exp.Anonymous(this=PARSE_BY_PATTERN, expressions=args)


def fails(value: exp.Expr, text: exp.Expr, format: exp.Expr) -> exp.Expr:
    """True where the text and the pattern are there but ``value`` is NULL."""
    return exp.and_(
        exp.Is(this=value.copy(), expression=exp.Null()), not_null(text), not_null(format)
    )


def parsed_timestamp(text: exp.Expr, format: exp.Expr) -> exp.Expr:
    """``to_timestamp_ntz(text, format)`` for a pattern column: NULL for text that does not
    parse, or ``CANNOT_PARSE_TIMESTAMP`` in ANSI mode (Spark's answer)."""
    value = parsed(text, format, ON_BAD_PATTERN_ILLEGAL)
    error = error_message(
        "CANNOT_PARSE_TIMESTAMP",
        "Text ",
        string_value(text),
        " could not be parsed. Use `try_to_timestamp` to tolerate invalid input string and "
        "return NULL instead.",
    )
    raised = exp.Case(ifs=[exp.If(this=fails(value, text, format), true=ansi_only(error))])
    return exp.Coalesce(this=value, expressions=[raised])
