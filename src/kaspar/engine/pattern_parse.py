"""Strings parsed by a Spark datetime pattern that varies by row (``to_timestamp_ltz(s, fmt)``
with ``fmt`` a column): DuckDB's ``strptime`` needs one constant format, so this Arrow function
groups the rows by their pattern and parses each group in bulk with Arrow's ``strptime``.

* the Spark pattern becomes a ``strftime`` format (``datetime_patterns``); Arrow's directives
  take one or two digits where DuckDB's ``%-m`` asks for that, so the ``-`` flags go;
* a second fraction (``SSS``, one to nine ``S``) is taken off the end of the text first: it must
  end the pattern after a literal separator (``ss.SSS``); the digits (one up to the run's
  length, as Spark reads them) are added as microseconds;
* a pattern that does not translate (a letter Spark does not know, or one Arrow cannot parse:
  zones, week fields) fails as the caller asks: NULL (``try_to_time``), or Spark's
  ``INVALID_DATETIME_PATTERN`` error carried out of DuckDB by ``deferred_errors``.

The result is a wall-clock ``TIMESTAMP`` (NULL where the text does not parse); the SQL around it
casts it to a zoned timestamp (in the session time zone), a time or epoch seconds.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine import types as T
from kaspar.engine.compile.datetime_patterns import spark_to_strftime
from kaspar.engine.deferred_errors import defer
from kaspar.engine.udf import PythonUDF, register
from kaspar.errors import (
    IllegalArgumentException,
    PySparkNotImplementedError,
    SparkRuntimeException,
)

# What a pattern that does not translate does: give NULL, or raise one of Spark's two errors.
ON_BAD_PATTERN_NULL = "null"
ON_BAD_PATTERN_ILLEGAL = "illegal"  # to_timestamp_*: IllegalArgumentException
ON_BAD_PATTERN_RUNTIME = "runtime"  # to_time: SparkRuntimeException
_FRACTION = re.compile(r"%([gfn])$")
_UNSUPPORTED = re.compile(r"%[zZVG]")
_FRACTION_DIGITS = {"g": 3, "f": 6, "n": 9}


class _Format:
    """An Arrow ``strptime`` format, and the fraction that ends the text (if any)."""

    def __init__(self, pattern: str) -> None:
        fmt = spark_to_strftime(pattern).replace("%-", "%")
        if _UNSUPPORTED.search(fmt):
            raise PySparkNotImplementedError(
                f"[NOT_IMPLEMENTED] a datetime pattern with a zone or week field ({pattern!r}) "
                "is supported only as a literal, not in a column.",
                "NOT_IMPLEMENTED",
            )
        found = _FRACTION.search(fmt)
        self.fraction: re.Pattern[str] | None = None
        if found is not None:
            head = fmt[: found.start()]
            if not head or head[-1].isalnum() or head.endswith("%"):
                raise ValueError(f"a fraction must follow a separator: {pattern!r}")
            separator, head = head[-1], head[:-1]
            digits = _FRACTION_DIGITS[found[1]]
            self.fraction = re.compile(
                rf"^(?P<head>.*){re.escape(separator)}(?P<digits>\d{{1,{digits}}})$"
            )
            fmt = head
        if re.search(r"%[gfn]", fmt.replace("%%", "")):
            raise ValueError(f"a fraction must end the pattern: {pattern!r}")
        self.format = fmt

    def parse(self, text: pa.Array) -> pa.Array:
        """Microseconds of each wall-clock timestamp (NULL where the text does not parse)."""
        if self.fraction is None:
            parsed = pc.strptime(text, format=self.format, unit="us", error_is_null=True)
            return pc.cast(parsed, pa.int64())
        parts = pc.extract_regex(text, pattern=self.fraction.pattern)
        head, digits = pc.struct_field(parts, [0]), pc.struct_field(parts, [1])
        parsed = pc.strptime(head, format=self.format, unit="us", error_is_null=True)
        padded = pc.utf8_rpad(pc.utf8_slice_codeunits(digits, 0, 6), width=6, padding="0")
        micros = pc.cast(padded, pa.int64())
        return pc.add(pc.cast(parsed, pa.int64()), micros)


def _bad_pattern(pattern: str, on_bad: str, reason: Exception) -> Exception | None:
    if isinstance(reason, PySparkNotImplementedError):
        return reason
    if on_bad == ON_BAD_PATTERN_ILLEGAL:
        return IllegalArgumentException(
            f"Unrecognized datetime pattern: {pattern}. {reason}",
            "INVALID_DATETIME_PATTERN.ILLEGAL_CHARACTER",
        )
    if on_bad == ON_BAD_PATTERN_RUNTIME:
        return SparkRuntimeException(
            f"Unrecognized datetime pattern: '{pattern}'. You can form a valid datetime pattern "
            "with the guide from "
            "'https://spark.apache.org/docs/latest/sql-ref-datetime-pattern.html'.",
            "INVALID_DATETIME_PATTERN.WITH_SUGGESTION",
        )
    return None


def parse_by_pattern(text: pa.Array, patterns: pa.Array, on_bad: pa.Array) -> pa.Array:
    """Each text parsed by its row's pattern, one Arrow ``strptime`` per distinct pattern."""
    mode = on_bad[0].as_py() if len(on_bad) else ON_BAD_PATTERN_NULL
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    encoded = pc.dictionary_encode(patterns).combine_chunks()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    present = encoded.is_valid().to_numpy(zero_copy_only=False)
    micros = np.zeros(len(text), dtype=np.int64)
    valid = np.zeros(len(text), dtype=bool)
    for code, pattern in enumerate(encoded.dictionary.to_pylist()):
        rows = np.flatnonzero(present & (indices == code))
        if rows.size == 0:
            continue
        try:
            fmt = _Format(pattern)
        except (ValueError, PySparkNotImplementedError) as e:
            error = _bad_pattern(pattern, mode, e)
            if error is not None:
                raise defer(error) from None
            continue
        parsed = fmt.parse(text.take(pa.array(rows)))
        micros[rows] = pc.fill_null(parsed, 0).to_numpy(zero_copy_only=False)
        valid[rows] = parsed.is_valid().to_numpy(zero_copy_only=False)
    return pa.array(micros, mask=~valid).cast(pa.timestamp("us"))


PARSE_BY_PATTERN = register(
    PythonUDF(parse_by_pattern, T.TimestampNTZType(), name="parse_by_pattern", arrow=True)
)
