"""``spark.catalog``: temporary views (tables come with ``saveAsTable`` later)."""

from __future__ import annotations

from typing import NamedTuple

from kaspar.engine.plan import logical as L
from kaspar.errors import AnalysisException, TempTableAlreadyExistsException


class Table(NamedTuple):
    name: str
    catalog: str | None
    namespace: list[str] | None
    description: str | None
    tableType: str
    isTemporary: bool


class Database(NamedTuple):
    name: str
    catalog: str | None
    description: str | None
    locationUri: str


class Catalog:
    """Names of temporary views, each mapped to its plan."""

    def __init__(self) -> None:
        self._views: dict[str, L.LogicalPlan] = {}

    def _register(self, name: str, plan: L.LogicalPlan, *, replace: bool) -> None:
        key = name.lower()
        if not replace and key in self._views:
            raise TempTableAlreadyExistsException(
                f"Cannot create the temporary view `{name}` because it already exists.",
                "TEMP_TABLE_OR_VIEW_ALREADY_EXISTS",
            )
        self._views[key] = plan

    def _lookup(self, name: str) -> L.LogicalPlan:
        plan = self._views.get(name.lower())
        if plan is None:
            raise AnalysisException(
                f"The table or view `{name}` cannot be found. Verify the spelling and "
                "correctness of the schema and catalog.",
                "TABLE_OR_VIEW_NOT_FOUND",
            )
        return plan

    def _views_for(self, names: list[str]) -> tuple[tuple[str, L.LogicalPlan], ...]:
        return tuple((n, self._lookup(n)) for n in dict.fromkeys(names))

    def listTables(self, dbName: str | None = None, pattern: str | None = None) -> list[Table]:
        import fnmatch

        names = sorted(self._views)
        if pattern:
            names = [n for n in names if fnmatch.fnmatch(n, pattern.replace("*", "*"))]
        return [Table(n, None, [], None, "TEMPORARY", True) for n in names]

    def tableExists(self, tableName: str, dbName: str | None = None) -> bool:
        return tableName.lower() in self._views

    def dropTempView(self, viewName: str) -> bool:
        return self._views.pop(viewName.lower(), None) is not None

    def currentDatabase(self) -> str:
        return "default"

    def currentCatalog(self) -> str:
        return "spark_catalog"

    def listDatabases(self, pattern: str | None = None) -> list[Database]:
        return [Database("default", "spark_catalog", "default database", "")]

    def clearCache(self) -> None:
        """Nothing is cached between queries."""

    def cacheTable(self, tableName: str) -> None:
        """Accepted; DuckDB reads Arrow tables in place."""

    def isCached(self, tableName: str) -> bool:
        return False
