"""Conversions between Spark data types and sqlglot, DDL strings, DuckDB and Arrow types."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from functools import cache
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.geo_types import from_carrier

_D = exp.DataType.Type

_SIMPLE: dict[Any, type[T.DataType]] = {
    _D.TEXT: T.StringType,
    _D.VARCHAR: T.StringType,
    _D.CHAR: T.StringType,
    _D.NAME: T.StringType,
    _D.UUID: T.StringType,
    _D.INT: T.IntegerType,
    _D.UINT: T.LongType,
    _D.BIGINT: T.LongType,
    _D.UBIGINT: T.LongType,
    _D.INT128: T.LongType,
    _D.UINT128: T.LongType,
    _D.SMALLINT: T.ShortType,
    _D.USMALLINT: T.IntegerType,
    _D.TINYINT: T.ByteType,
    _D.UTINYINT: T.ShortType,
    _D.DOUBLE: T.DoubleType,
    _D.FLOAT: T.FloatType,
    _D.BOOLEAN: T.BooleanType,
    _D.DATE: T.DateType,
    _D.TIMESTAMPTZ: T.TimestampType,
    _D.TIMESTAMPLTZ: T.TimestampType,
    _D.TIMESTAMP: T.TimestampNTZType,
    _D.TIMESTAMPNTZ: T.TimestampNTZType,
    _D.BINARY: T.BinaryType,
    _D.VARBINARY: T.BinaryType,
    _D.BLOB: T.BinaryType,
    _D.NULL: T.NullType,
    _D.UNKNOWN: T.NullType,
    _D.INTERVAL: T.CalendarIntervalType,
    _D.VARIANT: T.VariantType,
    _D.TIME: T.TimeType,
}


def from_sqlglot(dtype: exp.DataType) -> T.DataType:
    """Spark type for a sqlglot type node (from a Spark DDL string or a DuckDB result type)."""
    kind = dtype.this
    args = dtype.expressions
    precise = _with_precision(kind, args)
    if precise is not None:
        return precise
    if kind in _SIMPLE:
        return _SIMPLE[kind]()
    if kind == _D.DECIMAL:
        if not args:
            return T.DecimalType(10, 0)
        nums = [int(a.this.this if isinstance(a, exp.DataTypeParam) else a.this) for a in args]
        return T.DecimalType(nums[0], nums[1] if len(nums) > 1 else 0)
    if kind in (_D.ARRAY, _D.LIST):
        return T.ArrayType(from_sqlglot(args[0]) if args else T.NullType())
    if kind == _D.MAP:
        return T.MapType(from_sqlglot(args[0]), from_sqlglot(args[1]))
    if kind == _D.STRUCT:
        spatial = (
            from_carrier(args[0].name) if args and isinstance(args[0], exp.ColumnDef) else None
        )
        if spatial is not None:
            return spatial
        interval = _ansi_interval(args)
        if interval is not None:
            return interval
        fields = []
        for i, col in enumerate(args):
            if isinstance(col, exp.ColumnDef):
                kind_node = col.args["kind"]
                fields.append(T.StructField(col.name, from_sqlglot(kind_node), _nullable(col)))
            else:
                fields.append(T.StructField(f"col{i + 1}", from_sqlglot(col)))
        return T.StructType(fields)
    return T.StringType()


def _nullable(column: exp.ColumnDef) -> bool:
    """False for a DDL field declared ``NOT NULL``."""
    constraints = column.args.get("constraints") or []
    return not any(isinstance(c.args.get("kind"), exp.NotNullColumnConstraint) for c in constraints)


# Spark's ANSI intervals in DuckDB: a struct of one field of this name (kaspar's own carrier;
# DuckDB's INTERVAL is Spark's CalendarIntervalType), its value in microseconds or months.
DAY_TIME_FIELD = "__day_time_interval__"
YEAR_MONTH_FIELD = "__year_month_interval__"
# Spark's timestamp_ltz(9): a struct of one TIMESTAMP_NS field of this name, the UTC wall time.
LTZ_NANOS_FIELD = "__timestamp_ltz_nanos__"


def _with_precision(kind: Any, args: list[exp.Expr]) -> T.DataType | None:
    """``time(p)``, ANSI interval types, and ``timestamp_ntz(p)`` / ``timestamp_ltz(p)`` with
    p in 7..9 (Spark 4.3's nanosecond timestamps; DuckDB's ``TIMESTAMP_NS``)."""
    if kind == _D.TIME and args:
        return T.TimeType(_time_precision(args[0]))
    if isinstance(kind, exp.Interval):  # interval day to second, interval year, ...
        return _ansi_interval_type(kind)
    if kind == _D.TIMESTAMP_NS:
        return T.TimestampNTZNanosType()
    if kind not in (_D.TIMESTAMPNTZ, _D.TIMESTAMPLTZ, _D.TIMESTAMPTZ, _D.TIMESTAMP) or not args:
        return None
    arg = args[0]
    precision = int(arg.this.this if isinstance(arg, exp.DataTypeParam) else arg.this)
    if not 7 <= precision <= 9:
        return None
    ntz = kind in (_D.TIMESTAMPNTZ, _D.TIMESTAMP)
    return T.TimestampNTZNanosType(precision) if ntz else T.TimestampLTZNanosType(precision)


_INTERVAL_FIELDS = {"YEAR": 0, "MONTH": 1, "DAY": 0, "HOUR": 1, "MINUTE": 2, "SECOND": 3}


def _ansi_interval_type(kind: exp.Interval) -> T.DataType:
    """``interval day to second`` and its kin as Spark DDL names them."""
    from kaspar.errors import ParseException

    unit = kind.args.get("unit")
    ends = [unit.this, unit.expression] if isinstance(unit, exp.IntervalSpan) else [unit]
    names = [e.name.upper() for e in ends if e is not None]
    if not names or any(n not in _INTERVAL_FIELDS for n in names):
        raise ParseException(f"Unsupported interval type: {kind.sql()}", "PARSE_SYNTAX_ERROR")
    start, end = _INTERVAL_FIELDS[names[0]], _INTERVAL_FIELDS[names[-1]]
    if names[0] in ("YEAR", "MONTH"):
        return T.YearMonthIntervalType(start, end)
    return T.DayTimeIntervalType(start, end)


def ansi_interval_field(dtype: T.AnsiIntervalType) -> str:
    """The carrier's field name for an ANSI interval type: the kind's name, followed by the
    start and end fields' numbers unless the type spans all of them (``__day_time_interval__13``
    is ``interval hour to second``)."""
    if isinstance(dtype, T.YearMonthIntervalType):
        base, full = YEAR_MONTH_FIELD, (0, 1)
    else:
        base, full = DAY_TIME_FIELD, (0, 3)
    fields = (dtype.startField, dtype.endField)
    return base if fields == full else f"{base}{fields[0]}{fields[1]}"


def ansi_interval_of_field(name: str) -> T.AnsiIntervalType | None:
    """The ANSI interval type a carrier's field name stands for (``ansi_interval_field``)."""
    kinds: tuple[tuple[str, type[T.AnsiIntervalType]], ...] = (
        (DAY_TIME_FIELD, T.DayTimeIntervalType),
        (YEAR_MONTH_FIELD, T.YearMonthIntervalType),
    )
    for base, kind in kinds:
        if not name.startswith(base):
            continue
        suffix = name[len(base) :]
        if not suffix:
            return kind()
        if len(suffix) == 2 and suffix.isdigit():
            return kind(int(suffix[0]), int(suffix[1]))
    return None


def _ansi_interval(args: list[exp.Expr]) -> T.DataType | None:
    if len(args) != 1 or not isinstance(args[0], exp.ColumnDef):
        return None
    if args[0].name == LTZ_NANOS_FIELD:
        return T.TimestampLTZNanosType()
    return ansi_interval_of_field(args[0].name)


def _time_precision(arg: exp.Expr) -> int:
    """The ``p`` of ``time(p)``: 0 to 6 (Spark's range)."""
    from kaspar.errors import ParseException

    value = int(arg.this.this if isinstance(arg, exp.DataTypeParam) else arg.this)
    if not 0 <= value <= 6:
        raise ParseException(
            f"The seconds precision {value} of the TIME data type "
            "is out of the supported range [0, 6].",
            "UNSUPPORTED_TIME_PRECISION",
        )
    return value


def to_sqlglot(dtype: T.DataType) -> exp.DataType:
    """sqlglot type node for a Spark type (used in casts and for empty tables)."""
    return exp.DataType.build(to_ddl(dtype), dialect="spark")


def to_ddl(dtype: T.DataType) -> str:
    """Spark DDL spelling of a type (``struct<a:int>``)."""
    if isinstance(dtype, T.StructType):
        return "struct<" + ",".join(f"`{f.name}`:{to_ddl(f.dataType)}" for f in dtype) + ">"
    if isinstance(dtype, T.ArrayType):
        return f"array<{to_ddl(dtype.elementType)}>"
    if isinstance(dtype, T.MapType):
        return f"map<{to_ddl(dtype.keyType)},{to_ddl(dtype.valueType)}>"
    if isinstance(dtype, T.NullType):
        return "void"
    return dtype.simpleString()


@cache
def parse_data_type(ddl: str) -> T.DataType:
    """Parse ``"a int, b string"`` (a struct) or a single type name such as ``"array<int>"``."""
    from kaspar.errors import ParseException

    text = ddl.strip()
    if not _looks_like_fields(text):
        try:
            return from_sqlglot(exp.DataType.build(text, dialect="spark"))
        except (sqlglot.errors.ParseError, ValueError):
            pass
    try:
        node = exp.DataType.build(f"struct<{_colonize(text)}>", dialect="spark")
    except (sqlglot.errors.ParseError, ValueError) as e:
        raise ParseException(f"Syntax error in data type '{ddl}'.", "PARSE_SYNTAX_ERROR") from e
    return from_sqlglot(node)


# Spark's type names that take words after them (``interval day to second``)
_MULTI_WORD_TYPES = frozenset({"interval", "timestamp", "double"})


def _looks_like_fields(text: str) -> bool:
    """``name type`` or ``name: type``: a struct's field list, even where sqlglot would read the
    name as a type of another dialect (``number decimal(38, 0)`` is not ``NUMBER``)."""
    first = re.match(r"`[^`]*`|[^\s:<(,]+", text)
    if first is None:
        return False
    rest = text[first.end() :]
    if rest.lstrip().startswith(":"):
        return True
    return bool(rest[:1].isspace()) and first.group(0).lower() not in _MULTI_WORD_TYPES


def _colonize(text: str) -> str:
    """``a int, b string`` → ``a: int, b: string`` at the top nesting level."""
    out = []
    for part in _split_top(text):
        field = part.strip()
        end = _name_end(field)
        name, rest = field[:end], field[end:].strip()
        out.append(field if rest.startswith(":") else f"{name}: {rest}")
    return ", ".join(out)


def _name_end(field: str) -> int:
    """Where the field name of ``name type`` ends (a backquoted name may hold spaces)."""
    if not field.startswith("`"):
        return next((i for i, ch in enumerate(field) if ch.isspace() or ch == ":"), len(field))
    i = 1
    while i < len(field):
        if field[i] == "`":
            if field[i + 1 : i + 2] != "`":
                return i + 1
            i += 1
        i += 1
    return len(field)


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    if any(not p.strip() for p in parts):
        raise ValueError(f"empty field in {text!r}")
    return parts


@cache
def from_duckdb(type_name: str) -> T.DataType:
    """Spark type for a DuckDB result type name such as ``DECIMAL(10,2)`` or ``INTEGER[]``."""
    if type_name.strip('"') == "NULL":
        return T.NullType()
    # DuckDB quotes the NULL type inside others ("NULL"[], MAP("NULL", "NULL")): Spark's void
    return from_sqlglot(exp.DataType.build(type_name.replace('"NULL"', "NULL"), dialect="duckdb"))


def to_arrow(dtype: T.DataType) -> pa.DataType:
    """Arrow type that holds values of a Spark type."""
    simple: dict[type[T.DataType], pa.DataType] = {
        T.StringType: pa.string(),
        T.IntegerType: pa.int32(),
        T.LongType: pa.int64(),
        T.ShortType: pa.int16(),
        T.ByteType: pa.int8(),
        T.DoubleType: pa.float64(),
        T.FloatType: pa.float32(),
        T.BooleanType: pa.bool_(),
        T.DateType: pa.date32(),
        T.TimestampType: pa.timestamp("us", tz="UTC"),
        T.TimestampNTZType: pa.timestamp("us"),
        T.TimeType: pa.time64("us"),
        T.BinaryType: pa.binary(),
        T.NullType: pa.null(),
    }
    if type(dtype) in simple:
        return simple[type(dtype)]
    if isinstance(dtype, T.DecimalType):
        return pa.decimal128(dtype.precision, dtype.scale)
    if isinstance(dtype, T.AnsiIntervalType):  # kaspar's carrier: months or microseconds
        width = pa.int32() if isinstance(dtype, T.YearMonthIntervalType) else pa.int64()
        return pa.struct([pa.field(ansi_interval_field(dtype), width)])
    if isinstance(dtype, T.ArrayType):
        return pa.list_(to_arrow(dtype.elementType))
    if isinstance(dtype, T.MapType):
        return pa.map_(to_arrow(dtype.keyType), to_arrow(dtype.valueType))
    if isinstance(dtype, T.StructType):
        return pa.struct([pa.field(f.name, to_arrow(f.dataType), f.nullable) for f in dtype])
    return pa.string()


_ARROW_SIMPLE: tuple[tuple[Any, type[T.DataType]], ...] = (
    (pa.types.is_string, T.StringType),
    (pa.types.is_large_string, T.StringType),
    (pa.types.is_boolean, T.BooleanType),
    (pa.types.is_float32, T.FloatType),
    (pa.types.is_floating, T.DoubleType),
    (pa.types.is_date, T.DateType),
    (pa.types.is_time, T.TimeType),
    (pa.types.is_binary, T.BinaryType),
    (pa.types.is_large_binary, T.BinaryType),
    (pa.types.is_null, T.NullType),
)


def from_arrow(atype: pa.DataType) -> T.DataType:
    """Spark type for an Arrow type (pandas and Arrow input)."""
    for test, spark_type in _ARROW_SIMPLE:
        if test(atype):
            return spark_type()
    if pa.types.is_integer(atype):
        width = atype.bit_width
        return {8: T.ByteType(), 16: T.ShortType(), 32: T.IntegerType()}.get(width, T.LongType())
    if pa.types.is_decimal(atype):
        return T.DecimalType(atype.precision, atype.scale)
    if pa.types.is_timestamp(atype):
        return T.TimestampType() if atype.tz else T.TimestampNTZType()
    if pa.types.is_map(atype):
        return T.MapType(from_arrow(atype.key_type), from_arrow(atype.item_type))
    if pa.types.is_list(atype) or pa.types.is_large_list(atype):
        return T.ArrayType(from_arrow(atype.value_type))
    if pa.types.is_struct(atype):
        return T.StructType([T.StructField(f.name, from_arrow(f.type), f.nullable) for f in atype])
    return T.StringType()


_PY_SIMPLE: tuple[tuple[type, type[T.DataType]], ...] = (
    (bool, T.BooleanType),
    (int, T.LongType),
    (float, T.DoubleType),
    (str, T.StringType),
    (dt.datetime, T.TimestampType),
    (dt.time, T.TimeType),
    (dt.date, T.DateType),
    (bytes, T.BinaryType),
    (bytearray, T.BinaryType),
)


def infer_type(value: Any) -> T.DataType:
    """Spark's type for a Python value (``createDataFrame`` without a schema)."""
    if value is None:
        return T.NullType()
    for py_type, spark_type in _PY_SIMPLE:
        if isinstance(value, py_type):
            return spark_type()
    if isinstance(value, decimal.Decimal):
        return T.DecimalType(38, 18)
    if isinstance(value, dt.timedelta):
        return T.DayTimeIntervalType()
    if isinstance(value, dict):
        key, val = next(iter(value.items()), (None, None))
        return T.MapType(infer_type(key), infer_type(val))
    if isinstance(value, tuple):  # a Row, or a plain tuple as PySpark infers it: ``_1, _2``
        names = getattr(value, "__fields__", None) or [f"_{i + 1}" for i in range(len(value))]
        return T.StructType(
            [T.StructField(n, infer_type(v)) for n, v in zip(names, value, strict=True)]
        )
    if isinstance(value, list):
        elem: T.DataType = T.NullType()
        for v in value:
            elem = merge_types(elem, infer_type(v))
        return T.ArrayType(elem)
    return T.StringType()


def _atomic(dtype: T.DataType) -> bool:
    return not isinstance(dtype, T.ArrayType | T.MapType | T.StructType | T.NullType)


def merge_types(a: T.DataType, b: T.DataType) -> T.DataType:
    """Widen two inferred types (NullType yields to anything, int to double)."""
    if isinstance(a, T.NullType):
        return b
    if isinstance(b, T.NullType) or a == b:
        return a
    if isinstance(a, T.LongType) and isinstance(b, T.DoubleType):
        return b
    if isinstance(a, T.DoubleType) and isinstance(b, T.LongType):
        return a
    if isinstance(b, T.StringType) and _atomic(a):  # PySpark: an atomic value with a string
        return b
    if isinstance(a, T.StringType) and _atomic(b):
        return a
    if isinstance(a, T.ArrayType) and isinstance(b, T.ArrayType):
        return T.ArrayType(merge_types(a.elementType, b.elementType))
    if isinstance(a, T.StructType) and isinstance(b, T.StructType) and a.names == b.names:
        return T.StructType(
            [
                T.StructField(f.name, merge_types(f.dataType, g.dataType))
                for f, g in zip(a.fields, b.fields, strict=True)
            ]
        )
    return a
