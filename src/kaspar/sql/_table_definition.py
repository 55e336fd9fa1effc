"""What ``CREATE TABLE`` and ``catalog.createTable`` record of a table, kept beside the data.

A table written by ``saveAsTable`` is known by its directory alone; one created by DDL may
have no data yet (``CREATE TABLE t (a INT) USING csv``), live elsewhere (``LOCATION``,
``OPTIONS (path ...)``), have options its reads and writes need, table properties, and a
partitioning whose partitions are registered (``INSERT``, ``recoverPartitions``) rather than
discovered. Those facts are one JSON file per table under ``<warehouse>/.kaspar-catalog/<db>/``,
a hidden directory that readers of the warehouse (Spark, DuckDB, kaspar) skip.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from kaspar.engine import types as T
from kaspar.engine.type_conversion import parse_data_type, to_ddl

CATALOG_DIR = ".kaspar-catalog"


@dataclass(frozen=True)
class TableDefinition:
    """One table's definition; ``location`` is None for a managed table (in the warehouse)."""

    name: str
    database: str
    format: str
    schema_ddl: str
    partition_by: tuple[str, ...] = ()
    location: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    comment: str | None = None
    partitions: tuple[str, ...] = ()  # registered partition directories, "p=1/q=a"

    @property
    def schema(self) -> T.StructType:
        parsed = parse_data_type(f"struct<{self.schema_ddl}>") if self.schema_ddl else None
        return parsed if isinstance(parsed, T.StructType) else T.StructType()

    @property
    def external(self) -> bool:
        return self.location is not None

    def with_partitions(self, partitions: list[str]) -> TableDefinition:
        return replace(self, partitions=tuple(sorted(set(partitions))))


def schema_ddl(schema: T.StructType) -> str:
    return ",".join(f"`{f.name}`:{to_ddl(f.dataType)}" for f in schema.fields)


def definition_path(root: Path, database: str, name: str) -> Path:
    return root / CATALOG_DIR / database / f"{name}.json"


def read_definition(root: Path, database: str, name: str) -> TableDefinition | None:
    path = definition_path(root, database, name)
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    data["partition_by"] = tuple(data.get("partition_by", ()))
    data["partitions"] = tuple(data.get("partitions", ()))
    return TableDefinition(**data)


def write_definition(root: Path, definition: TableDefinition) -> None:
    path = definition_path(root, definition.database, definition.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(definition), indent=1))


def delete_definition(root: Path, database: str, name: str) -> None:
    definition_path(root, database, name).unlink(missing_ok=True)


def defined_names(root: Path, database: str) -> list[str]:
    folder = root / CATALOG_DIR / database
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
