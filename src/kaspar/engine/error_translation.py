"""DuckDB errors → PySpark exceptions, so no raw DuckDB error reaches a user."""

from __future__ import annotations

import re

import duckdb

from kaspar import errors as E
from kaspar.engine.deferred_errors import recover

# Error classes that kaspar's own ``error(...)`` calls raise, as SparkRuntimeException.
_RUNTIME = re.compile(
    r"\[(USER_RAISED_EXCEPTION|VECTOR_DIMENSION_MISMATCH|INVALID_VARIANT_CAST"
    r"|COUNTER_DIFF_NEGATIVE_COUNTER_VALUE|COUNTER_DIFF_START_TIME_DECREASED)\] "
)
# ... and as SparkException: a file read in FAILFAST mode that met a malformed record, and a
# from_avro / from_protobuf value that does not decode (raised inside its Arrow function).
_SPARK = re.compile(
    r"\[(FAILED_READ_FILE\.NO_HINT|MALFORMED_RECORD_IN_PARSING\.WITHOUT_SUGGESTION"
    r"|PARTITION_TRANSFORM_EXPRESSION_NOT_IN_PARTITIONED_BY)\] "
)
_CAST_RAISED = re.compile(
    r"\[(CAST_INVALID_INPUT|CAST_OVERFLOW|NUMERIC_VALUE_OUT_OF_RANGE\.WITH_SUGGESTION"
    r"|NUMERIC_OUT_OF_SUPPORTED_RANGE)\] "
)
_ILLEGAL_ARGUMENT = re.compile(
    r"\[(INVALID_FORMAT\.MISMATCH_INPUT|WKB_PARSE_ERROR|ST_INVALID_SRID_VALUE"
    r"|ST_INVALID_ENDIANNESS_VALUE|INVALID_URL|INVALID_PARAMETER_VALUE\.TIME_UNIT"
    r"|INVALID_INTERVAL_FORMAT\.[A-Z_]+)\] "
)
# ... and as SparkRuntimeException too: the AES functions' errors (kaspar.engine.aes).
_AES = re.compile(r"\[((?:INVALID_PARAMETER_VALUE|UNSUPPORTED_FEATURE)\.AES_[A-Z_]+)\] ")
# ... and as DateTimeException / ArithmeticException: TIME and interval values out of range.
_DATETIME = re.compile(
    r"\[(DATETIME_FIELD_OUT_OF_BOUNDS\.WITHOUT_SUGGESTION|CANNOT_PARSE_TIME(?:STAMP)?)\] "
)
_ARITHMETIC = re.compile(
    r"\[(DATETIME_OVERFLOW|INTERVAL_ARITHMETIC_OVERFLOW\.WITH(?:OUT)?_SUGGESTION"
    r"|INTERVAL_DIVIDED_BY_ZERO)\] "
)
_DUPLICATED_MAP_KEY = (
    "Duplicate map key was found, please check the input data. If you "
    'want to remove the duplicated keys, you can set "spark.sql.mapKeyDedupPolicy" to '
    '"LAST_WIN" so that the key inserted at last takes precedence.'
)
_CAST = re.compile(r"Could not convert string '(?P<value>[^']*)' to (?P<type>\w+)")
_LINE_TOO_LONG = re.compile(r"Maximum line size of (\d+) bytes exceeded")
_ORIGINAL_LINE = re.compile(r"(Original Line: )([^\n]{200})[^\n]*")


def translate_error(error: duckdb.Error) -> E.PySparkException:
    """The PySpark exception a DuckDB error corresponds to (Spark error class and wording)."""
    deferred = recover(str(error))  # raised by a lazy source inside the scan: the original
    if isinstance(deferred, E.PySparkException):
        return deferred
    return _translate(error)


def _translate(error: duckdb.Error) -> E.PySparkException:
    message = str(error).split("\n\nLINE")[0].strip()
    message = _ORIGINAL_LINE.sub(r"\1\2...", message)  # a CSV error quotes the whole line
    python = "Python worker" in message or "Python exception" in message
    if python and not _SPARK.search(message) and not _AES.search(message):
        return E.PythonException(message, "PYTHON_EXCEPTION")
    raised = _raised(message)
    if raised is not None:
        return raised
    if isinstance(error, duckdb.ConversionException | duckdb.InvalidInputException):
        cast_error = _cast_error(error, message)
        if cast_error is not None:
            return cast_error
    if isinstance(error, duckdb.OutOfRangeException) or "Overflow" in message:
        return E.ArithmeticException(message, "ARITHMETIC_OVERFLOW")
    if isinstance(error, duckdb.ParserException):
        return E.ParseException(message, "PARSE_SYNTAX_ERROR")
    if isinstance(error, duckdb.CatalogException):
        if "Table" in message and "does not exist" in message:
            return E.AnalysisException(message, "TABLE_OR_VIEW_NOT_FOUND")
        return E.AnalysisException(message, "UNRESOLVED_ROUTINE")
    if isinstance(error, duckdb.BinderException):
        return E.AnalysisException(message, "DATATYPE_MISMATCH")
    if isinstance(error, duckdb.IOException) or "No files found" in message:
        return E.AnalysisException(message, "PATH_NOT_FOUND")
    if isinstance(error, duckdb.InvalidInputException):
        return E.IllegalArgumentException(message)
    return E.SparkRuntimeException(message)


def _cast_error(error: duckdb.Error, message: str) -> E.PySparkException | None:
    if "Map keys must be unique" in message:  # DuckDB's MAP met a key twice
        return E.SparkRuntimeException(_DUPLICATED_MAP_KEY, "DUPLICATED_MAP_KEY")
    if isinstance(error, duckdb.ConversionException) and "out of range" in message:
        return E.ArithmeticException(message, "CAST_OVERFLOW")
    match = _CAST.search(message)
    if match:
        return E.NumberFormatException(
            f"The value '{match['value']}' of the type \"STRING\" cannot be cast to "
            f'"{match["type"]}" because it is malformed.',
            "CAST_INVALID_INPUT",
        )
    if isinstance(error, duckdb.ConversionException):
        return E.SparkRuntimeException(message, "CAST_INVALID_INPUT")
    return None


def _raised(message: str) -> E.PySparkException | None:
    """Errors kaspar raises on purpose with ``error(...)``, a file's line over the read's
    limit, and division by zero."""
    too_long = _LINE_TOO_LONG.search(message)
    if too_long:
        return E.SparkException(
            f"Encountered error while reading a file: a line is longer than {too_long[1]} bytes, "
            'the read\'s line limit. Raise it with .option("maxCharsPerColumn", <characters>).',
            "FAILED_READ_FILE.NO_HINT",
        )
    cast = _CAST_RAISED.search(message)
    if cast:
        return _cast_raised(cast[1], message[cast.end() :])
    failed = _SPARK.search(message)
    if failed:
        return E.SparkException(message[failed.end() :], failed[1])
    aes = _AES.search(message)
    if aes:
        return E.SparkRuntimeException(message[aes.end() :].split("\n", 1)[0], aes[1])
    datetime = _DATETIME.search(message)
    if datetime:
        return E.DateTimeException(message[datetime.end() :], datetime[1])
    arithmetic = _ARITHMETIC.search(message)
    if arithmetic:
        return E.ArithmeticException(message[arithmetic.end() :], arithmetic[1])
    illegal = _ILLEGAL_ARGUMENT.search(message)
    if illegal:
        return E.IllegalArgumentException(message[illegal.end() :], illegal[1])
    runtime = _RUNTIME.search(message)
    if runtime:
        return E.SparkRuntimeException(message[runtime.end() :], runtime[1])
    if "Division by zero" in message or "DIVIDE_BY_ZERO" in message:
        return E.ArithmeticException(
            "Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL "
            "instead.",
            "DIVIDE_BY_ZERO",
        )
    return None


def _cast_raised(error_class: str, message: str) -> E.PySparkException:
    """A failed ANSI cast (``cast_spark``), as the exception PySpark raises for it."""
    if error_class != "CAST_INVALID_INPUT":
        return E.ArithmeticException(message, error_class)
    if re.search(r'cast to "(DATE|TIMESTAMP|TIMESTAMP_NTZ|TIME\(\d\))"', message):
        return E.DateTimeException(message, error_class)
    if 'cast to "BOOLEAN"' in message:
        return E.SparkRuntimeException(message, error_class)
    return E.NumberFormatException(message, error_class)
