"""The functions ``spark.catalog`` lists: built-in ones (temporary, in no namespace, as Spark
lists them), the session's UDFs, and those ``CREATE FUNCTION`` recorded in the session catalog.

A function created from a JVM class (``CREATE FUNCTION f AS 'com.example.Avg'``) is recorded
with its class name, as Spark's catalog records it; calling it needs the JVM class, which
kaspar cannot load, so only its catalog entry exists.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from kaspar.sql._warehouse import DEFAULT_DATABASE, SESSION_CATALOG


class Function(NamedTuple):
    name: str
    catalog: str | None
    namespace: list[str] | None
    description: str | None
    className: str | None
    isTemporary: bool


@cache
def builtin_names() -> tuple[str, ...]:
    """The SQL names of the built-in functions: ``pyspark.sql.functions``' lower-case ones."""
    import inspect

    from kaspar.sql import functions

    return tuple(
        sorted(
            name
            for name, obj in vars(functions).items()
            if not name.startswith("_") and name.islower() and inspect.isfunction(obj)
        )
    )


class FunctionCatalog:
    """Functions created by ``CREATE FUNCTION``, keyed by (database, name)."""

    def __init__(self) -> None:
        self._created: dict[tuple[str, str], str] = {}

    def create(self, database: str, name: str, class_name: str, *, replace: bool) -> None:
        from kaspar.errors import AnalysisException

        key = (database.lower(), name.lower())
        if key in self._created and not replace:
            raise AnalysisException(
                f"Cannot create the routine `{SESSION_CATALOG}`.`{key[0]}`.`{key[1]}` because "
                "it already exists.",
                "ROUTINE_ALREADY_EXISTS",
            )
        self._created[key] = class_name

    def drop(self, database: str, name: str) -> bool:
        return self._created.pop((database.lower(), name.lower()), None) is not None

    def _entry(self, database: str, name: str) -> Function:
        class_name = self._created[(database, name)]
        return Function(name, SESSION_CATALOG, [database], "N/A.", class_name, False)

    def all(self, udfs: list[str]) -> list[Function]:
        created = [self._entry(d, n) for d, n in sorted(self._created)]
        temporary = sorted({*builtin_names(), *udfs})
        return created + [Function(n, None, None, None, None, True) for n in temporary]

    def find(self, name: str, udfs: list[str]) -> Function | None:
        parts = [p.strip("`").lower() for p in name.split(".")]
        if len(parts) == 3 and parts[0] == SESSION_CATALOG:
            parts = parts[1:]
        if len(parts) == 1:
            local = parts[0]
            if local in udfs or local in builtin_names():
                return Function(local, None, None, None, None, True)
            parts = [DEFAULT_DATABASE, local]
        if len(parts) != 2 or (parts[0], parts[1]) not in self._created:
            return None
        return self._entry(parts[0], parts[1])
