"""``spark.catalog``: temporary views, then the warehouse's persistent tables (``saveAsTable``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, NamedTuple

from kaspar.engine.plan import logical as L
from kaspar.errors import AnalysisException, TempTableAlreadyExistsException

if TYPE_CHECKING:
    from kaspar.sql._warehouse import Warehouse


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


GLOBAL_TEMP = "global_temp"


class Catalog:
    """Names of temporary views, each mapped to its plan, and the warehouse's tables.

    Global temporary views (``createGlobalTempView``) are shared by every session of the
    process, as Spark shares them across the sessions of one application, and are named
    ``global_temp.<name>``.
    """

    _global_views: ClassVar[dict[str, L.LogicalPlan]] = {}

    def __init__(self, warehouse: Warehouse | None = None) -> None:
        self._views: dict[str, L.LogicalPlan] = {}
        self._warehouse_or_none = warehouse

    @property
    def _warehouse(self) -> Warehouse:
        if self._warehouse_or_none is None:
            raise AnalysisException("This catalog has no warehouse for tables.", "NOT_SUPPORTED")
        return self._warehouse_or_none

    def _register(
        self, name: str, plan: L.LogicalPlan, *, replace: bool, is_global: bool = False
    ) -> None:
        views = self._global_views if is_global else self._views
        key = name.lower()
        if not replace and key in views:
            shown = f"{GLOBAL_TEMP}`.`{name}" if is_global else name
            raise TempTableAlreadyExistsException(
                f"Cannot create the temporary view `{shown}` because it already exists.",
                "TEMP_TABLE_OR_VIEW_ALREADY_EXISTS",
            )
        views[key] = plan

    def _lookup(self, name: str) -> L.LogicalPlan:
        database, _, local = name.lower().rpartition(".")
        if database == GLOBAL_TEMP:
            plan = self._global_views.get(local)
        else:
            plan = self._views.get(name.lower())
        if plan is None and self._warehouse_or_none is not None:
            plan = self._warehouse_or_none.load(name)
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

        tables = [Table(n, None, [], None, "TEMPORARY", True) for n in sorted(self._views)]
        if self._warehouse_or_none is not None:
            tables = [
                Table(n, "spark_catalog", ["default"], None, "MANAGED", False)
                for n in self._warehouse_or_none.names()
            ] + tables
        if pattern:
            tables = [t for t in tables if fnmatch.fnmatch(t.name, pattern)]
        return tables

    def tableExists(self, tableName: str, dbName: str | None = None) -> bool:
        name = f"{dbName}.{tableName}" if dbName else tableName
        if name.lower() in self._views:
            return True
        return self._warehouse_or_none is not None and self._warehouse_or_none.exists(name)

    def dropTempView(self, viewName: str) -> bool:
        return self._views.pop(viewName.lower(), None) is not None

    def dropGlobalTempView(self, viewName: str) -> bool:
        return self._global_views.pop(viewName.lower(), None) is not None

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
