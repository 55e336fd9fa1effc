"""``spark.catalog``: temporary views, persistent views, the warehouse's tables and databases,
functions, and the tables cached in memory."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from kaspar.engine.plan import logical as L
from kaspar.errors import AnalysisException
from kaspar.sql._catalog_functions import Function, FunctionCatalog
from kaspar.sql._table_ddl import create_table_string, recover_partitions
from kaspar.sql._warehouse import DEFAULT_DATABASE, SESSION_CATALOG

if TYPE_CHECKING:
    from kaspar.sql._warehouse import Warehouse
    from kaspar.sql.dataframe import DataFrame

__all__ = [
    "Catalog",
    "CatalogMetadata",
    "Column",
    "Database",
    "Function",
    "Table",
    "TablePartition",
]


class CatalogMetadata(NamedTuple):
    name: str
    description: str | None


class Table(NamedTuple):
    name: str
    catalog: str | None
    namespace: list[str] | None
    description: str | None
    tableType: str
    isTemporary: bool

    @property
    def database(self) -> str | None:
        return self.namespace[0] if self.namespace and len(self.namespace) == 1 else None


class Database(NamedTuple):
    name: str
    catalog: str | None
    description: str | None
    locationUri: str


class Column(NamedTuple):
    name: str
    description: str | None
    dataType: str
    nullable: bool
    isPartition: bool
    isBucket: bool
    isCluster: bool


class TablePartition(NamedTuple):
    partition: str


GLOBAL_TEMP = "global_temp"
_NO = (False, False)  # isBucket, isCluster


def _not_found(name: str) -> AnalysisException:
    return AnalysisException(
        f"The table or view `{name}` cannot be found. Verify the spelling and correctness of "
        "the schema and catalog.",
        "TABLE_OR_VIEW_NOT_FOUND",
    )


def _schema_not_found(name: str) -> AnalysisException:
    return AnalysisException(
        f"The schema `{name}` cannot be found. Verify the spelling and correctness of the "
        "schema and catalog.",
        "SCHEMA_NOT_FOUND",
    )


def _matching(items: list[Any], pattern: str | None) -> list[Any]:
    if not pattern:
        return items
    return [i for i in items if fnmatch.fnmatch(i.name.lower(), pattern.lower())]


class Catalog:
    """Names of temporary views, each mapped to its plan, and the warehouse's tables.

    Global temporary views (``createGlobalTempView``) are shared by every session of the
    process, as Spark shares them across the sessions of one application, and are named
    ``global_temp.<name>``. Persistent views (``CREATE VIEW``) belong to the session's
    catalog, as in Spark without a Hive metastore. A cached table (``cacheTable``) is read
    once into memory and answered from there until it is uncached or refreshed.
    """

    _global_views: ClassVar[dict[str, L.LogicalPlan]] = {}

    def __init__(self, warehouse: Warehouse | None = None) -> None:
        self._views: dict[str, L.LogicalPlan] = {}
        self._persistent_views: dict[tuple[str, str], L.LogicalPlan] = {}
        self._cached: dict[str, L.LogicalPlan] = {}
        self._warehouse_or_none = warehouse
        self._functions = FunctionCatalog()

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
            raise AnalysisException(
                f"Cannot create the temporary view `{shown}` because it already exists. "
                "Choose a different name, drop or replace the existing view.",
                "TEMP_TABLE_OR_VIEW_ALREADY_EXISTS",
            )
        views[key] = plan

    def _register_view(self, name: str, plan: L.LogicalPlan, *, replace: bool) -> None:
        key = self._warehouse.split(name)
        if not replace and key in self._persistent_views:
            raise AnalysisException(
                f"Cannot create view `{SESSION_CATALOG}`.`{key[0]}`.`{key[1]}` because it "
                "already exists.",
                "TABLE_OR_VIEW_ALREADY_EXISTS",
            )
        self._persistent_views[key] = plan

    def _cache_key(self, name: str) -> str:
        if name.lower() in self._views:
            return name.lower()
        return ".".join(self._warehouse.split(name))

    def _lookup(self, name: str) -> L.LogicalPlan:
        cached = self._cached.get(self._cache_key(name)) if self._cached else None
        if cached is not None:
            return cached
        plan = self._resolve(name)
        if plan is None:
            raise _not_found(name)
        return plan

    def _resolve(self, name: str) -> L.LogicalPlan | None:
        database, _, local = name.lower().rpartition(".")
        if database == GLOBAL_TEMP:
            return self._global_views.get(local)
        plan = self._views.get(name.lower())
        if plan is None and self._warehouse_or_none is not None:
            key = self._warehouse_or_none.split(name)
            plan = self._persistent_views.get(key) or self._warehouse_or_none.load(name)
        return plan

    def _views_for(self, names: list[str]) -> tuple[tuple[str, L.LogicalPlan], ...]:
        return tuple((n, self._lookup(n)) for n in dict.fromkeys(names))

    # -- catalogs and databases -------------------------------------------------------------
    def currentCatalog(self) -> str:
        return SESSION_CATALOG

    def setCurrentCatalog(self, catalogName: str) -> None:
        if catalogName.lower() != SESSION_CATALOG:
            raise AnalysisException(
                f"Catalog '{catalogName}' plugin class not found: spark.sql.catalog."
                f"{catalogName} is not defined.",
                "CATALOG_NOT_FOUND",
            )

    def listCatalogs(self, pattern: str | None = None) -> list[CatalogMetadata]:
        return _matching([CatalogMetadata(SESSION_CATALOG, None)], pattern)

    def currentDatabase(self) -> str:
        return self._warehouse.current_database if self._warehouse_or_none else DEFAULT_DATABASE

    def setCurrentDatabase(self, dbName: str) -> None:
        if not self.databaseExists(dbName):
            raise _schema_not_found(dbName)
        self._warehouse.current_database = dbName.rsplit(".", maxsplit=1)[-1].lower()

    def _database_name(self, dbName: str) -> str:
        parts = dbName.lower().split(".")
        return parts[-1] if len(parts) == 1 or parts[0] == SESSION_CATALOG else dbName.lower()

    def databaseExists(self, dbName: str) -> bool:
        return self._warehouse.database_exists(self._database_name(dbName))

    def getDatabase(self, dbName: str) -> Database:
        name = self._database_name(dbName)
        if not self._warehouse.database_exists(name):
            raise _schema_not_found(dbName)
        location = self._warehouse.database_location(name).resolve()
        description = "default database" if name == DEFAULT_DATABASE else ""
        return Database(name, SESSION_CATALOG, description, f"file:{location}")

    def listDatabases(self, pattern: str | None = None) -> list[Database]:
        names = sorted(self._warehouse.databases()) if self._warehouse_or_none else ["default"]
        return _matching([self.getDatabase(n) for n in names], pattern)

    def createDatabase(
        self,
        dbName: str,
        ifNotExists: bool = False,
        comment: str | None = None,
        location: str | None = None,
        properties: dict[str, str] | None = None,
    ) -> None:
        name = self._database_name(dbName)
        if self._warehouse.database_exists(name):
            if ifNotExists:
                return
            raise AnalysisException(
                f"Cannot create schema `{name}` because it already exists. Choose a different "
                "name, drop the existing schema, or add the IF NOT EXISTS clause to tolerate "
                "pre-existing schema.",
                "SCHEMA_ALREADY_EXISTS",
            )
        self._warehouse.create_database(name)

    def dropDatabase(self, dbName: str, ifExists: bool = False, cascade: bool = False) -> None:
        name = self._database_name(dbName)
        if not self._warehouse.database_exists(name):
            if ifExists:
                return
            raise _schema_not_found(dbName)
        if name == DEFAULT_DATABASE:
            raise AnalysisException(
                "Can not drop default database", "UNSUPPORTED_FEATURE.DROP_DATABASE"
            )
        if self._warehouse.names(name) and not cascade:
            raise AnalysisException(
                f"Cannot drop a schema `{name}` because it contains objects. Use DROP SCHEMA "
                "... CASCADE to drop the schema and all its objects.",
                "SCHEMA_NOT_EMPTY",
            )
        self._warehouse.drop_database(name)
        if self._warehouse.current_database == name:
            self._warehouse.current_database = DEFAULT_DATABASE

    # -- tables and views -------------------------------------------------------------------
    def _table_entry(self, database: str, name: str) -> Table:
        if (database, name) in self._persistent_views:
            kind = "VIEW"
        else:
            definition = self._warehouse.definition(f"{database}.{name}")
            kind = "EXTERNAL" if definition is not None and definition.external else "MANAGED"
        return Table(name, SESSION_CATALOG, [database], None, kind, False)

    def listTables(self, dbName: str | None = None, pattern: str | None = None) -> list[Table]:
        tables: list[Table] = []
        if self._warehouse_or_none is not None:
            database = self._database_name(dbName) if dbName else self.currentDatabase()
            if not self._warehouse.database_exists(database):
                raise _schema_not_found(dbName or database)
            names = set(self._warehouse.names(database))
            names |= {n for d, n in self._persistent_views if d == database}
            tables = [self._table_entry(database, n) for n in sorted(names)]
        tables += [Table(n, None, [], None, "TEMPORARY", True) for n in sorted(self._views)]
        return _matching(tables, pattern)

    def listViews(self, dbName: str | None = None, pattern: str | None = None) -> list[Table]:
        return [t for t in self.listTables(dbName, pattern) if t.tableType in ("VIEW", "TEMPORARY")]

    def getTable(self, tableName: str) -> Table:
        if tableName.lower() in self._views:
            return Table(tableName, None, [], None, "TEMPORARY", True)
        if not self.tableExists(tableName):
            raise _not_found(tableName)
        return self._table_entry(*self._warehouse.split(tableName))

    def tableExists(self, tableName: str, dbName: str | None = None) -> bool:
        name = f"{dbName}.{tableName}" if dbName else tableName
        if name.lower() in self._views:
            return True
        database, _, local = name.lower().rpartition(".")
        if database == GLOBAL_TEMP:
            return local in self._global_views
        if self._warehouse_or_none is None:
            return False
        key = self._warehouse.split(name)
        return key in self._persistent_views or self._warehouse.exists(name)

    def listColumns(self, tableName: str, dbName: str | None = None) -> list[Column]:
        from kaspar.sql.dataframe import DataFrame

        name = f"{dbName}.{tableName}" if dbName else tableName
        schema = DataFrame(self._warehouse._session, self._lookup(name)).schema
        definition = None if name.lower() in self._views else self._warehouse.definition(name)
        partitions = set(definition.partition_by) if definition else set()
        return [
            Column(f.name, None, f.dataType.simpleString(), True, f.name in partitions, *_NO)
            for f in schema.fields
        ]

    def createTable(
        self,
        tableName: str,
        path: str | None = None,
        source: str | None = None,
        schema: Any = None,
        description: str | None = None,
        **options: str,
    ) -> DataFrame:
        from kaspar.sql._table_ddl import define_table

        define_table(
            self._warehouse._session,
            tableName,
            source=source,
            schema=schema,
            path=path,
            options=options,
            comment=description,
        )
        return self._warehouse._session.table(tableName)

    def createExternalTable(
        self,
        tableName: str,
        path: str | None = None,
        source: str | None = None,
        schema: Any = None,
        **options: str,
    ) -> DataFrame:
        return self.createTable(tableName, path, source, schema, **options)

    def dropTempView(self, viewName: str) -> bool:
        self._cached.pop(viewName.lower(), None)
        return self._views.pop(viewName.lower(), None) is not None

    def dropGlobalTempView(self, viewName: str) -> bool:
        return self._global_views.pop(viewName.lower(), None) is not None

    def dropTable(self, tableName: str, ifExists: bool = False, purge: bool = False) -> None:
        if not self._warehouse.exists(tableName):
            if ifExists:
                return
            raise _not_found(tableName)
        self._cached.pop(self._cache_key(tableName), None)
        self._warehouse.drop(tableName)

    def dropView(self, viewName: str, ifExists: bool = False) -> None:
        if self.dropTempView(viewName):
            return
        dropped = self._persistent_views.pop(self._warehouse.split(viewName), None) is not None
        if not dropped and not ifExists:
            raise AnalysisException(
                f"The view `{viewName}` cannot be found. Verify the spelling and "
                "correctness of the schema and catalog.",
                "VIEW_NOT_FOUND",
            )

    def _table_definition_of(self, tableName: str) -> Any:
        definition = self._warehouse.definition(tableName)
        if definition is None and not self.tableExists(tableName):
            raise _not_found(tableName)
        return definition

    def getTableProperties(self, tableName: str) -> dict[str, str]:
        definition = self._table_definition_of(tableName)
        return dict(definition.properties) if definition is not None else {}

    def getCreateTableString(self, tableName: str, asSerde: bool = False) -> str:
        from kaspar.sql.dataframe import DataFrame

        definition = self._table_definition_of(tableName)
        schema = DataFrame(self._warehouse._session, self._lookup(tableName)).schema
        return create_table_string(self._warehouse.split(tableName), schema, definition)

    def listPartitions(self, tableName: str) -> list[TablePartition]:
        definition = self._table_definition_of(tableName)
        if definition is None or not definition.partition_by:
            raise AnalysisException(
                f"SHOW PARTITIONS is not allowed on a table that is not partitioned: {tableName}",
                "_LEGACY_ERROR_TEMP_1231",
            )
        return [TablePartition(p) for p in definition.partitions]

    def recoverPartitions(self, tableName: str) -> None:
        definition = self._table_definition_of(tableName)
        if definition is not None and definition.partition_by:
            location = self._warehouse.location(tableName)
            self._warehouse.define(recover_partitions(definition, location))

    def truncateTable(self, tableName: str) -> None:
        from kaspar.sql._table_ddl import truncate

        self._table_definition_of(tableName)
        truncate(self._warehouse.location(tableName))
        self._cached.pop(self._cache_key(tableName), None)

    def analyzeTable(self, tableName: str, noScan: bool = False) -> None:
        """Statistics are DuckDB's own; the table only has to exist."""
        self._lookup(tableName)

    # -- functions --------------------------------------------------------------------------
    def listFunctions(
        self, dbName: str | None = None, pattern: str | None = None
    ) -> list[Function]:
        udfs = list(self._warehouse._session.udf._functions) if self._warehouse_or_none else []
        return _matching(self._functions.all(udfs), pattern)

    def functionExists(self, functionName: str, dbName: str | None = None) -> bool:
        name = f"{dbName}.{functionName}" if dbName else functionName
        return self._find_function(name) is not None

    def getFunction(self, functionName: str) -> Function:
        found = self._find_function(functionName)
        if found is None:
            raise AnalysisException(
                f"The routine `{functionName}` cannot be found. Verify the spelling and "
                "correctness of the schema and catalog.",
                "ROUTINE_NOT_FOUND",
            )
        return found

    def _find_function(self, name: str) -> Function | None:
        udfs = list(self._warehouse._session.udf._functions) if self._warehouse_or_none else []
        return self._functions.find(name, udfs)

    def registerFunction(self, name: str, f: Any, returnType: Any = None) -> Any:
        return self._warehouse._session.udf.register(name, f, returnType)

    # -- cache ------------------------------------------------------------------------------
    def _materialize(self, name: str) -> L.LogicalPlan:
        executor = self._warehouse._session._executor
        plan = self._resolve(name)
        if plan is None:
            raise _not_found(name)
        names = tuple(executor.schema(plan).names)
        table = executor.execute(plan)
        table = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
        return L.LocalRelation(table, names)

    def isCached(self, tableName: str) -> bool:
        if not self.tableExists(tableName):
            raise _not_found(tableName)
        return self._cache_key(tableName) in self._cached

    def cacheTable(self, tableName: str, storageLevel: Any = None) -> None:
        self._cached[self._cache_key(tableName)] = self._materialize(tableName)

    def uncacheTable(self, tableName: str) -> None:
        if not self.tableExists(tableName):
            raise _not_found(tableName)
        self._cached.pop(self._cache_key(tableName), None)

    def clearCache(self) -> None:
        self._cached.clear()

    def refreshTable(self, tableName: str) -> None:
        """A cached table is read again (Spark refreshes its cache lazily; kaspar now)."""
        key = self._cache_key(tableName)
        if key in self._cached:
            del self._cached[key]
            self._cached[key] = self._materialize(tableName)

    def refreshByPath(self, path: str) -> None:
        """Every cached table whose files are under ``path`` is read again."""
        from pathlib import Path

        target = Path(path.removeprefix("file://").removeprefix("file:")).resolve()
        for key in list(self._cached):
            if "." not in key:
                continue
            location = self._warehouse.location(key).resolve()
            if location == target or target in location.parents:
                self.refreshTable(key)
