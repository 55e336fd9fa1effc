"""CSV records with Spark's parse modes and tokenizer options, read into one Arrow table.

DuckDB's ``read_csv`` raises on a value that does not fit its column, has no corrupt-record column,
joins quoted lines without ``multiLine`` and tokenizes quotes differently from Spark's (univocity)
parser. Every CSV read is parsed here, except with ``inferSchema`` or a schema with types this
parser does not convert (timestamps, nested types), which DuckDB reads:

1. Split each file into records and tokenize them as Spark does (``csv_tokens``); with
   ``header`` the first record of each file is skipped. A file without the quote character is
   split by Arrow kernels instead, with the same result.
2. Values equal to ``nullValue`` are NULL (``csv_tokens`` maps empty fields).
3. Convert the others to the field's type, a column at a time (Java's number grammar,
   ``true``/``false``, ``dateFormat``).
4. A record is malformed if its token count differs from the schema's (missing fields are NULL,
   extra ones dropped) or a value does not convert (that field is NULL). PERMISSIVE keeps it and
   puts the record's text in ``columnNameOfCorruptRecord`` when the schema has that column;
   DROPMALFORMED drops it; FAILFAST raises ``SparkException`` (``FAILED_READ_FILE.NO_HINT``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine import types as T
from kaspar.engine.compile.datetime_patterns import spark_to_strftime
from kaspar.engine.plan import logical as L
from kaspar.engine.sources.csv_tokens import CsvOptions, records, values
from kaspar.engine.sources.json_modes import corrupt_column, parse_mode
from kaspar.engine.type_conversion import to_arrow
from kaspar.errors import SparkException

_SUPPORTED = (
    T.StringType,
    T.IntegerType,
    T.LongType,
    T.ShortType,
    T.ByteType,
    T.DoubleType,
    T.FloatType,
    T.BooleanType,
    T.DateType,
    T.DecimalType,
)
_INT_RANGES: dict[type[T.DataType], int] = {
    T.ByteType: 2**7,
    T.ShortType: 2**15,
    T.IntegerType: 2**31,
    T.LongType: 2**63,
}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_JAVA_DOUBLE = r"^[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?)$"
_LENIENT_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?(?:[T ].*)?")


def handles(options: dict[str, str], schema: T.StructType | None) -> bool:
    """Whether a CSV read goes through this parser rather than DuckDB's ``read_csv``."""
    if schema is not None:
        return all(isinstance(f.dataType, _SUPPORTED) for f in schema.fields)
    return str(options.get("inferschema", "false")).lower() != "true"


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


# -- 4: rows and modes -----------------------------------------------------------------------------


def _string_schema(paths: list[str], o: CsvOptions) -> T.StructType:
    first = next(records(Path(paths[0]).read_text(encoding="utf-8"), o), None)
    fields = first[1] if first is not None else []
    names = [str(v) for v in fields] if o.header else [f"_c{i}" for i in range(len(fields))]
    return T.StructType([T.StructField(n, T.StringType(), True) for n in names])


@dataclass
class _Tokens:
    """One file's values by column (strings), record texts, and whether the count was wrong."""

    columns: list[pa.Array]
    raw: pa.Array
    miscounted: pa.Array


def _read_records(text: str, width: int, o: CsvOptions) -> _Tokens:
    rows: list[list[str | None]] = []
    raws: list[str] = []
    miscounted: list[bool] = []
    rows_of_text = records(text, o)
    if o.header:
        next(rows_of_text, None)
    for raw, fields in rows_of_text:
        raws.append(raw)
        miscounted.append(len(fields) != width)
        rows.append(fields if len(fields) == width else (fields + [None] * width)[:width])
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    return _Tokens(
        [pa.array(c, pa.string()) for c in columns],
        pa.array(raws, pa.string()),
        pa.array(miscounted, pa.bool_()),
    )


def _read_unquoted(text: str, width: int, o: CsvOptions) -> _Tokens:
    """``_read_records`` with Arrow kernels, for a file without a quote character."""
    lines = pa.array(text.splitlines(), pa.string())
    keep = pc.not_equal(lines, "")
    if o.comment:
        keep = pc.and_(keep, pc.invert(pc.starts_with(lines, o.comment)))
    lines = lines.filter(keep)
    if o.header and len(lines):
        lines = lines.slice(1)
    tokens = pc.split_pattern(lines, o.sep)
    if o.trim_leading:
        tokens = pc.utf8_ltrim(tokens, " \t")
    if o.trim_trailing:
        tokens = pc.utf8_rtrim(tokens, " \t")
    counts = pc.list_value_length(tokens)
    padded = pc.list_slice(tokens, 0, width, return_fixed_size_list=True)
    columns = []
    for i in range(width):
        column = pc.list_element(padded, i) if width else pa.array([], pa.string())
        empty = pc.or_(pc.equal(column, ""), pc.equal(column, o.null_value))
        columns.append(_where(pc.invert(pc.fill_null(empty, True)), column))
    return _Tokens(columns, lines, pc.not_equal(counts, width))


def _read(paths: list[str], width: int, o: CsvOptions) -> tuple[_Tokens, list[str]]:
    """All files' tokens, and the file of each record."""
    parts, owners = [], []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        plain = not o.quote or o.quote not in text
        part = _read_unquoted(text, width, o) if plain else _read_records(text, width, o)
        parts.append(part)
        owners += [path] * len(part.raw)
    columns = [pa.concat_arrays([p.columns[i] for p in parts]) for i in range(width)]
    raw = pa.concat_arrays([p.raw for p in parts])
    return _Tokens(columns, raw, pa.concat_arrays([p.miscounted for p in parts])), owners


def csv_relation(
    paths: list[str], options: dict[str, str], schema: T.StructType | None
) -> L.LocalRelation:
    """The plan leaf for CSV files read by this parser (see the module docstring)."""
    o = CsvOptions.parse(options)
    mode, corrupt = parse_mode(options), corrupt_column(options)
    if schema is None:
        schema = _string_schema(paths, o)
    is_corrupt = [f.name == corrupt and isinstance(f.dataType, T.StringType) for f in schema]
    data = [f for f, c in zip(schema.fields, is_corrupt, strict=True) if not c]
    tokens, owners = _read(paths, len(data), o)
    bad = tokens.miscounted
    converted = []
    for f, text in zip(data, tokens.columns, strict=True):
        column = _converter(f.dataType)(text, f.dataType, o)
        bad = pc.or_(bad, pc.and_(pc.is_valid(text), pc.is_null(column)))
        converted.append(column)
    if mode == "FAILFAST" and pc.any(bad).as_py():
        path = owners[pc.index(bad, True).as_py()]
        raise SparkException(
            f"Encountered error while reading file file://{path}.", "FAILED_READ_FILE.NO_HINT"
        )
    raw = _where(bad, tokens.raw)
    it = iter(converted)
    columns = [raw if c else next(it) for c in is_corrupt]
    table = pa.table(columns, names=[f"c{i}" for i in range(len(schema.fields))])
    if mode == "DROPMALFORMED":
        table = table.filter(pc.invert(bad))
    return L.LocalRelation(table, tuple(schema.names))


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
