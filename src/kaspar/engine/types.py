"""Spark's data types (the implementation behind ``kaspar.sql.types``).

The classes carry PySpark's names, ``simpleString()``, ``json()`` and ``typeName()`` so that
schemas print and compare exactly as they do in PySpark.
"""

from __future__ import annotations

import json as _json
from collections.abc import Iterator
from typing import Any, ClassVar


class DataType:
    """Base class of every Spark data type."""

    # printSchema shows simpleString() (with parameters) rather than typeName()
    TREE_SHOWS_PARAMETERS: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(self.simpleString())

    @classmethod
    def typeName(cls) -> str:
        return cls.__name__[: -len("Type")].lower()

    def simpleString(self) -> str:
        return self.typeName()

    def jsonValue(self) -> Any:
        return self.typeName()

    def json(self) -> str:
        return _json.dumps(self.jsonValue(), separators=(",", ":"), sort_keys=True)

    def needConversion(self) -> bool:
        return False


class AtomicType(DataType):
    """Types without children."""


class NumericType(AtomicType):
    """Numbers."""


class IntegralType(NumericType):
    """Whole numbers."""


class FractionalType(NumericType):
    """Float, double and decimal."""


class NullType(AtomicType):
    """The type of ``NULL`` (printed ``void``)."""

    @classmethod
    def typeName(cls) -> str:
        return "void"


class StringType(AtomicType):
    """UTF-8 text."""


class BinaryType(AtomicType):
    """Bytes."""


class BooleanType(AtomicType):
    """True or false."""


class DateType(AtomicType):
    """A calendar date."""


class TimestampType(AtomicType):
    """An instant, shown in the session time zone."""


class TimestampNTZType(AtomicType):
    """A timestamp without time zone."""

    @classmethod
    def typeName(cls) -> str:
        return "timestamp_ntz"


class TimestampNanosType(AtomicType):
    """Spark 4.3's nanosecond timestamps (``timestamp_ntz(9)``, ``timestamp_ltz(9)``;
    ``spark.sql.timestampNanosTypes.enabled``). DuckDB has one such type, ``TIMESTAMP_NS``, so
    kaspar reports precision 9 whatever the ``p`` in 7..9 a cast names (docs: nanos.py)."""

    _KIND: ClassVar[str] = ""

    def __init__(self, precision: int = 9) -> None:
        self.precision = precision

    def simpleString(self) -> str:
        return f"{self._KIND}({self.precision})"

    def jsonValue(self) -> Any:
        return self.simpleString()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.precision})"


class TimestampNTZNanosType(TimestampNanosType):
    """``timestamp_ntz(9)``: DuckDB's ``TIMESTAMP_NS``."""

    _KIND = "timestamp_ntz"


class TimestampLTZNanosType(TimestampNanosType):
    """``timestamp_ltz(9)``: an instant, held as its UTC wall time in a one-field struct of
    ``TIMESTAMP_NS`` (``type_conversion.LTZ_NANOS_FIELD``)."""

    _KIND = "timestamp_ltz"


class TimeType(AtomicType):
    """A time of day without a date or time zone (Spark 4.1+; DuckDB's ``TIME``): ``time(p)``
    with ``p`` fractional digits of a second (0 to 6)."""

    def __init__(self, precision: int = 6) -> None:
        self.precision = precision

    def simpleString(self) -> str:
        return f"time({self.precision})"

    def jsonValue(self) -> Any:
        return self.simpleString()

    def __repr__(self) -> str:
        return f"TimeType({self.precision})"


class VariantType(AtomicType):
    """Semi-structured values (Spark 4.0+): JSON-like objects, arrays and typed scalars, held in
    DuckDB's ``VARIANT`` (docs/variant.md)."""


class AnsiIntervalType(AtomicType):
    """Spark's ANSI intervals: a range of fields (``interval day to second``)."""

    _FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, startField: int = 0, endField: int | None = None) -> None:
        self.startField = startField
        self.endField = len(self._FIELDS) - 1 if endField is None else endField

    def simpleString(self) -> str:
        start, end = self._FIELDS[self.startField], self._FIELDS[self.endField]
        return f"interval {start}" if start == end else f"interval {start} to {end}"

    def jsonValue(self) -> Any:
        return self.simpleString()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.startField}, {self.endField})"


class DayTimeIntervalType(AnsiIntervalType):
    """Spark's ANSI day-time interval (microseconds); held in DuckDB as a one-field struct
    (``type_conversion``)."""

    DAY, HOUR, MINUTE, SECOND = 0, 1, 2, 3
    _FIELDS = ("day", "hour", "minute", "second")


class YearMonthIntervalType(AnsiIntervalType):
    """Spark's ANSI year-month interval (months); held in DuckDB as a one-field struct
    (``type_conversion``)."""

    YEAR, MONTH = 0, 1
    _FIELDS = ("year", "month")


class CalendarIntervalType(DataType):
    """Months, days and microseconds (``make_interval``); DuckDB's ``INTERVAL``."""

    @classmethod
    def typeName(cls) -> str:
        return "interval"


class ByteType(IntegralType):
    """8-bit integer."""

    def simpleString(self) -> str:
        return "tinyint"


class ShortType(IntegralType):
    """16-bit integer."""

    def simpleString(self) -> str:
        return "smallint"


class IntegerType(IntegralType):
    """32-bit integer."""

    def simpleString(self) -> str:
        return "int"


class LongType(IntegralType):
    """64-bit integer."""

    def simpleString(self) -> str:
        return "bigint"


class FloatType(FractionalType):
    """32-bit floating point."""


class DoubleType(FractionalType):
    """64-bit floating point."""


class DecimalType(FractionalType):
    """Fixed-point decimal with ``precision`` digits, ``scale`` of them after the point."""

    def __init__(self, precision: int = 10, scale: int = 0) -> None:
        self.precision = precision
        self.scale = scale

    def simpleString(self) -> str:
        return f"decimal({self.precision},{self.scale})"

    def jsonValue(self) -> Any:
        return self.simpleString()

    def __repr__(self) -> str:
        return f"DecimalType({self.precision}, {self.scale})"


class ArrayType(DataType):
    """A list of ``elementType`` values."""

    def __init__(self, elementType: DataType, containsNull: bool = True) -> None:
        self.elementType = elementType
        self.containsNull = containsNull

    def simpleString(self) -> str:
        return f"array<{self.elementType.simpleString()}>"

    def jsonValue(self) -> Any:
        return {
            "type": "array",
            "elementType": self.elementType.jsonValue(),
            "containsNull": self.containsNull,
        }

    def __repr__(self) -> str:
        return f"ArrayType({self.elementType!r}, {self.containsNull})"


class MapType(DataType):
    """A map from ``keyType`` to ``valueType``."""

    def __init__(
        self,
        keyType: DataType,
        valueType: DataType,
        valueContainsNull: bool = True,
    ) -> None:
        self.keyType = keyType
        self.valueType = valueType
        self.valueContainsNull = valueContainsNull

    def simpleString(self) -> str:
        return f"map<{self.keyType.simpleString()},{self.valueType.simpleString()}>"

    def jsonValue(self) -> Any:
        return {
            "type": "map",
            "keyType": self.keyType.jsonValue(),
            "valueType": self.valueType.jsonValue(),
            "valueContainsNull": self.valueContainsNull,
        }

    def __repr__(self) -> str:
        return f"MapType({self.keyType!r}, {self.valueType!r}, {self.valueContainsNull})"


class StructField(DataType):
    """A named, typed field of a struct."""

    def __init__(
        self,
        name: str,
        dataType: DataType,
        nullable: bool = True,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.dataType = dataType
        self.nullable = nullable
        self.metadata = metadata or {}

    def simpleString(self) -> str:
        return f"{self.name}:{self.dataType.simpleString()}"

    def jsonValue(self) -> Any:
        return {
            "name": self.name,
            "type": self.dataType.jsonValue(),
            "nullable": self.nullable,
            "metadata": self.metadata,
        }

    def __repr__(self) -> str:
        return f"StructField('{self.name}', {self.dataType!r}, {self.nullable})"


class StructType(DataType):
    """A row type: an ordered list of ``StructField``s."""

    _NOT_FOUND: ClassVar[str] = "No StructField named {0}"

    def __init__(self, fields: list[StructField] | None = None) -> None:
        self.fields: list[StructField] = list(fields or [])

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def fieldNames(self) -> list[str]:
        return self.names

    def add(
        self,
        field: str | StructField,
        data_type: DataType | str | None = None,
        nullable: bool = True,
    ) -> StructType:
        """Append a field (PySpark mutates in place and returns self)."""
        if isinstance(field, StructField):
            self.fields.append(field)
            return self
        if isinstance(data_type, str):
            from kaspar.engine.type_conversion import parse_data_type

            data_type = parse_data_type(data_type)
        self.fields.append(StructField(field, data_type or NullType(), nullable))
        return self

    def __iter__(self) -> Iterator[StructField]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __getitem__(self, key: int | str) -> StructField:
        if isinstance(key, int):
            return self.fields[key]
        for f in self.fields:
            if f.name == key:
                return f
        raise KeyError(self._NOT_FOUND.format(key))

    def simpleString(self) -> str:
        return "struct<" + ",".join(f.simpleString() for f in self.fields) + ">"

    def jsonValue(self) -> Any:
        return {"type": "struct", "fields": [f.jsonValue() for f in self.fields]}

    def __repr__(self) -> str:
        return "StructType([" + ", ".join(repr(f) for f in self.fields) + "])"

    def treeString(self, level: int | None = None) -> str:
        """The ``printSchema`` text."""
        lines = ["root"]
        for f in self.fields:
            _tree_field(lines, f.name, f.dataType, f"(nullable = {_b(f.nullable)})", 1, level)
        return "\n".join(lines) + "\n"

    @classmethod
    def fromDDL(cls, ddl: str) -> DataType:
        from kaspar.engine.type_conversion import parse_data_type

        return parse_data_type(ddl)


def _b(value: bool) -> str:
    return "true" if value else "false"


def _tree_field(  # noqa: PLR0917 (a private recursive helper)
    lines: list[str], name: str, dt: DataType, suffix: str, depth: int, level: int | None
) -> None:
    if level is not None and depth > level:
        return
    prefix = " |   " * (depth - 1) + " |-- "
    shown = DecimalType | TimeType | AnsiIntervalType
    with_parameters = isinstance(dt, shown) or dt.TREE_SHOWS_PARAMETERS
    type_name = dt.simpleString() if with_parameters else dt.typeName()
    lines.append(f"{prefix}{name}: {type_name} {suffix}".rstrip())
    if isinstance(dt, StructType):
        for f in dt.fields:
            _tree_field(
                lines, f.name, f.dataType, f"(nullable = {_b(f.nullable)})", depth + 1, level
            )
    elif isinstance(dt, ArrayType):
        _tree_field(
            lines,
            "element",
            dt.elementType,
            f"(containsNull = {_b(dt.containsNull)})",
            depth + 1,
            level,
        )
    elif isinstance(dt, MapType):
        _tree_field(lines, "key", dt.keyType, "", depth + 1, level)
        _tree_field(
            lines,
            "value",
            dt.valueType,
            f"(valueContainsNull = {_b(dt.valueContainsNull)})",
            depth + 1,
            level,
        )


_ALL = (
    NullType,
    StringType,
    BinaryType,
    BooleanType,
    DateType,
    TimestampType,
    TimestampNTZType,
    TimeType,
    ByteType,
    ShortType,
    IntegerType,
    LongType,
    FloatType,
    DoubleType,
    DecimalType,
    VariantType,
)
