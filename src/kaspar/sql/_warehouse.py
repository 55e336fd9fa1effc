"""The local table catalog: ``saveAsTable`` tables live under ``spark.sql.warehouse.dir``.

As in Spark without Hive, a table in the default database is the directory
``<warehouse>/<table>`` and one in database ``db`` is ``<warehouse>/db.db/<table>``. A
directory with a ``_delta_log`` is a Delta table, any other a parquet table, so tables outlive
the session and other engines (DuckDB, deltalake, Spark) can read them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kaspar.engine.plan import logical as L
from kaspar.engine.sources.delta import delta_relation
from kaspar.engine.sources.files import file_scan

if TYPE_CHECKING:
    from kaspar.sql.session import SparkSession

DEFAULT_WAREHOUSE = "spark-warehouse"


class Warehouse:
    """Locates, loads and lists the session's persistent tables."""

    def __init__(self, session: SparkSession) -> None:
        self._session = session

    @property
    def root(self) -> Path:
        text = str(self._session.conf.get("spark.sql.warehouse.dir", DEFAULT_WAREHOUSE))
        return Path(text.removeprefix("file://").removeprefix("file:"))

    def location(self, name: str) -> Path:
        parts = [p.strip("`").lower() for p in name.split(".")]
        if len(parts) > 1 and parts[-2] != "default":
            return self.root / f"{parts[-2]}.db" / parts[-1]
        return self.root / parts[-1]

    def exists(self, name: str) -> bool:
        location = self.location(name)
        return location.is_dir() and any(location.iterdir())

    def table_format(self, name: str) -> str:
        return "delta" if (self.location(name) / "_delta_log").is_dir() else "parquet"

    def load(self, name: str) -> L.LogicalPlan | None:
        """The plan reading table ``name``, or None if the warehouse has no such table."""
        if not self.exists(name):
            return None
        location = str(self.location(name))
        if self.table_format(name) == "delta":
            time_zone = str(self._session.conf.get("spark.sql.session.timeZone"))
            return delta_relation(location, {}, time_zone)
        return file_scan(self._session._executor, "parquet", location, {}, None)

    def names(self) -> list[str]:
        root = self.root
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.endswith(".db"))
