"""PySpark functions that cannot apply to kaspar: each raises ``PySparkNotImplementedError``
naming what to use instead (``NOT_APPLICABLE`` lists them for docs/function-coverage.md)."""

from __future__ import annotations

from typing import Any, NoReturn

from kaspar.errors import PySparkNotImplementedError

NOT_APPLICABLE: dict[str, str] = {
    "java_method": "calls a Java method in the JVM, which kaspar does not run; use a Python `udf`",
    "reflect": "calls a Java method in the JVM, which kaspar does not run; use a Python `udf`",
    "try_reflect": "calls a Java method in the JVM, which kaspar does not run; use a Python "
    "`udf` that returns None on failure",
    "unwrap_udt": "user-defined types are JVM classes; kaspar has none (store the value as a "
    "struct)",
}


def _refuse(name: str) -> NoReturn:
    raise PySparkNotImplementedError(
        f"{name}() is not available in kaspar: {NOT_APPLICABLE[name]}.",
        "NOT_IMPLEMENTED",
    )


def java_method(*cols: Any) -> NoReturn:
    _refuse("java_method")


def reflect(*cols: Any) -> NoReturn:
    _refuse("reflect")


def try_reflect(*cols: Any) -> NoReturn:
    _refuse("try_reflect")


def unwrap_udt(col: Any) -> NoReturn:
    _refuse("unwrap_udt")


__all__ = ["java_method", "reflect", "try_reflect", "unwrap_udt"]
