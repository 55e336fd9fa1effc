"""``df.writeTo(table)``: PySpark's ``DataFrameWriterV2`` over kaspar's warehouse tables.

Built on ``DataFrameWriter.saveAsTable`` (the table's files and format) and the catalog:

* ``create`` fails if the table exists; ``replace`` fails if it does not; ``createOrReplace``
  drops any table of that name first. Each writes the rows with ``using`` (parquet unless set),
  ``partitionedBy`` columns and the options.
* ``append`` adds rows to an existing table, matching columns by name (V2 semantics).
* ``overwrite(condition)`` keeps the table's rows where ``condition`` is not true and adds the
  new rows; ``overwritePartitions`` does that for the partitions the new rows fall in (all rows
  of an unpartitioned table). The kept rows are read into memory before the table is rewritten.
* ``tableProperty`` values are kept on the writer (kaspar's tables have no properties yet).

Spark's session catalog writes only ``create`` this way for its own parquet tables (the other
operations need a V2 catalog such as Delta's); kaspar does them all for any table format.
"""

from __future__ import annotations

from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaspar.engine.plan.naming import output_name
from kaspar.errors import AnalysisException, UnsupportedOperationException

if TYPE_CHECKING:
    from kaspar.sql.column import Column
    from kaspar.sql.dataframe import DataFrame


class DataFrameWriterV2:
    """Write a DataFrame to a table (``df.writeTo("name")``)."""

    def __init__(self, df: DataFrame, table: str) -> None:
        self._df = df
        self._table = table
        self._provider: str | None = None
        self._options: dict[str, Any] = {}
        self._properties: dict[str, str] = {}
        self._partitions: list[str] = []

    def using(self, provider: str) -> DataFrameWriterV2:
        self._provider = provider
        return self

    def option(self, key: str, value: Any) -> DataFrameWriterV2:
        self._options[key] = value
        return self

    def options(self, **options: Any) -> DataFrameWriterV2:
        self._options.update(options)
        return self

    def tableProperty(self, property: str, value: str) -> DataFrameWriterV2:
        self._properties[property] = value
        return self

    def partitionedBy(self, col: Column | str, *cols: Column | str) -> DataFrameWriterV2:
        from kaspar.sql.column import Column

        names = []
        for c in (col, *cols):
            if isinstance(c, str):
                names.append(c)
            elif isinstance(c, Column) and c.expr.key == "column":
                names.append(c.expr.name)
            else:
                raise UnsupportedOperationException(
                    f"Unsupported partition transform: `{output_name(c.expr)}`. kaspar "
                    "partitions a table by columns only (identity).",
                    "UNSUPPORTED_PARTITION_TRANSFORM",
                )
        self._partitions = names
        return self

    # -- actions -------------------------------------------------------------------------
    def create(self) -> None:
        if self._exists():
            raise AnalysisException(
                f"Cannot create table or view `spark_catalog`.`default`.`{self._table}` because "
                "it already exists. Choose a different name, drop or replace the existing object, "
                "or add the IF NOT EXISTS clause to tolerate pre-existing objects.",
                "TABLE_OR_VIEW_ALREADY_EXISTS",
            )
        self._write(self._df, "errorifexists")

    def replace(self) -> None:
        if not self._exists():
            raise AnalysisException(
                f"Table `spark_catalog`.`default`.`{self._table}` cannot be replaced as it did "
                "not exist. Use CREATE OR REPLACE TABLE to create the table.",
                "TABLE_OR_VIEW_NOT_FOUND",
            )
        self.createOrReplace()

    def createOrReplace(self) -> None:
        if self._exists():
            self._df.sparkSession.sql(f"DROP TABLE `{self._table}`")
        self._write(self._df, "errorifexists")

    def append(self) -> None:
        self._write(self._by_name(self._df), "append")

    def overwrite(self, condition: Column) -> None:
        from kaspar.sql import functions as F

        target = self._df.sparkSession.table(self._table)
        kept = target.where(~F.coalesce(condition, F.lit(False)))
        self._replace_rows(kept)

    def overwritePartitions(self) -> None:
        from kaspar.sql import functions as F

        target = self._df.sparkSession.table(self._table)
        keys = self._table_partitions() if self._exists() else []
        if not keys:
            self._replace_rows(target.limit(0))
            return
        touched = self._df.select(*keys).distinct()
        matches = [F.col(f"t.{k}").eqNullSafe(F.col(f"p.{k}")) for k in keys]
        condition = reduce(lambda a, b: a & b, matches)
        kept = target.alias("t").join(touched.alias("p"), condition, "left_anti")
        self._replace_rows(kept.select(*(F.col(f"t.{c}") for c in target.columns)))

    # -- steps ---------------------------------------------------------------------------
    def _exists(self) -> bool:
        return bool(self._df.sparkSession.catalog._warehouse.exists(self._table))

    def _table_partitions(self) -> list[str]:
        """The table's partition columns, from its directories (``s=a/t=1/...``)."""
        warehouse = self._df.sparkSession.catalog._warehouse
        if not warehouse.exists(self._table):
            return []
        keys: list[str] = []
        directory = Path(warehouse.location(self._table))
        while True:
            parts = sorted(d for d in directory.iterdir() if d.is_dir() and "=" in d.name)
            if not parts:
                return keys
            keys.append(parts[0].name.split("=", 1)[0])
            directory = parts[0]

    def _by_name(self, df: DataFrame) -> DataFrame:
        """``df``'s columns in the table's order (V2 writes match columns by name)."""
        if not self._exists():
            raise AnalysisException(
                f"The table or view `{self._table}` cannot be found. Verify the spelling and "
                "correctness of the schema and catalog.",
                "TABLE_OR_VIEW_NOT_FOUND",
            )
        target = self._df.sparkSession.table(self._table).columns
        extra = [c for c in df.columns if c not in target]
        if extra or len(df.columns) != len(target):
            raise AnalysisException(
                f"Cannot write to `spark_catalog`.`default`.`{self._table}`, the reason is too "
                f"many data columns: {', '.join(extra) or 'mismatched columns'}.",
                "INCOMPATIBLE_DATA_FOR_TABLE.EXTRA_COLUMNS",
            )
        return df.select(*target)

    def _replace_rows(self, kept: DataFrame) -> None:
        """The table rewritten as ``kept`` (read into memory first) plus the new rows."""
        session = self._df.sparkSession
        new_rows = self._by_name(self._df)
        kept_rows = session.createDataFrame(kept.toArrow(), schema=kept.schema)
        keys = self._table_partitions()
        writer = kept_rows.unionByName(new_rows).write.mode("overwrite").options(**self._options)
        if keys:
            writer = writer.partitionBy(*keys)
        writer.saveAsTable(self._table)

    def _write(self, df: DataFrame, mode: str) -> None:
        writer = df.write.mode(mode).options(**self._options)
        if self._provider is not None and mode != "append":
            writer = writer.format(self._provider)
        partitions = self._table_partitions() if mode == "append" else self._partitions
        if partitions:
            writer = writer.partitionBy(*partitions)
        writer.saveAsTable(self._table)


__all__ = ["DataFrameWriterV2"]
