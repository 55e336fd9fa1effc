"""``df.asTable()``: a DataFrame passed as the TABLE argument of a table function (PySpark's
``TableArg``), with the partitioning and ordering the function sees its rows in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kaspar.activation import StandInRepr
from kaspar.errors import PySparkValueError

if TYPE_CHECKING:
    from kaspar.sql.column import Column
    from kaspar.sql.dataframe import DataFrame


class TableValuedFunctionArgument(StandInRepr):
    """The base class of a table function's arguments (PySpark ``TableValuedFunctionArgument``)."""

    _pyspark_module = "pyspark.sql.tvf_argument"


@dataclass(frozen=True, eq=False, repr=False)
class TableArg(TableValuedFunctionArgument):
    """A table argument: ``partitionBy`` → one function instance per partition,
    ``withSinglePartition`` → one for all rows, ``orderBy`` → the row order within each."""

    _pyspark_module = "pyspark.sql.table_arg"

    dataFrame: DataFrame
    partitions: tuple[Column, ...] = ()
    ordering: tuple[Column, ...] = ()
    single: bool = False
    selection: tuple[Column, ...] = ()  # what the function sees of each row (``analyze``)

    @property
    def partitioned(self) -> bool:
        return self.single or bool(self.partitions)

    def partitionBy(self, *cols: Any) -> TableArg:
        if self.single:
            raise PySparkValueError(
                "[PARTITION_BY_AFTER_WITH_SINGLE_PARTITION] Cannot call partitionBy() after "
                "withSinglePartition() has been called.",
                "PARTITION_BY_AFTER_WITH_SINGLE_PARTITION",
            )
        return replace(self, partitions=self.partitions + _columns(cols))

    def orderBy(self, *cols: Any) -> TableArg:
        if not self.partitioned:
            raise PySparkValueError(
                "[ORDER_BY_WITHOUT_PARTITION_BY] Please call partitionBy() or "
                "withSinglePartition() before orderBy().",
                "ORDER_BY_WITHOUT_PARTITION_BY",
            )
        return replace(self, ordering=self.ordering + _columns(cols))

    def withSinglePartition(self) -> TableArg:
        if self.partitions:
            raise PySparkValueError(
                "[WITH_SINGLE_PARTITION_AFTER_PARTITION_BY] Cannot call withSinglePartition() "
                "after partitionBy() has been called.",
                "WITH_SINGLE_PARTITION_AFTER_PARTITION_BY",
            )
        return replace(self, single=True)


def _columns(cols: tuple[Any, ...]) -> tuple[Column, ...]:
    from kaspar.sql.column import to_columns

    flat = cols[0] if len(cols) == 1 and isinstance(cols[0], list | tuple) else cols
    return tuple(to_columns(flat))
