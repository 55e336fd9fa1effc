"""The cast matrix: representative values of every atomic type cast to every atomic type.

One engine-agnostic runner (``outcomes``) computes, for a source type and a mode, the outcome of
every (value, target type) cell on a PySpark-compatible session, so kaspar and PySpark run the
same code. A cell's outcome is a string: ``"v:<repr>"`` for a value, ``"e:<condition>"`` for an
error (the error class PySpark reports), ``"x:<condition>"`` for an analysis error of the whole
(source, target) pair (the cast is not allowed in that mode).

Modes: ``legacy`` (``cast`` with ``spark.sql.ansi.enabled=false``), ``ansi`` (``cast`` with
ANSI on), ``try`` (``try_cast`` with ANSI on) and ``try_legacy`` (``try_cast``, ANSI off).

Speed: one query per (source, target, mode) for values; in ANSI mode a query that fails is run
again value by value to find which cells fail and how. On PySpark the ``try`` results are reused
for ``ansi`` (Spark's ANSI cast is its ``try_cast`` except where ``try_cast`` gives null).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

D = decimal.Decimal
_TS = dt.datetime

TYPES = (
    "tinyint",
    "smallint",
    "int",
    "bigint",
    "float",
    "double",
    "decimal(10,2)",
    "string",
    "boolean",
    "date",
    "timestamp",
    "timestamp_ntz",
    "binary",
)
MODES = ("legacy", "ansi", "try", "try_legacy")

_STRINGS = (
    *("0", "1", "-1", " 42 ", "\t7\n", "+5", "3.7", "-3.7", "3.", ".5", "1e3", "1.5e2", "1.5d"),
    *("abc", "", "1,000", "0x10", "2147483648", "9223372036854775808", "-129", "300"),
    *("NaN", "Infinity", "-inf", "1e400", "12345678.905", "1e10"),
    *("t", "true", "YES", "y", "n", "no", "false", "F", "off"),
    *("2024-01-05", "2024-1-5", " 2024-01-05 ", "2024", "2024-01", "2024-02-30", "2024-13-01"),
    *("2024-01-05 10:00:00", "2024-01-05T10:00:00Z", "2024-01-05 10:00:00.123456"),
    *("2024-01-05 10:00:00+01:00", "2024-01-05 10:00", "2024-01-05 25:00:00", "2024-01-05T"),
    *("2024-01-05 10:00:00.1234567", "2024-01-05 1:2:3", "2024-01-05 10:00:00 UTC"),
    *("2024-01-05X", "é", None),
)
VALUES: dict[str, tuple[Any, ...]] = {
    "tinyint": (0, 1, -1, 127, -128, None),
    "smallint": (0, -1, 300, 32767, -32768, None),
    "int": (0, 1, -1, 128, 70000, 2147483647, -2147483648, 1704448800, None),
    "bigint": (0, -1, 3000000000, 1704448800123, -1704448800, 2**63 - 1, -(2**63), None),
    "float": (0.0, 3.7, -3.7, 2.5, 1e10, 1e-5, 16777217.0, math.nan, math.inf, -math.inf, None),
    "double": (
        *(0.0, -0.0, 0.1, 3.7, -3.7, 2.5, -0.5, 1e-3, 1e-5, 1e7, 9999999.0, 123456789.0, 1e10),
        *(1704448800.123, 1.5e300, 2147483647.9, -2147483648.9, math.nan, math.inf, -math.inf),
        None,
    ),
    "decimal(10,2)": (
        *(D("0.00"), D("3.70"), D("-3.70"), D("2.50"), D("-0.50"), D("99999999.99")),
        *(D("-99999999.99"), D("70000.00"), D("12345678.91"), None),
    ),
    "string": _STRINGS,
    "boolean": (True, False, None),
    "date": (dt.date(2024, 1, 5), dt.date(1970, 1, 1), dt.date(1969, 12, 31), None),
    "timestamp": (
        *(_TS(2024, 1, 5, 10), _TS(2024, 1, 5, 10, 0, 0, 123000), _TS(1970, 1, 1)),
        *(_TS(1969, 12, 31, 23, 59, 59, 500000), _TS(2024, 1, 5, 10, 0, 0, 123456), None),
    ),
    "timestamp_ntz": (
        *(_TS(2024, 1, 5, 10), _TS(2024, 1, 5, 10, 0, 0, 123000), _TS(1970, 1, 1)),
        *(_TS(1969, 12, 31, 23, 59, 59, 500000), None),
    ),
    "binary": (b"abc", b"", b"42", b"\x00\x01", "é".encode(), None),
}


def encode(value: Any) -> str:
    """A cell's value as comparable text (exact: floats by ``repr``, bytes as bytes)."""
    if isinstance(value, bytearray):
        value = bytes(value)
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
    return "v:" + repr(value)


def condition(e: Exception) -> str:
    """The error class of an exception raised by either engine."""
    if hasattr(e, "getCondition"):
        found = e.getCondition()
        if found:
            return str(found)
    if isinstance(e, OverflowError):  # a datetime out of Python's range (pyarrow's wording)
        return "ValueError"
    return type(e).__name__


def _frame(spark: Any, source: str, values: tuple[Any, ...]) -> Any:
    """The source values in column ``v`` (``i``: position). On PySpark a ``VALUES`` relation,
    which runs on the driver (a DataFrame of Python rows runs a Python worker per query)."""
    if type(spark).__module__.startswith("pyspark"):
        rows = ", ".join(f"({i}, {_literal(v, source)})" for i, v in enumerate(values))
        return spark.sql(f"SELECT * FROM VALUES {rows} AS t(i, v)")
    return spark.createDataFrame(list(enumerate(values)), f"i int, v {source}")


def _literal(value: Any, source: str) -> str:
    """Spark SQL for ``value`` as a ``source`` value (exact: numbers and text go as text)."""
    if value is None:
        return f"CAST(NULL AS {source})"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    if isinstance(value, str):
        return f"CAST(X'{value.encode().hex()}' AS STRING)"
    if source == "float":
        return f"CAST(CAST('{value!r}' AS DOUBLE) AS FLOAT)"
    if isinstance(value, dt.datetime):
        return f"CAST('{value.isoformat(sep=' ')}' AS {source})"
    return f"CAST('{value}' AS {source})"


def _cast(F: Any, target: str, mode: str) -> Any:
    col = F.col("v")
    return col.try_cast(target) if mode.startswith("try") else col.cast(target)


def _allowed(frame: Any, F: Any, mode: str) -> dict[str, str]:
    """The analysis error of each (source, target) pair the mode refuses (eager on both)."""
    refused = {}
    for target in TYPES:
        try:
            frame.select(_cast(F, target, mode)).schema  # noqa: B018
        except Exception as e:
            refused[target] = "x:" + condition(e)
    return refused


def _one(frame: Any, F: Any, target: str, mode: str, index: int) -> str:
    try:
        rows = frame.where(F.col("i") == index).select(_cast(F, target, mode)).collect()
        return encode(rows[0][0])
    except Exception as e:
        return "e:" + condition(e)


def outcomes(spark: Any, F: Any, source: str, mode: str, tried: Any = None) -> dict:
    """``{target: [cell outcome per value]}`` for one source type in one mode.

    All allowed targets are cast in one query; when it fails (ANSI mode) each target is run
    alone, and a target that fails is run value by value. ``tried``: for ``ansi`` on PySpark,
    the ``try`` outcomes of the same source; only its null cells are run (value by value)."""
    spark.conf.set("spark.sql.ansi.enabled", str(mode in ("ansi", "try")).lower())
    values = VALUES[source]
    frame = _frame(spark, source, values)
    result = {t: [x] * len(values) for t, x in _allowed(frame, F, mode).items()}
    targets = [t for t in TYPES if t not in result]
    if tried is not None:
        for target in targets:
            result[target] = [
                _one(frame, F, target, mode, i) if cell == "v:None" and v is not None else cell
                for i, (v, cell) in enumerate(zip(values, tried[target], strict=True))
            ]
        return result
    try:
        result.update(_columns(frame, F, targets, mode))
    except Exception:
        for target in targets:
            try:
                result.update(_columns(frame, F, [target], mode))
            except Exception:
                result[target] = [_one(frame, F, target, mode, i) for i in range(len(values))]
    return result


def _columns(frame: Any, F: Any, targets: list[str], mode: str) -> dict[str, list[str]]:
    exprs = [_cast(F, t, mode).alias(f"c{n}") for n, t in enumerate(targets)]
    rows = frame.select(*exprs).collect()
    return {t: [encode(r[n]) for r in rows] for n, t in enumerate(targets)}


def schemas(spark: Any, F: Any, source: str) -> dict[str, list[str]]:
    """The result type of each cast (legacy mode) or its analysis error."""
    spark.conf.set("spark.sql.ansi.enabled", "false")
    frame = _frame(spark, source, VALUES[source][:1])
    out = {}
    for target in TYPES:
        try:
            out[target] = [frame.select(F.col("v").cast(target)).schema[0].dataType.simpleString()]
        except Exception as e:
            out[target] = ["x:" + condition(e)]
    return out


def run_matrix(spark: Any, F: Any, pyspark: bool) -> dict[str, Any]:
    """Every cell's outcome: ``{"<mode>|<source>": {target: [outcomes]}}`` plus schemas."""
    matrix: dict[str, Any] = {}
    try:
        for source in TYPES:
            tried = outcomes(spark, F, source, "try")
            matrix[f"try|{source}"] = tried
            matrix[f"ansi|{source}"] = outcomes(
                spark, F, source, "ansi", tried=tried if pyspark else None
            )
            matrix[f"legacy|{source}"] = outcomes(spark, F, source, "legacy")
            matrix[f"try_legacy|{source}"] = outcomes(spark, F, source, "try_legacy")
            matrix[f"schema|{source}"] = schemas(spark, F, source)
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")
    return matrix


def cells(matrix: dict[str, Any]) -> dict[str, str]:
    """Flatten to ``{"mode|source|target|value": outcome}``."""
    flat = {}
    for key, by_target in matrix.items():
        mode, source = key.split("|")
        values = VALUES[source] if mode != "schema" else ("",)
        for target, outs in by_target.items():
            for value, out in zip(values, outs, strict=True):
                flat[f"{mode}|{source}|{target}|{value!r}"] = out
    return flat
