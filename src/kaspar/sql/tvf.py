"""``spark.tvf``: Spark's table-valued functions (PySpark ``TableValuedFunction``).

Each generator function (``explode``, ``inline``, ``posexplode``, ``stack``, ``json_tuple``,
and their ``_outer`` forms) is the generator applied to a one-row relation, so its argument is
an expression of literals; ``range`` is ``spark.range``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kaspar.activation import StandInRepr

if TYPE_CHECKING:
    from kaspar.sql.column import Column
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession


class TableValuedFunction(StandInRepr):
    _pyspark_module = "pyspark.sql.tvf"

    def __init__(self, session: SparkSession) -> None:
        self._session = session

    def _generate(self, function: str, *args: Any) -> DataFrame:
        from kaspar.sql import functions as F

        return self._session.range(1).select(getattr(F, function)(*args))

    def range(
        self, start: int, end: int | None = None, step: int = 1, numPartitions: int | None = None
    ) -> DataFrame:
        return self._session.range(start, end, step, numPartitions)

    def explode(self, collection: Column) -> DataFrame:
        return self._generate("explode", collection)

    def explode_outer(self, collection: Column) -> DataFrame:
        return self._generate("explode_outer", collection)

    def inline(self, input: Column) -> DataFrame:
        return self._generate("inline", input)

    def inline_outer(self, input: Column) -> DataFrame:
        return self._generate("inline_outer", input)

    def posexplode(self, collection: Column) -> DataFrame:
        return self._generate("posexplode", collection)

    def posexplode_outer(self, collection: Column) -> DataFrame:
        return self._generate("posexplode_outer", collection)

    def json_tuple(self, input: Column, *fields: Column) -> DataFrame:
        return self._generate("json_tuple", input, *fields)

    def stack(self, n: Column, *fields: Column) -> DataFrame:
        return self._generate("stack", n, *fields)

    def variant_explode(self, input: Column) -> DataFrame:
        """The fields of an object variant (pos, key, value), or an array's elements."""
        return self._generate("inline", _variant_items(input))

    def variant_explode_outer(self, input: Column) -> DataFrame:
        """``variant_explode``, with one row of NULLs for anything but an object or array."""
        return self._generate("inline_outer", _variant_items(input))


def _variant_items(input: Column) -> Column:
    from kaspar.engine.variant.sql import explode_items
    from kaspar.sql.column import Column, to_expr

    return Column(explode_items(to_expr(input)))
