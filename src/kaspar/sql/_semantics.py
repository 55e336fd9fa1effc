"""``DataFrame.sameSemantics`` / ``semanticHash``: plans compared by their compiled SQL with the
attribute ids (``_12``, Spark's exprIds) renumbered in order of appearance and the output
columns' names left out, as Spark compares canonicalized plans."""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Any

from kaspar.errors import PySparkTypeError

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame

_ATTRIBUTE = re.compile(r'"_(\d+)"|\b_q\d+\b')
# the output columns' user-facing names: Spark's canonical plans leave aliases' names out
_OUTPUT_NAME = re.compile(r' AS "(?!_\d+")(?:[^"]|"")*"')


def canonical_sql(df: DataFrame) -> str:
    ids: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        return ids.setdefault(match.group(0), f"#{len(ids)}")

    sql = _OUTPUT_NAME.sub("", df.sparkSession._executor.sql(df.plan))
    return _ATTRIBUTE.sub(renumber, sql)


def sameSemantics(self: DataFrame, other: Any) -> bool:
    from kaspar.sql.dataframe import DataFrame

    if not isinstance(other, DataFrame):
        raise PySparkTypeError(
            f"Argument `other` should be a DataFrame, got {type(other).__name__}.",
            "NOT_EXPECTED_TYPE",
        )
    return canonical_sql(self) == canonical_sql(other)


def semanticHash(self: DataFrame) -> int:
    """A 32-bit signed hash of the canonical plan (equal for ``sameSemantics`` plans)."""
    value = zlib.crc32(canonical_sql(self).encode())
    return value - 2**32 if value >= 2**31 else value
