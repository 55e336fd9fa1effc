"""A CSV read's schema when none is given (Spark's ``CSVInferSchema``), read eagerly as Spark does.

1. The column names: the first record's fields with ``header`` (an empty one is ``_c{i}``),
   else ``_c0 .. _c{n-1}`` for the first record's ``n`` fields.
2. Without ``inferSchema`` every column is a string. With it, one aggregate over the records
   (a ``samplingRatio`` sample of them) finds, per column, the narrowest kind each non-null
   value parses as (int, bigint, double, date with ``preferDate`` and ``dateFormat``,
   timestamp with ``timestampFormat``, boolean, else string) and merges them as Spark does:
   numbers widen, a date and a timestamp make a timestamp, other mixes a string; a column of
   only nulls is a string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaspar.engine import types as T
from kaspar.engine.compile.datetime_patterns import spark_to_strftime
from kaspar.engine.sources.csv_options import CsvOptions
from kaspar.engine.sources.csv_records import native_records, raw_lines, tokens
from kaspar.engine.sources.csv_values import convert, lit
from kaspar.engine.sources.sql_view import view_scan

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

# The kinds a value can parse as, by rank: a column of ranks 1-3 widens to the highest (int <
# bigint < double), of ranks 4-5 too (date < timestamp); anything else mixed is a string.
_KINDS: tuple[T.DataType, ...] = (
    T.IntegerType(),
    T.LongType(),
    T.DoubleType(),
    T.DateType(),
    T.TimestampType(),
    T.BooleanType(),
)
_STRING_RANK = len(_KINDS) + 1


def _query(executor: Executor, sql: str, width: int) -> list[tuple[object, ...]]:
    """The rows of a ``width``-column query, run now (inference reads eagerly, as Spark's)."""
    names = tuple(f"_{i}" for i in range(width))
    wrapped = f"SELECT * FROM ({sql}) AS _q({', '.join(names)})"  # noqa: S608
    table = executor.execute(view_scan(wrapped, names, "csv"))
    return [tuple(row.values()) for row in table.to_pylist()]


def header_names(executor: Executor, paths: list[str], o: CsvOptions) -> list[str]:
    """Step 1: the column names, from the first record of the first file."""
    first = raw_lines(paths[:1], CsvOptions(**{**o.__dict__, "header": False}))
    rows = _query(executor, f"SELECT {tokens('line', o)} FROM ({first}) LIMIT 1", 1)  # noqa: S608
    fields = list(rows[0][0]) if rows and isinstance(rows[0][0], list) else []
    if not o.header:
        return [f"_c{i}" for i in range(len(fields))]
    return [str(v) if v not in (None, "") else f"_c{i}" for i, v in enumerate(fields)]


# The first characters a number DuckDB's casts read can start with (blanks, a sign, a digit or
# a point, ``nan``/``inf``): a value starting otherwise skips the numeric tests, which are slow
# to fail. A number never holds ':' (a time does).
_NUMBER_START = " \t\n\r\x0b\x0c+-.nNiI"


def _guard(v: str, dtype: T.DataType, o: CsvOptions) -> str | None:
    """A cheap test every value of ``dtype`` passes (None: no guard), tried before the slow one."""
    first = f"left({v}, 1)"
    if isinstance(dtype, T.IntegerType | T.LongType | T.DoubleType):
        start = f"({first} BETWEEN '0' AND '9' OR contains({lit(_NUMBER_START)}, {first}))"
        return f"{start} AND NOT contains({v}, ':')"
    custom = o.date_format if isinstance(dtype, T.DateType) else o.timestamp_format
    if isinstance(dtype, T.DateType | T.TimestampType) and custom is None:
        # A failed date parse is slow in DuckDB: only text that starts like one is tried.
        longest = "10" if isinstance(dtype, T.DateType) else "64"
        return f"length({v}) BETWEEN 8 AND {longest} AND {first} BETWEEN '0' AND '9'"
    if isinstance(dtype, T.BooleanType):
        return f"length({v}) BETWEEN 4 AND 5"
    return None


def _rank(v: str, o: CsvOptions) -> str:
    """The rank of the narrowest kind value ``v`` parses as (one CASE: later kinds are tried
    only for the values the earlier ones refused, and each slow test only after its guard)."""
    whens = []
    for rank, dtype in enumerate(_KINDS, start=1):
        if isinstance(dtype, T.DateType):
            if not o.prefer_date:
                continue
            pattern = spark_to_strftime(o.date_format or "yyyy-MM-dd")
            test = f"try_strptime({v}, {lit(pattern)}) IS NOT NULL"
        elif isinstance(dtype, T.DoubleType):
            test = f"TRY_CAST({v} AS DOUBLE) IS NOT NULL"
        elif isinstance(dtype, T.TimestampType) and o.timestamp_format is None:
            test = f"TRY_CAST({v} AS TIMESTAMP) IS NOT NULL"  # the zone does not change the kind
        else:
            test = f"{convert(v, dtype, o)} IS NOT NULL"
        guard = _guard(v, dtype, o)
        whens.append(f"WHEN {test if guard is None else f'{guard} AND {test}'} THEN {rank}")
    return f"CASE WHEN {v} IS NULL THEN NULL {' '.join(whens)} ELSE {_STRING_RANK} END"


def _column_type(low: object, high: object) -> T.DataType:
    if not isinstance(low, int) or not isinstance(high, int):
        return T.StringType()  # only nulls
    if high <= 3 or (low >= 4 and high <= 5) or low == high < _STRING_RANK:
        return _KINDS[high - 1]
    return T.StringType()


def infer_schema(executor: Executor, paths: list[str], options: dict[str, str]) -> T.StructType:
    """The schema Spark infers for a CSV read without one (see the module docstring)."""
    o = CsvOptions.parse(options)
    names = header_names(executor, paths, o)
    types: list[T.DataType] = [T.StringType()] * len(names)
    if o.infer_schema and names:
        records = native_records(paths, len(names), o)
        if o.sampling_ratio < 1:
            records += f" USING SAMPLE {o.sampling_ratio * 100} PERCENT (bernoulli)"
        ranks = ", ".join(f"{_rank(f'v{i}', o)} AS r{i}" for i in range(len(names)))
        bounds = ", ".join(f"min(r{i}), max(r{i})" for i in range(len(names)))
        sql = f"SELECT {bounds} FROM (SELECT {ranks} FROM ({records}))"  # noqa: S608
        row = _query(executor, sql, 2 * len(names))[0]
        types = [_column_type(row[2 * i], row[2 * i + 1]) for i in range(len(names))]
    return T.StructType([T.StructField(n, t, True) for n, t in zip(names, types, strict=True)])
