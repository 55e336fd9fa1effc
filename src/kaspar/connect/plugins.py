"""The plugins a worker knows: built-in connectors, converters, transforms and predicates, plus
the connectors of installed packages (entry points of the group `kaspar.connect`).

A connector is named in `connector.class` by its class name (the Java name for the built-ins
that replace Java connectors), its simple name, the simple name without `Connector`, or its
entry point's name, as Connect's plugin aliases allow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points

from kaspar import __version__
from kaspar.connect.connector import Connector
from kaspar.connect.converters import CONVERTERS, REGISTRY_NAMES
from kaspar.connect.transforms import PREDICATES, TRANSFORMS

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "kaspar.connect"


@dataclass(frozen=True)
class PluginDesc:
    """One entry of `GET /connector-plugins`."""

    class_name: str
    type: str
    version: str

    def json(self) -> dict[str, str]:
        return {"class": self.class_name, "type": self.type, "version": self.version}


def _builtin_connectors() -> list[type[Connector]]:
    from kaspar.connect.connectors.delta_sink import DeltaSinkConnector
    from kaspar.connect.connectors.file_stream import (
        FileStreamSinkConnector,
        FileStreamSourceConnector,
    )
    from kaspar.connect.connectors.jdbc_sink import JdbcSinkConnector
    from kaspar.connect.connectors.postgres import PostgresConnector

    return [
        FileStreamSourceConnector,
        FileStreamSinkConnector,
        PostgresConnector,
        DeltaSinkConnector,
        JdbcSinkConnector,
    ]


def class_name(cls: type[Connector]) -> str:
    return cls.aliases[0] if cls.aliases else f"{cls.__module__}.{cls.__qualname__}"


@cache
def connectors() -> dict[str, type[Connector]]:
    """Every name a connector class answers to -> the class."""
    found: dict[str, type[Connector]] = {}
    named: list[tuple[str, type[Connector]]] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception:  # a broken plugin must not take the worker down
            log.exception("connect: cannot load plugin %s (%s)", entry.name, entry.value)
            continue
        if isinstance(loaded, type) and issubclass(loaded, Connector):
            named.append((entry.name, loaded))
    for cls in _builtin_connectors():
        named.append((cls.__name__, cls))
    for name, cls in named:
        full = class_name(cls)
        simple = full.rsplit(".", 1)[-1]
        for alias in (name, full, f"{cls.__module__}.{cls.__qualname__}", *cls.aliases):
            found.setdefault(alias, cls)
        found.setdefault(simple, cls)
        found.setdefault(simple.removesuffix("Connector"), cls)
    return found


def find_connector(name: str) -> type[Connector] | None:
    return connectors().get(name.strip())


def connector_plugins() -> list[PluginDesc]:
    unique = {class_name(cls): cls for cls in connectors().values()}
    return [PluginDesc(name, cls.plugin_type, __version__) for name, cls in sorted(unique.items())]


def other_plugins() -> list[PluginDesc]:
    """Converters, transforms and predicates (`?connectorsOnly=false`)."""
    converters = {**CONVERTERS, **dict.fromkeys(REGISTRY_NAMES)}
    kinds = (("converter", converters), ("transformation", TRANSFORMS), ("predicate", PREDICATES))
    return [
        PluginDesc(name, kind, __version__)
        for kind, table in kinds
        for name in sorted(table)
        if "." in name
    ]
