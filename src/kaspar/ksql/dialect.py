"""ksqlDB's lexical rules on kaspar's Spark dialect: strings escape a quote by doubling it
(``'it''s'``), identifiers are back-quoted, and no keyword swallows the rest of a statement
as one token (sqlglot does so after ``SHOW``). Functions whose ksqlDB meaning differs from
Spark's (``FROM_UNIXTIME`` takes ms, ``SPLIT`` a literal delimiter, ``REGEXP_EXTRACT`` group 0 by
default) stay anonymous calls, for ``expressions.py`` to build. Trees parsed with it are the
engine's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.tokenizer_core import TokenType

from kaspar.engine.compile.dialect import KasparSpark

KSQL_MEANINGS = ("FROM_UNIXTIME", "UNIX_TIMESTAMP", "SPLIT", "REGEXP_EXTRACT")


def _anonymous(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    return lambda args: exp.Anonymous(this=name, expressions=args)


class Ksql(KasparSpark):
    class Parser(KasparSpark.Parser):
        FUNCTIONS: ClassVar[dict[str, Any]] = {
            **KasparSpark.Parser.FUNCTIONS,
            **{name: _anonymous(name) for name in KSQL_MEANINGS},
        }

    class Tokenizer(KasparSpark.Tokenizer):
        STRING_ESCAPES = ["'"]  # noqa: RUF012 (sqlglot's class tables)
        COMMANDS: ClassVar[set[TokenType]] = set()
