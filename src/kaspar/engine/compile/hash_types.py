"""``hash`` and ``xxhash64`` refuse a map anywhere in their operands (Spark's
``DATATYPE_MISMATCH.HASH_MAP_TYPE``: equal maps may hash differently), checked once DuckDB
knows the operands' types (``typed_rewrites``)."""

from __future__ import annotations

from typing import cast

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.typed_rewrites import TYPED
from kaspar.errors import AnalysisException

HASH_FUNCTIONS = ("hash", "xxhash64")


def _has_map(kind: DuckDBPyType) -> bool:
    if kind.id == "map":
        return True
    if kind.id in ("struct", "list", "array", "union"):
        return any(_has_map(cast(DuckDBPyType, child)) for _, child in kind.children)
    return False


def refuse_maps(call: exp.Anonymous, name: str, shown: str) -> exp.Anonymous:
    """``call`` (the built-in's call of ``name``, Spark-named ``shown``) marked to be checked
    for map operands before it is generated."""

    def check(operands: list[exp.Expr], types: list[DuckDBPyType]) -> None:
        if not operands:
            raise AnalysisException(
                f"The `{name}` requires > 0 parameters but the actual number is 0. Please, "
                "refer to 'https://spark.apache.org/docs/latest/sql-ref-functions.html' for a "
                "fix.",
                "WRONG_NUM_ARGS.WITHOUT_SUGGESTION",
                {"functionName": f"`{name}`", "expectedNum": "> 0", "actualNum": "0"},
            )
        if any(_has_map(t) for t in types):
            raise AnalysisException(
                f'Cannot resolve "{shown}" due to data type mismatch: Input to the function '
                f'`{name}` cannot contain elements of the "MAP" type. In Spark, same maps may '
                'have different hashcode, thus hash expressions are prohibited on "MAP" '
                'elements. To restore previous behavior set "spark.sql.legacy.allowHashOnMapType" '
                'to "true".',
                "DATATYPE_MISMATCH.HASH_MAP_TYPE",
                {"sqlExpr": f'"{shown}"', "functionName": f"`{name}`"},
            )

    call.meta[TYPED] = check
    return call
