"""Running one case on both engines and comparing results."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import io
import math
import re
from typing import Any

from tests.conformance.pyspark.registry import ParityCase


def normalize(value: Any) -> Any:
    """Comparable form of a collected value (Rows → tuples, floats rounded)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return round(value, 9)
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    if isinstance(value, dict):
        return tuple(sorted((normalize(k), normalize(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(normalize(v) for v in value)
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if hasattr(value, "toPython") and hasattr(value, "metadata"):  # a VariantVal
        return ("VariantVal", normalize(value.toPython()))
    return value


def _schema(df: Any) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in df.schema.fields]


def run(case: ParityCase, spark: Any, F: Any, T: Any) -> Any:
    """The comparable outcome of ``case`` on one engine."""
    if case.kind == "error":
        try:
            result = case.fn(spark, F, T)
            if hasattr(result, "collect"):
                result.collect()
        except Exception as e:
            condition = e.getCondition() if hasattr(e, "getCondition") else None
            java = re.search(r"org\.apache\.spark\.SparkException: \[([A-Z_.]+)\]", str(e))
            if java:  # PySpark leaves a SparkException as a Py4JJavaError
                return ("error", "SparkException", java[1])
            return ("error", _error_family(e), condition)
        return ("no error",)
    if case.kind == "show":
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            case.fn(spark, F, T)
        return buffer.getvalue()
    result = case.fn(spark, F, T)
    if case.kind == "value":
        return normalize(result)
    rows = [normalize(tuple(r)) for r in result.collect()]
    if not case.ordered:
        rows = sorted(rows, key=repr)
    return {"schema": _schema(result), "rows": rows}


def _error_family(e: Exception) -> str:
    """The PySpark base class name (PySpark raises ``captured.X``, kaspar ``kaspar.errors.X``)."""
    names = [c.__name__ for c in type(e).__mro__]
    for name in (
        "NumberFormatException",
        "ParseException",
        "AnalysisException",
        "ArithmeticException",
        "IllegalArgumentException",
        "PySparkTypeError",
        "PySparkValueError",
    ):
        if name in names:
            return name
    return type(e).__name__
