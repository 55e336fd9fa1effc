"""A cursor over a statement's tokens (sqlglot's tokenizer, ksqlDB's lexical rules), for the
recursive-descent front-end: words are matched case-insensitively, and every error names the
token and its ``line:column`` (1-based) in the request's text."""

from __future__ import annotations

from sqlglot.tokenizer_core import Token, TokenType

from kaspar.ksql.errors import KsqlSyntaxError

PUNCTUATION = {
    TokenType.L_PAREN,
    TokenType.R_PAREN,
    TokenType.COMMA,
    TokenType.SEMICOLON,
    TokenType.EQ,
    TokenType.LT,
    TokenType.GT,
    TokenType.STRING,
    TokenType.NUMBER,
    TokenType.STAR,
    TokenType.DOT,
}


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column), both 1-based, of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class TokenCursor:
    """Tokens ``tokens[start:end]`` of ``text``, read left to right."""

    def __init__(self, text: str, tokens: list[Token], start: int = 0, end: int | None = None):
        self.text, self.tokens = text, tokens
        self.i, self.end = start, len(tokens) if end is None else end

    def peek(self, ahead: int = 0) -> Token | None:
        at = self.i + ahead
        return self.tokens[at] if at < self.end else None

    def word(self, ahead: int = 0) -> str:
        """The upper-cased text of a word token ahead ('' for punctuation, strings, the end)."""
        token = self.peek(ahead)
        if token is None or token.token_type in PUNCTUATION:
            return ""
        if token.token_type == TokenType.IDENTIFIER:
            return ""  # back-quoted: a name, never a keyword
        return " ".join(token.text.split()).upper()  # one token may be two words: PARTITION BY

    def at(self, token_type: TokenType) -> bool:
        token = self.peek()
        return token is not None and token.token_type == token_type

    def at_end(self) -> bool:
        return self.i >= self.end

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of statement")
        self.i += 1
        return token

    def accept(self, *words: str) -> bool:
        """Consume ``words`` if they come next."""
        if all(self.word(k) == w for k, w in enumerate(words)):
            self.i += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.error(f"expecting {' '.join(words)}")

    def accept_type(self, token_type: TokenType) -> Token | None:
        token = self.peek()
        if token is not None and token.token_type == token_type:
            self.i += 1
            return token
        return None

    def expect_type(self, token_type: TokenType, what: str) -> Token:
        token = self.accept_type(token_type)
        if token is None:
            raise self.error(f"expecting {what}")
        return token

    def name(self, what: str = "an identifier") -> str:
        """An identifier: upper-cased unless back-quoted (ksqlDB's rule)."""
        token = self.peek()
        if token is None or (
            token.token_type in PUNCTUATION and token.token_type != TokenType.STRING
        ):
            raise self.error(f"expecting {what}")
        if token.token_type == TokenType.STRING:
            raise self.error(f"expecting {what}")
        self.i += 1
        return token.text if token.token_type == TokenType.IDENTIFIER else token.text.upper()

    def integer(self, what: str = "a number") -> int:
        token = self.expect_type(TokenType.NUMBER, what)
        try:
            return int(token.text)
        except ValueError:
            raise self.error(f"expecting {what}", token) from None

    def error(self, detail: str, token: Token | None = None) -> KsqlSyntaxError:
        token = token or self.peek() or (self.tokens[self.end - 1] if self.end else None)
        if token is None:
            return KsqlSyntaxError(1, 1, f"Syntax error: {detail}")
        line, column = position(self.text, token.start)
        got = "end of statement" if self.at_end() else f"'{token.text}'"
        return KsqlSyntaxError(line, column, f"Syntax error at or near {got}: {detail}")
