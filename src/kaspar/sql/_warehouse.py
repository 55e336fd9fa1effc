"""The local table catalog: tables live under ``spark.sql.warehouse.dir``.

As in Spark without Hive, a table in the default database is the directory
``<warehouse>/<table>`` and one in database ``db`` is ``<warehouse>/db.db/<table>``; a database
other than ``default`` is the directory ``<warehouse>/db.db``. A directory with a ``_delta_log``
is a Delta table, any other a parquet table, so tables outlive the session and other engines
(DuckDB, deltalake, Spark) can read them. A table created by DDL also has a definition
(``_table_definition``): its format, schema, options, location and partitions.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from kaspar.engine.plan import logical as L
from kaspar.engine.sources.delta import delta_relation
from kaspar.engine.sources.files import empty_relation, file_scan
from kaspar.sql._table_definition import (
    TableDefinition,
    defined_names,
    delete_definition,
    read_definition,
    write_definition,
)

if TYPE_CHECKING:
    from kaspar.sql.session import SparkSession

DEFAULT_WAREHOUSE = "spark-warehouse"
DEFAULT_DATABASE = "default"
SESSION_CATALOG = "spark_catalog"


def split_name(name: str, current: str = DEFAULT_DATABASE) -> tuple[str, str]:
    """``[spark_catalog.][db.]table`` as (database, table), lower case, backticks removed."""
    parts = [p.strip().strip("`").lower() for p in name.split(".")]
    if len(parts) == 3 and parts[0] == SESSION_CATALOG:
        parts = parts[1:]
    return (parts[-2], parts[-1]) if len(parts) > 1 else (current, parts[-1])


class Warehouse:
    """Locates, loads and lists the session's persistent tables and databases."""

    def __init__(self, session: SparkSession) -> None:
        self._session = session
        self.current_database = DEFAULT_DATABASE

    @property
    def root(self) -> Path:
        text = str(self._session.conf.get("spark.sql.warehouse.dir", DEFAULT_WAREHOUSE))
        return Path(text.removeprefix("file://").removeprefix("file:"))

    def split(self, name: str) -> tuple[str, str]:
        return split_name(name, self.current_database)

    # -- databases --------------------------------------------------------------------------
    def database_location(self, database: str) -> Path:
        return self.root if database == DEFAULT_DATABASE else self.root / f"{database}.db"

    def databases(self) -> list[str]:
        root = self.root
        found = [p.name[:-3] for p in root.glob("*.db") if p.is_dir()] if root.is_dir() else []
        return [DEFAULT_DATABASE, *sorted(found)]

    def database_exists(self, database: str) -> bool:
        return database.lower() in self.databases()

    def create_database(self, database: str) -> None:
        self.database_location(database.lower()).mkdir(parents=True, exist_ok=True)

    def drop_database(self, database: str) -> None:
        shutil.rmtree(self.database_location(database), ignore_errors=True)
        shutil.rmtree(self.root / ".kaspar-catalog" / database, ignore_errors=True)

    # -- tables -----------------------------------------------------------------------------
    def location(self, name: str) -> Path:
        definition = self.definition(name)
        if definition is not None and definition.location is not None:
            return Path(definition.location.removeprefix("file://").removeprefix("file:"))
        database, table = self.split(name)
        return self.database_location(database) / table

    def definition(self, name: str) -> TableDefinition | None:
        database, table = self.split(name)
        return read_definition(self.root, database, table)

    def define(self, definition: TableDefinition) -> None:
        write_definition(self.root, definition)

    def exists(self, name: str) -> bool:
        if self.definition(name) is not None:
            return True
        location = self.location(name)
        return location.is_dir() and any(location.iterdir())

    def table_format(self, name: str) -> str:
        definition = self.definition(name)
        if definition is not None:
            return definition.format
        return "delta" if (self.location(name) / "_delta_log").is_dir() else "parquet"

    def load(self, name: str) -> L.LogicalPlan | None:
        """The plan reading table ``name``, or None if the warehouse has no such table."""
        if not self.exists(name):
            return None
        definition = self.definition(name)
        location = str(self.location(name))
        if definition is not None:
            return self._load_defined(definition, location)
        if self.table_format(name) == "delta":
            time_zone = str(self._session.conf.get("spark.sql.session.timeZone"))
            return delta_relation(location, {}, time_zone)
        return file_scan(self._session._executor, "parquet", location, {}, None)

    def _load_defined(self, definition: TableDefinition, location: str) -> L.LogicalPlan:
        schema = definition.schema
        if definition.format == "delta" and Path(location, "_delta_log").is_dir():
            time_zone = str(self._session.conf.get("spark.sql.session.timeZone"))
            return delta_relation(location, {}, time_zone)
        registered = set(definition.partitions)
        if not Path(location).is_dir() or (definition.partition_by and not registered):
            return empty_relation(schema)
        base = Path(location)

        def keep(file: str) -> bool:
            return str(Path(file).parent.relative_to(base)) in registered

        plan = file_scan(
            self._session._executor,
            definition.format,
            location,
            definition.options,
            schema,
            keep=keep if definition.partition_by else None,
        )
        if definition.format == "text" and schema.names != ["value"]:
            from kaspar.sql.dataframe import DataFrame

            return DataFrame(self._session, plan).toDF(*schema.names).plan
        return plan

    def drop(self, name: str) -> None:
        definition = self.definition(name)
        if definition is None or not definition.external:
            shutil.rmtree(self.location(name), ignore_errors=True)
        database, table = self.split(name)
        delete_definition(self.root, database, table)

    def names(self, database: str = DEFAULT_DATABASE) -> list[str]:
        root = self.database_location(database)
        found = set(defined_names(self.root, database))
        if root.is_dir():
            found |= {
                p.name
                for p in root.iterdir()
                if p.is_dir() and not p.name.endswith(".db") and not p.name.startswith(".")
            }
        return sorted(found)
