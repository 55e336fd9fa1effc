"""PySpark's exception classes, with the same names, error classes and message layout.

``str(error)`` is ``[ERROR_CLASS] message SQLSTATE: xxxxx`` as in Spark; ``getCondition()`` (and
the deprecated ``getErrorClass()``) return the error class.
"""

from __future__ import annotations

from collections.abc import Iterable

_SQLSTATES = {
    "UNRESOLVED_COLUMN": "42703",
    "FAILED_FUNCTION_CALL": "38000",
    "AMBIGUOUS_REFERENCE": "42704",
    "PARSE_SYNTAX_ERROR": "42601",
    "TABLE_OR_VIEW_NOT_FOUND": "42P01",
    "CAST_INVALID_INPUT": "22018",
    "DIVIDE_BY_ZERO": "22012",
    "ARITHMETIC_OVERFLOW": "22003",
    "PATH_NOT_FOUND": "42K03",
    "NUM_COLUMNS_MISMATCH": "42826",
    "UNRESOLVED_ROUTINE": "42883",
    "DATATYPE_MISMATCH": "42K09",
    "ZIP_PLANS_NOT_MERGEABLE": "42K03",
    "NEAREST_BY_JOIN": "42604",
    "SCHEMA_NOT_FOUND": "42704",
    "SCHEMA_NOT_EMPTY": "2BP01",
    "SCHEMA_ALREADY_EXISTS": "42P06",
    "TEMP_TABLE_OR_VIEW_ALREADY_EXISTS": "42P07",
    "TABLE_OR_VIEW_ALREADY_EXISTS": "42P07",
    "UNBOUND_SQL_PARAMETER": "42P02",
    "ROUTINE_NOT_FOUND": "42883",
    "ROUTINE_ALREADY_EXISTS": "42723",
    "VIEW_NOT_FOUND": "42P01",
    "HLL_INVALID_LG_K": "22546",
    "HLL_INVALID_INPUT_SKETCH_BUFFER": "22546",
    "HLL_UNION_DIFFERENT_LG_K": "22000",
    "SKETCH_INVALID_LG_NOM_ENTRIES": "22003",
    "THETA_INVALID_INPUT_SKETCH_BUFFER": "22000",
    "KLL_INVALID_INPUT_SKETCH_BUFFER": "22000",
    "KLL_SKETCH_INVALID_QUANTILE_RANGE": "22003",
    "TUPLE_INVALID_INPUT_SKETCH_BUFFER": "22000",
}


# Error classes Spark shows without the ``[CLASS]`` prefix: legacy errors.
_UNPREFIXED = ("_LEGACY_ERROR_",)


class PySparkException(Exception):
    """Base of every kaspar/PySpark error."""

    def __init__(
        self,
        message: str | None = None,
        errorClass: str | None = None,
        messageParameters: dict[str, str] | None = None,
    ) -> None:
        self._message = message or ""
        self._error_class = errorClass
        self._params = dict(messageParameters or {})
        super().__init__(self._render())

    def _render(self) -> str:
        if not self._error_class or self._error_class.startswith(_UNPREFIXED):
            return self._message  # Spark shows these without their class
        state = self.getSqlState()
        suffix = f" SQLSTATE: {state}" if state and "SQLSTATE: " not in self._message else ""
        tag = f"[{self._error_class}] "
        body = self._message.removeprefix(tag)  # a message written with its class already
        return f"{tag}{body}{suffix}"

    def getCondition(self) -> str | None:
        return self._error_class

    def getErrorClass(self) -> str | None:
        return self._error_class

    @property
    def errorClass(self) -> str | None:
        return self._error_class

    def getMessageParameters(self) -> dict[str, str]:
        return dict(self._params)

    def getSqlState(self) -> str | None:
        if not self._error_class:
            return None
        return _SQLSTATES.get(self._error_class.split(".")[0])

    def getMessage(self) -> str:
        return str(self)


class AnalysisException(PySparkException):
    """The query cannot be analysed: unknown column, table, function, wrong types."""


class ParseException(AnalysisException):
    """A SQL text or DDL string does not parse."""


class TempTableAlreadyExistsException(AnalysisException):
    """``createTempView`` on a name that exists."""


class IllegalArgumentException(PySparkException):
    """An argument or option has an invalid value."""


class NumberFormatException(IllegalArgumentException):
    """A string could not be cast to a number (ANSI mode)."""


class ArithmeticException(PySparkException):
    """Division by zero or overflow (ANSI mode)."""


class ArrayIndexOutOfBoundsException(PySparkException):
    """An index or position outside its array or bitmap (``INVALID_BITMAP_POSITION``)."""


class DateTimeException(PySparkException):
    """An invalid date or timestamp (ANSI mode)."""


class SparkException(PySparkException):
    """Spark's ``org.apache.spark.SparkException`` (a failed read in FAILFAST mode, ...)."""


class SparkRuntimeException(PySparkException):
    """An error while running the query."""


class PythonException(PySparkException):
    """A Python UDF raised an exception (PySpark's ``PythonException``)."""


class UnsupportedOperationException(PySparkException):
    """Spark supports this operation but kaspar does not yet, or it is not allowed."""


class PySparkTypeError(PySparkException, TypeError):
    """An argument of the wrong Python type."""


class PySparkRuntimeError(PySparkException, RuntimeError):
    """PySpark's runtime error (``pyspark.errors.PySparkRuntimeError``)."""


class PySparkValueError(PySparkException, ValueError):
    """An argument with a wrong value."""


class PySparkNotImplementedError(PySparkException, NotImplementedError):
    """Not implemented."""


class PySparkAssertionError(PySparkException, AssertionError):
    """An API used out of order (``Observation.get`` before ``observe``, ...)."""


class PySparkAttributeError(PySparkException, AttributeError):
    """Unknown attribute (for example a missing DataFrame column)."""


def unresolved_column(name: str, candidates: Iterable[str]) -> AnalysisException:
    """Spark's UNRESOLVED_COLUMN error, suggesting the closest names first."""
    names = list(dict.fromkeys(candidates))
    ranked = sorted(names, key=lambda c: (_levenshtein(name.lower(), c.lower()), c))
    quoted = ", ".join(f"`{c}`" for c in ranked[:5])
    base = f"A column, variable, or function parameter with name `{name}` cannot be resolved."
    if not names:
        return AnalysisException(base, "UNRESOLVED_COLUMN.WITHOUT_SUGGESTION", {"objectName": name})
    return AnalysisException(
        f"{base} Did you mean one of the following? [{quoted}].",
        "UNRESOLVED_COLUMN.WITH_SUGGESTION",
        {"objectName": f"`{name}`", "proposal": quoted},
    )


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


__all__ = [
    "AnalysisException",
    "ArithmeticException",
    "ArrayIndexOutOfBoundsException",
    "DateTimeException",
    "IllegalArgumentException",
    "NumberFormatException",
    "ParseException",
    "PySparkAssertionError",
    "PySparkAttributeError",
    "PySparkException",
    "PySparkNotImplementedError",
    "PySparkTypeError",
    "PySparkValueError",
    "PythonException",
    "SparkException",
    "SparkRuntimeException",
    "TempTableAlreadyExistsException",
    "UnsupportedOperationException",
    "unresolved_column",
]


class StreamingQueryException(PySparkException):
    """A streaming query stopped because a batch failed (``query.exception()``)."""
