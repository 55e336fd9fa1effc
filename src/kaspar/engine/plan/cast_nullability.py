"""Whether Spark's cast of a value that is not NULL may still give NULL (ANSI mode).

Spark marks a cast nullable when its operand is, or when the pair of types may turn a value
into NULL: from a string to anything but a string or binary, a fractional number or a
timestamp to an integral type, anything that may not fit into a decimal, a float to a
timestamp, a ``timestamp_ntz`` to a date and a date to a ``timestamp_ntz``. The analyzer knows
no column's type, so the source type is read off the operand when it is a literal, a cast or
a function of known type (``source_of``); otherwise the cast stays nullable.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.type_conversion import DAY_TIME_FIELD, YEAR_MONTH_FIELD

D = exp.DataType.Type
_INTEGRAL_DIGITS = {D.TINYINT: 3, D.SMALLINT: 5, D.INT: 10, D.BIGINT: 20}
_FRACTIONAL = frozenset({D.FLOAT, D.DOUBLE})
_TEXT = frozenset({D.TEXT, D.VARCHAR, D.CHAR})
_BINARY = frozenset({D.BINARY, D.VARBINARY, D.BLOB})
_TIMESTAMPS = frozenset({D.TIMESTAMP, D.TIMESTAMPTZ, D.TIMESTAMPLTZ})
_KNOWN = frozenset(
    {*_INTEGRAL_DIGITS, *_FRACTIONAL, *_TEXT, *_BINARY, *_TIMESTAMPS}
    | {D.DECIMAL, D.BOOLEAN, D.DATE, D.TIMESTAMPNTZ}
)
_INTERVAL = "interval"  # an ANSI interval (year-month or day-time)
Source = exp.DataType | str


def _number(text: str) -> Source | None:
    """Spark's type of a numeric literal's text: int, bigint, decimal or double."""
    digits = text.lstrip("-")
    if digits.isdigit():
        value = int(text)
        if -(2**31) <= value < 2**31:
            return exp.DataType.build("int")
        if -(2**63) <= value < 2**63:
            return exp.DataType.build("bigint")
        return exp.DataType.build(f"decimal({min(len(digits), 38)}, 0)")
    whole, dot, fraction = digits.partition(".")
    if dot and (whole + fraction).isdigit():
        scale = len(fraction)
        return exp.DataType.build(f"decimal({max(len(whole) + scale, scale, 1)}, {scale})")
    return exp.DataType.build("double") if "e" in digits.lower() else None


def typed_literal(e: exp.Expr) -> bool:
    """A cast of a literal that Spark sees as a literal of the cast's type (``DATE '...'``,
    ``lit(1.5)``): named by Spark as a literal, not as ``CAST(...)``."""
    from kaspar.engine.plan.naming import SPARK_NAME  # naming imports the plan package

    name = e.meta.get(SPARK_NAME)
    if not (isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal) and e.this.is_string):
        return False
    return isinstance(name, str) and not name.upper().startswith(("CAST(", "TRY_CAST("))


def source_of(e: exp.Expr) -> Source | None:
    """The Spark type of a cast's operand when the tree says it (None: not known)."""
    if isinstance(e, exp.Paren | exp.Neg):
        return source_of(e.this)
    if isinstance(e, exp.Literal):
        return exp.DataType.build("string") if e.is_string else _number(str(e.this))
    if isinstance(e, exp.Boolean):
        return exp.DataType.build("boolean")
    if isinstance(e, exp.Cast):
        to = e.args.get("to")
        return to if isinstance(to, exp.DataType) else None
    if isinstance(e, exp.CurrentDate):
        return exp.DataType.build("date")
    if isinstance(e, exp.CurrentTimestamp):
        return exp.DataType.build("timestamptz")
    if isinstance(e, exp.Struct) and len(e.expressions) == 1:
        field = e.expressions[0]
        name = field.name if isinstance(field, exp.PropertyEQ) else ""
        if name.startswith((DAY_TIME_FIELD, YEAR_MONTH_FIELD)):
            return _INTERVAL
    return None


def _decimal(dtype: exp.DataType) -> tuple[int, int]:
    params = [int(p.this.this) for p in dtype.expressions if isinstance(p, exp.DataTypeParam)]
    precision = params[0] if params else 10
    return precision, params[1] if len(params) > 1 else 0


def forces_null(source: Source, target: exp.DataType) -> bool | None:
    """Whether casting a non-NULL ``source`` value to ``target`` may give NULL in Spark
    (None: a type this table does not know)."""
    to = target.this
    if to not in _KNOWN:
        return None
    if source == _INTERVAL:
        return bool(to == D.DECIMAL)
    assert isinstance(source, exp.DataType)
    origin = source.this
    if origin not in _KNOWN:
        return None
    if origin in _TEXT:
        return bool(to not in _TEXT | _BINARY)
    if to == D.DECIMAL:
        return _into_decimal(source, target)
    if to in _INTEGRAL_DIGITS:
        return _into_integral(source, target)
    if to in _TIMESTAMPS:
        return bool(origin in _FRACTIONAL)
    if to == D.DATE:
        return bool(origin == D.TIMESTAMPNTZ)
    if to == D.TIMESTAMPNTZ:
        return bool(origin == D.DATE)
    return False


def _into_decimal(source: exp.DataType, target: exp.DataType) -> bool:
    origin = source.this
    if origin in _FRACTIONAL or origin in _TIMESTAMPS:
        return True
    if origin in _INTEGRAL_DIGITS:
        precision, scale = _decimal(target)
        return _INTEGRAL_DIGITS[origin] > precision - scale
    return False


def _into_integral(source: exp.DataType, target: exp.DataType) -> bool:
    origin = source.this
    if origin in _FRACTIONAL:
        return True
    if origin in _TIMESTAMPS:
        return bool(target.this != D.BIGINT)
    if origin == D.DECIMAL:
        precision, scale = _decimal(source)
        return scale > 0 or precision >= _INTEGRAL_DIGITS[target.this]
    return False


__all__ = ["forces_null", "source_of", "typed_literal"]
