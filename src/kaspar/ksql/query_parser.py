"""A ``SELECT``: ksqlDB's own clauses (``WINDOW``, ``PARTITION BY``, ``EMIT``) are read from
the tokens and blanked out of the text; what is left is standard SQL for sqlglot's parser.

Blanking keeps every other character where it was, so sqlglot's error positions are the
request's. ksqlDB's struct access ``a->b`` becomes ``a .b`` the same way.
"""

from __future__ import annotations

import re
from typing import Literal, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

from kaspar.ksql.dialect import Ksql
from kaspar.ksql.errors import KsqlError, KsqlSyntaxError
from kaspar.ksql.statements import JoinWindow, Query, WindowSpec
from kaspar.ksql.tokens import TokenCursor, position

UNITS_MS = {
    "MILLISECOND": 1,
    "SECOND": 1000,
    "MINUTE": 60_000,
    "HOUR": 3_600_000,
    "DAY": 86_400_000,
}
WINDOW_KINDS = ("TUMBLING", "HOPPING", "SESSION")


def parse_query(cursor: TokenCursor) -> Query:
    """The ``SELECT`` from the cursor to its end."""
    start, end = cursor.i, cursor.end
    blank: list[tuple[int, int]] = []  # character ranges to blank out
    window: WindowSpec | None = None
    emit: Literal["CHANGES", "FINAL"] | None = None
    partition_by: exp.Expr | None = None
    within: JoinWindow | None = None
    depth = 0
    while not cursor.at_end():
        token = cursor.peek()
        assert token is not None
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and cursor.word() == "WINDOW" and cursor.word(1) in WINDOW_KINDS:
            cursor.next()
            window = parse_window(cursor)
            blank.append((token.start, cursor.tokens[cursor.i - 1].end + 1))
            continue
        elif depth == 0 and cursor.word() == "EMIT" and cursor.word(1) in ("CHANGES", "FINAL"):
            emit = cast(Literal["CHANGES", "FINAL"], cursor.word(1))
            blank.append((token.start, cursor.tokens[cursor.i + 1].end + 1))
            cursor.i += 2
            continue
        elif depth == 0 and cursor.word() == "PARTITION BY":
            cursor.next()
            first = cursor.i
            while not cursor.at_end() and cursor.word() not in ("EMIT", "LIMIT"):
                cursor.next()
            partition_by = parse_expression(cursor, first, cursor.i)
            blank.append((token.start, cursor.tokens[cursor.i - 1].end + 1))
            continue
        elif depth == 0 and cursor.word() == "WITHIN":
            cursor.next()
            within = parse_within(cursor)
            blank.append((token.start, cursor.tokens[cursor.i - 1].end + 1))
            continue
        cursor.next()
    select = parse_sql(cursor, start, end, blank)
    limit = select.args.get("limit")
    if limit is not None:
        select.set("limit", None)
    return Query(select, window, emit, partition_by, _limit(limit), within)


def _limit(limit: exp.Expr | None) -> int | None:
    if limit is None:
        return None
    value = limit.expression
    if not isinstance(value, exp.Literal) or not value.is_int:
        raise KsqlError("LIMIT must be a whole number")
    return int(value.this)


def masked_text(cursor: TokenCursor, start: int, end: int, blank: list[tuple[int, int]]) -> str:
    """The statement's text with everything outside tokens [start, end) and in ``blank``
    replaced by spaces (newlines kept), and ``->`` by `` .``."""
    text = cursor.text
    lo = cursor.tokens[start].start
    hi = cursor.tokens[end - 1].end + 1
    chars = [c if c == "\n" else " " for c in text]
    chars[lo:hi] = text[lo:hi]
    for a, b in blank:
        chars[a:b] = [c if c == "\n" else " " for c in text[a:b]]
    for a, b, text_ in _literal_rewrites(cursor.tokens[start:end]):
        chars[a:b] = text_
    return "".join(chars)


def _literal_rewrites(tokens: list[Token]) -> list[tuple[int, int, str]]:
    """ksqlDB's spellings in Spark's, of the same length: ``a->b`` as ``a .b``, ``ARRAY[1, 2]``
    as ``ARRAY(1, 2)``, ``MAP('k' := v)`` as ``MAP('k' , v)`` (``STRUCT(a := v)`` is sqlglot's
    already)."""
    found: list[tuple[int, int, str]] = []
    brackets: list[bool] = []  # per open bracket: an ARRAY literal's?
    parens: list[bool] = []  # per open parenthesis: a MAP literal's?
    previous: Token | None = None
    for token in tokens:
        kind = token.token_type
        if kind == TokenType.ARROW:
            found.append((token.start, token.end + 1, " ."))
        elif kind == TokenType.L_PAREN:
            parens.append(previous is not None and previous.token_type == TokenType.MAP)
        elif kind == TokenType.R_PAREN and parens:
            parens.pop()
        elif kind == TokenType.COLON_EQ and parens and parens[-1]:
            found.append((token.start, token.end + 1, " ,"))
        elif kind == TokenType.L_BRACKET:
            literal = previous is not None and previous.token_type == TokenType.ARRAY
            brackets.append(literal)
            if literal:
                found.append((token.start, token.end + 1, "("))
        elif kind == TokenType.R_BRACKET and brackets and brackets.pop():
            found.append((token.start, token.end + 1, ")"))
        previous = token
    return found


def parse_sql(
    cursor: TokenCursor, start: int, end: int, blank: list[tuple[int, int]]
) -> exp.Select:
    text = masked_text(cursor, start, end, blank)
    try:
        parsed = sqlglot.parse_one(text, dialect=Ksql)
    except ParseError as e:
        raise _syntax_error(cursor.text, text, e) from None
    except TokenError as e:
        raise KsqlSyntaxError(1, 1, f"Syntax error: {e}") from None
    if not isinstance(parsed, exp.Select):
        raise KsqlError(f"Expected a SELECT, got: {parsed.sql(dialect=Ksql)}")
    return parsed


def parse_expression(cursor: TokenCursor, start: int, end: int) -> exp.Expr:
    """One expression: tokens [start, end)."""
    if start >= end:
        raise cursor.error("expecting an expression")
    text = masked_text(cursor, start, end, [])
    try:
        return sqlglot.parse_one(text, dialect=Ksql)
    except ParseError as e:
        raise _syntax_error(cursor.text, text, e) from None
    except TokenError as e:
        raise KsqlSyntaxError(1, 1, f"Syntax error: {e}") from None


def _syntax_error(original: str, text: str, error: ParseError) -> KsqlSyntaxError:
    if not error.errors:
        return KsqlSyntaxError(1, 1, f"Syntax error: {error}")
    first = error.errors[0]
    line, col = first.get("line") or 1, first.get("col") or 1
    highlight = first.get("highlight") or ""
    lines = text.split("\n")
    end_offset = sum(len(x) + 1 for x in lines[: line - 1]) + col
    start_offset = max(0, end_offset - len(highlight))
    line, column = position(original, start_offset)
    description = str(first.get("description") or "").split(" but got")[0].split(". Line")[0]
    if missing := re.match(
        r"Required keyword: '\w+' missing for <class '[\w.]*\.(\w+)'>", description
    ):
        description = f"an incomplete {missing[1].upper()} clause or expression"
    near = f"'{highlight}'" if highlight else "end of statement"
    return KsqlSyntaxError(line, column, f"Syntax error at or near {near}: {description}")


def parse_window(cursor: TokenCursor) -> WindowSpec:
    """``TUMBLING (SIZE d [, RETENTION d] [, GRACE PERIOD d])``, ``HOPPING (SIZE d, ADVANCE BY
    d, ...)`` or ``SESSION (d, ...)``."""
    kind = cast(Literal["TUMBLING", "HOPPING", "SESSION"], cursor.word())
    cursor.next()
    cursor.expect_type(TokenType.L_PAREN, "(")
    values: dict[str, int] = {}
    while True:
        if (kind == "SESSION" and "SIZE" not in values) or cursor.accept("SIZE"):
            values["SIZE"] = duration(cursor)
        elif cursor.accept("ADVANCE", "BY"):
            values["ADVANCE"] = duration(cursor)
        elif cursor.accept("RETENTION"):
            values["RETENTION"] = duration(cursor)
        elif cursor.accept("GRACE", "PERIOD"):
            values["GRACE"] = duration(cursor)
        else:
            raise cursor.error("expecting SIZE, ADVANCE BY, RETENTION or GRACE PERIOD")
        if not cursor.accept_type(TokenType.COMMA):
            break
    cursor.expect_type(TokenType.R_PAREN, ")")
    if "SIZE" not in values:
        raise cursor.error(f"{kind} windows need a SIZE")
    if kind == "HOPPING" and "ADVANCE" not in values:
        raise cursor.error("HOPPING windows need ADVANCE BY")
    return WindowSpec(
        kind, values["SIZE"], values.get("ADVANCE"), values.get("GRACE"), values.get("RETENTION")
    )


def parse_within(cursor: TokenCursor) -> JoinWindow:
    """``WITHIN d`` or ``WITHIN (before, after)``, then ``[GRACE PERIOD d]``."""
    if cursor.accept_type(TokenType.L_PAREN):
        before = duration(cursor)
        cursor.expect_type(TokenType.COMMA, ",")
        after = duration(cursor)
        cursor.expect_type(TokenType.R_PAREN, ")")
    else:
        before = after = duration(cursor)
    grace = duration(cursor) if cursor.accept("GRACE", "PERIOD") else None
    return JoinWindow(before, after, grace)


def duration(cursor: TokenCursor) -> int:
    """``n UNIT`` in milliseconds."""
    amount = cursor.integer("a duration")
    unit = cursor.word().removesuffix("S")
    if unit not in UNITS_MS:
        raise cursor.error("expecting a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS)")
    cursor.next()
    return amount * UNITS_MS[unit]
