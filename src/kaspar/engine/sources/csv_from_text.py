"""Spark's ``from_csv``: strings parsed as CSV records into structs (PERMISSIVE).

Each string is split by ``csv_tokens`` (Spark's tokenizer) and its fields converted a column at
a time with Arrow kernels (Java's number grammar, ``true``/``false``, ``dateFormat``). File
reads do not come here: ``csv_modes`` reads files lazily in DuckDB.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine import types as T
from kaspar.engine.compile.datetime_patterns import spark_to_strftime
from kaspar.engine.sources.csv_options import CsvOptions
from kaspar.engine.sources.csv_tokens import values
from kaspar.engine.type_conversion import to_arrow

_INT_RANGES: dict[type[T.DataType], int] = {
    T.ByteType: 2**7,
    T.ShortType: 2**15,
    T.IntegerType: 2**31,
    T.LongType: 2**63,
}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_JAVA_DOUBLE = r"^[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?)$"
_LENIENT_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?(?:[T ].*)?")


# -- 3: values, one column at a time (Arrow kernels; Python only for the odd value) -----------


def _where(mask: pa.Array, values: pa.Array) -> pa.Array:
    return pc.if_else(mask, values, pa.scalar(None, values.type))


def _integral(column: pa.Array, dtype: T.DataType, o: CsvOptions) -> pa.Array:
    bound = _INT_RANGES[type(dtype)]
    valid = pc.match_substring_regex(column, r"^[+-]?0*[0-9]{1,18}$")
    unsigned = pc.replace_substring_regex(_where(valid, column), r"^\+", "")
    numbers = pc.cast(unsigned, pa.int64())
    in_range = pc.and_(pc.greater_equal(numbers, -bound), pc.less(numbers, min(bound, 2**63 - 1)))
    long_ones = pc.and_(pc.invert(valid), pc.match_substring_regex(column, r"^[+-]?[0-9]+$"))
    if pc.any(long_ones).as_py():  # 19+ significant digits: Python ints
        exact = [
            int(v) if v is not None and _INTEGER.fullmatch(v) and -bound <= int(v) < bound else None
            for v in column.to_pylist()
        ]
        return pa.array(exact, to_arrow(dtype))
    return pc.cast(_where(in_range, numbers), to_arrow(dtype))


def _double(column: pa.Array, dtype: T.DataType, o: CsvOptions) -> pa.Array:
    text = pc.utf8_trim(column, " \t\n\r\x0b\x0c")
    valid = pc.match_substring_regex(text, _JAVA_DOUBLE)
    plain = pc.replace_substring_regex(_where(valid, text), "[fFdD]$", "")
    plain = pc.replace_substring_regex(plain, "Infinity$", "inf")
    values = pc.cast(plain, pa.float64())
    for token, number in ((o.nan_value, "nan"), (o.positive_inf, "inf"), (o.negative_inf, "-inf")):
        values = pc.if_else(pc.equal(column, token), pa.scalar(float(number)), values)
    return pc.cast(values, to_arrow(dtype))


def _boolean(column: pa.Array, dtype: T.DataType, o: CsvOptions) -> pa.Array:
    lowered = pc.utf8_lower(column)
    valid = pc.is_in(lowered, pa.array(["true", "false"]))
    return _where(valid, pc.equal(lowered, "true"))


def _date(column: pa.Array, dtype: T.DataType, o: CsvOptions) -> pa.Array:
    if o.date_format is None:
        iso = pc.match_substring_regex(column, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        if pc.all(pc.or_kleene(iso, pc.is_null(column))).as_py():
            parsed = pc.strptime(column, "%Y-%m-%d", "s", error_is_null=True)
            return pc.cast(parsed, pa.date32())
    return pa.array([_one_date(v, o) for v in column.to_pylist()], pa.date32())


def _one_date(value: str | None, o: CsvOptions) -> dt.date | None:
    if value is None:
        return None
    try:
        if o.date_format is not None:
            parsed = dt.datetime.strptime(value, spark_to_strftime(o.date_format))
            return parsed.date()
        match = _LENIENT_DATE.fullmatch(value.strip())
        if match is None:
            return None
        year, month, day = (int(g) if g else 1 for g in match.groups())
        return dt.date(year, month, day)
    except ValueError:
        return None


def _decimal(column: pa.Array, dtype: T.DataType, o: CsvOptions) -> pa.Array:
    assert isinstance(dtype, T.DecimalType)
    exponent = decimal.Decimal(1).scaleb(-dtype.scale)

    def convert(value: str | None) -> decimal.Decimal | None:
        try:
            number = decimal.Decimal(str(value).strip()).quantize(exponent, decimal.ROUND_HALF_UP)
        except (decimal.InvalidOperation, ValueError):
            return None
        fits = number.is_finite() and len(number.as_tuple().digits) <= dtype.precision
        return number if fits else None

    return pa.array(
        [None if v is None else convert(v) for v in column.to_pylist()], to_arrow(dtype)
    )


Converter = Callable[[pa.Array, T.DataType, CsvOptions], pa.Array]


def _converter(dtype: T.DataType) -> Converter:
    if type(dtype) in _INT_RANGES:
        return _integral
    if isinstance(dtype, T.DoubleType | T.FloatType):
        return _double
    if isinstance(dtype, T.BooleanType):
        return _boolean
    if isinstance(dtype, T.DateType):
        return _date
    if isinstance(dtype, T.DecimalType):
        return _decimal
    return lambda column, dtype, o: column


def from_csv(column: pa.Array, schema: T.StructType, options: dict[str, str]) -> pa.Array:
    """Spark's ``from_csv``: each string parsed as one record (PERMISSIVE: fields that do not
    convert are NULL, missing ones NULL, extra ones dropped); a NULL string gives NULL."""
    o = CsvOptions.parse({k.lower(): v for k, v in options.items()})
    width = len(schema.fields)
    texts = column.to_pylist()
    rows = [([] if t is None else values(t, o))[:width] for t in texts]
    rows = [r + [None] * (width - len(r)) for r in rows]
    fields = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    converted = [
        _converter(f.dataType)(pa.array(list(v), pa.string()), f.dataType, o)
        for f, v in zip(schema.fields, fields, strict=True)
    ]
    mask = pa.array([t is None for t in texts], pa.bool_())
    return pa.StructArray.from_arrays(
        converted, fields=[pa.field(f.name, to_arrow(f.dataType)) for f in schema.fields], mask=mask
    )
