"""ksqlDB's lexical rules on kaspar's Spark dialect: strings escape a quote by doubling it
(``'it''s'``), identifiers are back-quoted, and no keyword swallows the rest of a statement
as one token (sqlglot does so after ``SHOW``). Trees parsed with it are the engine's own."""

from __future__ import annotations

from typing import ClassVar

from sqlglot.tokenizer_core import TokenType

from kaspar.engine.compile.dialect import KasparSpark


class Ksql(KasparSpark):
    class Tokenizer(KasparSpark.Tokenizer):
        STRING_ESCAPES = ["'"]  # noqa: RUF012 (sqlglot's class tables)
        COMMANDS: ClassVar[set[TokenType]] = set()
