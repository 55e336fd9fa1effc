"""``spark.conf`` (PySpark ``RuntimeConfig``); engine settings apply immediately."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from kaspar.activation import StandInRepr

_MISSING = object()


def _local_time_zone() -> str:
    """The process's zone, as the JVM takes its default: ``TZ`` first, then /etc/localtime."""
    zone = os.environ.get("TZ", "").removeprefix(":")
    if zone == "UTC" or ("/" in zone and not zone.startswith("/")):  # a zone name, not a path
        return zone
    try:
        from pathlib import Path

        link = Path("/etc/localtime").resolve()
        if "zoneinfo" in link.parts:
            return "/".join(link.parts[link.parts.index("zoneinfo") + 1 :])
    except OSError:
        pass
    return time.tzname[0] or "UTC"


def default_conf() -> dict[str, str]:
    return {
        "spark.app.name": "kaspar",
        "spark.master": "local[*]",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.timestampNanosTypes.enabled": "false",
        "spark.sql.session.timeZone": _local_time_zone(),
        "spark.sql.shuffle.partitions": "200",
        "spark.sql.caseSensitive": "false",
        "spark.sql.mapKeyDedupPolicy": "EXCEPTION",
    }


class RuntimeConfig(StandInRepr):
    """Get and set session configuration (``spark.conf.set("spark.sql.ansi.enabled", False)``)."""

    _pyspark_module = "pyspark.sql.conf"

    def __init__(self, values: dict[str, str], on_change: Callable[[str, str], None]) -> None:
        self._values = values
        self._on_change = on_change

    def set(self, key: str, value: Any) -> None:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        self._values[key] = text
        self._on_change(key, text)

    def get(self, key: str, default: Any = _MISSING) -> Any:
        if key in self._values:
            return self._values[key]
        if default is _MISSING:
            from kaspar.errors import IllegalArgumentException

            raise IllegalArgumentException(
                f'The SQL config "{key}" cannot be found. Please verify that the config exists.',
                "SQL_CONF_NOT_FOUND",
            )
        return default

    def unset(self, key: str) -> None:
        self._values.pop(key, None)
        defaults = default_conf()
        if key in defaults:
            self.set(key, defaults[key])

    def getAll(self) -> dict[str, str]:
        return dict(self._values)

    def isModifiable(self, key: str) -> bool:
        return key.startswith("spark.sql.")
