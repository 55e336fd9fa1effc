"""ksqlDB's lexical rules on kaspar's Spark dialect: strings escape a quote by doubling it
(``'it''s'``), identifiers are back-quoted, and no keyword swallows the rest of a statement
as one token (sqlglot does so after ``SHOW``). Functions whose ksqlDB meaning differs from
Spark's (``FROM_UNIXTIME`` takes ms, ``SPLIT`` a literal delimiter, ``REGEXP_EXTRACT`` the
pattern first: every one ``functions.py`` builds) stay anonymous calls, for ``expressions.py`` to
build; ``=>`` makes a lambda. Trees parsed with it are the
engine's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.tokenizer_core import TokenType

from kaspar.engine.compile.dialect import KasparSpark
from kaspar.ksql.functions import BUILT

KSQL_MEANINGS = BUILT  # every function functions.py builds: ksqlDB's meaning, not Spark's


def _anonymous(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    return lambda args: exp.Anonymous(this=name, expressions=args)


class Ksql(KasparSpark):
    class Parser(KasparSpark.Parser):
        BRIDGE_FUNCTIONS = False  # ksqlDB's functions are not PySpark's
        FUNCTIONS: ClassVar[dict[str, Any]] = {
            **KasparSpark.Parser.FUNCTIONS,
            **{name: _anonymous(name) for name in KSQL_MEANINGS},
        }
        NO_PAREN_FUNCTION_PARSERS: ClassVar[dict[str, Any]] = {  # Hive's TRANSFORM(...) USING
            k: v
            for k, v in KasparSpark.Parser.NO_PAREN_FUNCTION_PARSERS.items()
            if k not in KSQL_MEANINGS
        }
        FUNCTION_PARSERS: ClassVar[dict[str, Any]] = {
            k: v for k, v in KasparSpark.Parser.FUNCTION_PARSERS.items() if k not in KSQL_MEANINGS
        }
        # ksqlDB's lambdas: x => x + 1, (k, v) => v * 2 (Spark's ->, which ksqlDB uses for
        # struct fields)
        LAMBDAS: ClassVar[dict[Any, Any]] = {
            **KasparSpark.Parser.LAMBDAS,
            TokenType.FARROW: KasparSpark.Parser.LAMBDAS[TokenType.ARROW],
        }

    class Tokenizer(KasparSpark.Tokenizer):
        STRING_ESCAPES = ["'"]  # noqa: RUF012 (sqlglot's class tables)
        COMMANDS: ClassVar[set[TokenType]] = set()
