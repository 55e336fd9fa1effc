"""``kaspar.activate()``: run unchanged ``from pyspark.sql import ...`` code on kaspar.

It installs ``sys.modules`` aliases, so ``pyspark``, ``pyspark.sql``, ``pyspark.sql.functions``,
``pyspark.sql.types``, ``pyspark.sql.window``, ``pyspark.sql.column``, ``pyspark.sql.dataframe``,
``pyspark.sql.session``, ``pyspark.sql.catalog``, ``pyspark.storagelevel``,
``pyspark.sql.avro.functions``, ``pyspark.sql.protobuf.functions``
and ``pyspark.errors`` resolve to kaspar's modules, and delta-spark's ``delta`` /
``delta.tables`` to ``kaspar.delta``. Call it before the
first pyspark import; a real pyspark that is already imported is replaced for later imports.
"""

from __future__ import annotations

import importlib
import sys
import types

_ALIASES = {
    "pyspark.sql": "kaspar.sql",
    "pyspark.sql.functions": "kaspar.sql.functions",
    "pyspark.sql.types": "kaspar.sql.types",
    "pyspark.sql.window": "kaspar.sql.window",
    "pyspark.sql.column": "kaspar.sql.column",
    "pyspark.sql.dataframe": "kaspar.sql.dataframe",
    "pyspark.sql.session": "kaspar.sql.session",
    "pyspark.sql.group": "kaspar.sql.group",
    "pyspark.sql.readwriter": "kaspar.sql.readwriter",
    "pyspark.sql.avro": "kaspar.sql.avro",
    "pyspark.sql.avro.functions": "kaspar.sql.avro.functions",
    "pyspark.sql.protobuf": "kaspar.sql.protobuf",
    "pyspark.sql.protobuf.functions": "kaspar.sql.protobuf.functions",
    "pyspark.sql.catalog": "kaspar.sql.catalog",
    "pyspark.sql.datasource": "kaspar.sql.datasource",
    "pyspark.sql.merge": "kaspar.sql.merge",
    "pyspark.sql.streaming": "kaspar.sql.streaming",
    "pyspark.sql.streaming.state": "kaspar.sql.streaming.state",
    "pyspark.sql.streaming.stateful_processor": "kaspar.sql.streaming.stateful_processor",
    "pyspark.sql.udtf": "kaspar.sql.udtf",
    "pyspark.sql.table_arg": "kaspar.sql.table_arg",
    "pyspark.storagelevel": "kaspar.storagelevel",
    "pyspark.errors": "kaspar.errors",
    "pyspark.sql.utils": "kaspar.errors",
    "delta": "kaspar.delta",
    "delta.tables": "kaspar.delta.tables",
    "delta.pip_utils": "kaspar.delta.pip_utils",
}


# The errors PySpark re-raises from Spark's JVM, which tracebacks name by their module
# ``pyspark.errors.exceptions.captured`` (``captured.AnalysisException: [AMBIGUOUS_...] ...``).
_CAPTURED_MODULE = "pyspark.errors.exceptions.captured"
_CAPTURED = (
    "AnalysisException",
    "ParseException",
    "IllegalArgumentException",
    "NumberFormatException",
    "ArithmeticException",
    "ArrayIndexOutOfBoundsException",
    "DateTimeException",
    "SparkRuntimeException",
    "PythonException",
    "UnsupportedOperationException",
    "StreamingQueryException",
)


def _name_captured_errors(module: str) -> None:
    """Give the JVM-side error classes the module their tracebacks show (pickle finds them
    there too: the module is an alias of ``kaspar.errors`` while activated)."""
    errors = importlib.import_module("kaspar.errors")
    for name in _CAPTURED:
        getattr(errors, name).__module__ = module


def activate() -> None:
    """Make ``import pyspark...`` load kaspar's implementation (idempotent)."""
    root = types.ModuleType("pyspark")
    root.__doc__ = "kaspar's stand-in for pyspark (see kaspar.activate)."
    root.__path__ = []
    root.__version__ = "4.0.0"  # type: ignore[attr-defined]
    sys.modules["pyspark"] = root
    for alias, target in _ALIASES.items():
        module = importlib.import_module(target)
        sys.modules[alias] = module
    root.sql = sys.modules["pyspark.sql"]  # type: ignore[attr-defined]
    root.errors = sys.modules["pyspark.errors"]  # type: ignore[attr-defined]
    root.StorageLevel = sys.modules["pyspark.storagelevel"].StorageLevel  # type: ignore[attr-defined]
    sys.modules[_CAPTURED_MODULE] = sys.modules["pyspark.errors"]
    _name_captured_errors(_CAPTURED_MODULE)


def deactivate() -> None:
    """Remove the aliases (a later ``import pyspark`` finds the real package, if installed)."""
    for alias in ("pyspark", _CAPTURED_MODULE, *_ALIASES):
        sys.modules.pop(alias, None)
    _name_captured_errors("kaspar.errors")


def activated() -> bool:
    """True while ``import pyspark.sql`` gives kaspar's module."""
    module = sys.modules.get("pyspark.sql")
    return module is not None and module.__name__ == "kaspar.sql"


class StandInRepr:
    """Objects PySpark shows by their class (``<pyspark.sql.conf.RuntimeConfig object at
    ...>``) name the PySpark class they stand in for while kaspar is activated."""

    _pyspark_module = "pyspark"

    def __repr__(self) -> str:
        module = self._pyspark_module if activated() else type(self).__module__
        return f"<{module}.{type(self).__qualname__} object at {id(self):#x}>"
