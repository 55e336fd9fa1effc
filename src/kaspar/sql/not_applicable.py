"""Members of PySpark's classes that cannot apply to kaspar (no JVM, no RDDs): each raises
``PySparkNotImplementedError`` naming what to use instead. ``NOT_APPLICABLE_MEMBERS`` lists
them for docs/function-coverage.md."""

from __future__ import annotations

from typing import Any, NoReturn

from kaspar.errors import PySparkNotImplementedError

NOT_APPLICABLE_MEMBERS: dict[str, str] = {
    "DataFrame.rdd": "RDDs live in the JVM; use collect(), toLocalIterator(), toPandas() or "
    "toArrow()",
    "DataFrame.pandas_api": "pandas-on-Spark needs Spark's JVM; use toPandas()",
    "DataFrame.plot": "plotting goes through pandas-on-Spark; use toPandas().plot",
    "SparkSession.sparkContext": "kaspar has no SparkContext; use the SparkSession (conf, "
    "createDataFrame, read) directly",
    "SparkSession.profile": "Spark's Python worker profiler does not exist in kaspar (UDFs run "
    "in this process); profile with cProfile or py-spy around the action",
}


class NotApplicableError(PySparkNotImplementedError, AttributeError):
    """Raised by a member that cannot apply; an ``AttributeError`` too, so ``hasattr`` is
    False and introspection (pandas, IPython) goes on."""


class NotApplicable:
    """A class attribute that raises when read: ``rdd = NotApplicable("DataFrame.rdd")``."""

    def __init__(self, member: str) -> None:
        self.member = member

    def __get__(self, obj: Any, owner: Any) -> NoReturn:
        refuse(self.member)


def refuse(member: str) -> NoReturn:
    raise NotApplicableError(
        f"{member} is not available in kaspar: {NOT_APPLICABLE_MEMBERS[member]}.",
        "NOT_IMPLEMENTED",
    )


def refuse_if_not_applicable(owner: str, name: str) -> None:
    """For a class whose ``__getattr__`` Python calls after a descriptor's AttributeError."""
    if f"{owner}.{name}" in NOT_APPLICABLE_MEMBERS:
        refuse(f"{owner}.{name}")
