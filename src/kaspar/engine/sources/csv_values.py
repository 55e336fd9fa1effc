"""CSV field text → Spark values, as DuckDB SQL over a VARCHAR expression (Spark's
``UnivocityParser.makeConverter``).

``convert(value, dtype, options)`` is an expression that is NULL where Spark's converter fails
(the record is then malformed) and the converted value otherwise. Rules, per type:

* integral: Java's ``parseInt``/``parseLong``: a sign and digits only (no blanks, fraction,
  exponent or ``_``), NULL when out of range.
* double/float: ``nanValue``/``positiveInf``/``negativeInf``, then Java's ``parseDouble``
  (a trailing ``d``/``f`` allowed).
* boolean: ``true``/``false`` in any case.
* date/timestamp: ``dateFormat``/``timestampFormat`` when given (Spark's pattern letters), else
  ISO text with Spark's lenient forms (``2024``, ``2024-1``, ``2024-01-05T...`` for a date).
* decimal: ``BigDecimal``'s grammar (no blanks), rounded half-up to the scale, NULL when it
  does not fit the precision.

The special doubles are ``nanValue`` / ``positiveInf`` / ``negativeInf`` and Java's ``NaN`` /
``Infinity``; DuckDB's own ``inf``/``nan`` spellings only pass through those options.
"""

from __future__ import annotations

from collections.abc import Callable

from kaspar.engine import types as T
from kaspar.engine.compile.datetime_patterns import spark_to_strftime
from kaspar.engine.sources.csv_options import CsvOptions
from kaspar.engine.sources.timestamp_text import text_to_timestamptz
from kaspar.errors import AnalysisException

_INTEGRAL: dict[type[T.DataType], str] = {
    T.ByteType: "TINYINT",
    T.ShortType: "SMALLINT",
    T.IntegerType: "INTEGER",
    T.LongType: "BIGINT",
}


# Java's Double.parseDouble (blanks around allowed, a d/f suffix) and BigDecimal (no blanks)
_JAVA_DOUBLE = r"\s*[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?)\s*"
_JAVA_DECIMAL = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def name(text: str) -> str:
    """A quoted SQL identifier."""
    return '"' + text.replace('"', '""') + '"'


def _integral(v: str, dtype: T.DataType, o: CsvOptions) -> str:
    target = _INTEGRAL[type(dtype)]
    # Java's parseInt/parseLong: an optional sign and digits only (no blanks, exponent or "_")
    return f"CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+') THEN TRY_CAST({v} AS {target}) END"


def _fractional(v: str, dtype: T.DataType, o: CsvOptions) -> str:
    target = "FLOAT" if isinstance(dtype, T.FloatType) else "DOUBLE"
    number = f"TRY_CAST(regexp_replace({v}, '[dDfF]\\s*$', '') AS {target})"
    return (
        f"CASE {v} WHEN {lit(o.nan_value)} THEN 'NaN'::{target} "
        f"WHEN {lit(o.positive_inf)} THEN 'Infinity'::{target} "
        f"WHEN {lit(o.negative_inf)} THEN '-Infinity'::{target} "
        f"ELSE CASE WHEN regexp_full_match({v}, {lit(_JAVA_DOUBLE)}) THEN {number} END END"
    )


def _boolean(v: str, dtype: T.DataType, o: CsvOptions) -> str:
    return f"CASE lower({v}) WHEN 'true' THEN true WHEN 'false' THEN false END"


def _date(v: str, dtype: T.DataType, o: CsvOptions) -> str:
    if o.date_format is not None:
        return f"CAST(try_strptime({v}, {lit(spark_to_strftime(o.date_format))}) AS DATE)"
    lenient = (
        f"CASE WHEN regexp_full_match({v}, '\\s*[0-9]{{4}}(-[0-9]{{1,2}})?\\s*') "
        f"THEN trim({v}) || CASE WHEN contains({v}, '-') THEN '-01' ELSE '-01-01' END "
        f"ELSE regexp_extract({v}, '^\\s*([0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}})[T ]', 1) END"
    )
    return f"COALESCE(TRY_CAST({v} AS DATE), TRY_CAST({lenient} AS DATE))"


def _timestamp(v: str, dtype: T.DataType, o: CsvOptions) -> str:
    ntz = isinstance(dtype, T.TimestampNTZType)
    pattern = o.timestamp_ntz_format if ntz else o.timestamp_format
    target = "TIMESTAMP" if ntz else "TIMESTAMPTZ"
    if pattern is not None:
        return f"CAST(try_strptime({v}, {lit(spark_to_strftime(pattern))}) AS {target})"
    return f"TRY_CAST({v} AS {target})" if ntz else text_to_timestamptz(v)


def _decimal(v: str, dtype: T.DataType, o: CsvOptions) -> str:
    assert isinstance(dtype, T.DecimalType)
    number = f"regexp_full_match({v}, {lit(_JAVA_DECIMAL)})"  # java.math.BigDecimal's grammar
    return f"CASE WHEN {number} THEN TRY_CAST({v} AS DECIMAL({dtype.precision}, {dtype.scale})) END"


def _string(v: str, dtype: T.DataType, o: CsvOptions) -> str:
    return v


Converter = Callable[[str, T.DataType, CsvOptions], str]
_CONVERTERS: dict[type[T.DataType], Converter] = {
    **dict.fromkeys(_INTEGRAL, _integral),
    T.DoubleType: _fractional,
    T.FloatType: _fractional,
    T.BooleanType: _boolean,
    T.DateType: _date,
    T.TimestampType: _timestamp,
    T.TimestampNTZType: _timestamp,
    T.DecimalType: _decimal,
    T.StringType: _string,
}


def convert(v: str, dtype: T.DataType, o: CsvOptions) -> str:
    """The SQL converting field text ``v`` (NULL for a null field) to ``dtype``."""
    converter = _CONVERTERS.get(type(dtype))
    if converter is None:
        raise AnalysisException(
            f'The CSV datasource doesn\'t support the column of the type "{dtype.simpleString()}".',
            "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE",
        )
    return converter(v, dtype, o)


def check_schema(schema: T.StructType) -> None:
    """Spark refuses a CSV schema with a type the format cannot hold."""
    for field in schema.fields:
        if type(field.dataType) not in _CONVERTERS:
            raise AnalysisException(
                f"The CSV datasource doesn't support the column `{field.name}` of the type "
                f'"{field.dataType.simpleString().upper()}".',
                "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE",
            )
