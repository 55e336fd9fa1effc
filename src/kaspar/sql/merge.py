"""``df.mergeInto(table, condition)`` (PySpark ``pyspark.sql.merge.MergeIntoWriter``, Spark
4): MERGE a DataFrame into a catalog table, clause by clause, then ``merge()``.

The target must be a Delta table of the catalog (Spark's built-in file tables do not support
MERGE either); the clauses run as delta-spark's MERGE does (``kaspar.delta.merge``), in one
Delta commit. In conditions and assignments the target's columns are qualified by the table's
name (``target.id``) and the source's are the DataFrame's own columns (``source.id``) or
qualified by its alias.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kaspar.errors import AnalysisException

if TYPE_CHECKING:
    from kaspar.delta.merge import DeltaMergeBuilder
    from kaspar.sql.dataframe import DataFrame

Step = Callable[["DeltaMergeBuilder"], "DeltaMergeBuilder"]


class MergeIntoWriter:
    """The clauses of one MERGE; ``merge()`` runs them."""

    def __init__(self, df: DataFrame, table: str, condition: Any) -> None:
        self._df = df
        self._table = table
        self._condition = condition
        self._steps: list[Step] = []
        self._evolve = False

    def whenMatched(self, condition: Any = None) -> WhenMatched:
        return WhenMatched(self, condition)

    def whenNotMatched(self, condition: Any = None) -> WhenNotMatched:
        return WhenNotMatched(self, condition)

    def whenNotMatchedBySource(self, condition: Any = None) -> WhenNotMatchedBySource:
        return WhenNotMatchedBySource(self, condition)

    def withSchemaEvolution(self) -> MergeIntoWriter:
        self._evolve = True
        return self

    def _add(self, step: Step) -> MergeIntoWriter:
        self._steps.append(step)
        return self

    def merge(self) -> None:
        from kaspar.delta.tables import DeltaTable

        session = self._df.sparkSession
        if not session.catalog.tableExists(self._table):
            raise AnalysisException(
                f"The table or view `{self._table}` cannot be found. Verify the spelling and "
                "correctness of the schema and catalog.",
                "TABLE_OR_VIEW_NOT_FOUND",
            )
        try:
            target = DeltaTable.forName(session, self._table)
        except AnalysisException:
            raise AnalysisException(
                f"Table `{self._table}` does not support MERGE INTO TABLE. Please check the "
                "current catalog and namespace to make sure the qualified table name is "
                "expected (kaspar merges into Delta tables).",
                "UNSUPPORTED_FEATURE.TABLE_OPERATION",
            ) from None
        builder = target.alias(self._table.split(".")[-1])
        merging = builder.merge(self._df, self._condition)
        if self._evolve:
            merging = merging.withSchemaEvolution()
        for step in self._steps:
            merging = step(merging)
        merging.execute()


class WhenMatched:
    """``whenMatched(condition)``: ``update``, ``updateAll`` or ``delete`` a matched row."""

    def __init__(self, writer: MergeIntoWriter, condition: Any) -> None:
        self._writer, self._condition = writer, condition

    def update(self, assignments: dict[str, Any]) -> MergeIntoWriter:
        return self._writer._add(lambda m: m.whenMatchedUpdate(self._condition, assignments))

    def updateAll(self) -> MergeIntoWriter:
        return self._writer._add(lambda m: m.whenMatchedUpdateAll(self._condition))

    def delete(self) -> MergeIntoWriter:
        return self._writer._add(lambda m: m.whenMatchedDelete(self._condition))


class WhenNotMatched:
    """``whenNotMatched(condition)``: ``insert`` or ``insertAll`` a source row."""

    def __init__(self, writer: MergeIntoWriter, condition: Any) -> None:
        self._writer, self._condition = writer, condition

    def insert(self, assignments: dict[str, Any]) -> MergeIntoWriter:
        return self._writer._add(lambda m: m.whenNotMatchedInsert(self._condition, assignments))

    def insertAll(self) -> MergeIntoWriter:
        return self._writer._add(lambda m: m.whenNotMatchedInsertAll(self._condition))


class WhenNotMatchedBySource:
    """``whenNotMatchedBySource(condition)``: ``update`` or ``delete`` a target row."""

    def __init__(self, writer: MergeIntoWriter, condition: Any) -> None:
        self._writer, self._condition = writer, condition

    def update(self, assignments: dict[str, Any]) -> MergeIntoWriter:
        return self._writer._add(
            lambda m: m.whenNotMatchedBySourceUpdate(self._condition, assignments)
        )

    def delete(self) -> MergeIntoWriter:
        return self._writer._add(lambda m: m.whenNotMatchedBySourceDelete(self._condition))


MergeIntoWriter.WhenMatched = WhenMatched  # type: ignore[attr-defined]
MergeIntoWriter.WhenNotMatched = WhenNotMatched  # type: ignore[attr-defined]
MergeIntoWriter.WhenNotMatchedBySource = WhenNotMatchedBySource  # type: ignore[attr-defined]
