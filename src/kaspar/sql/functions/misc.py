"""Miscellaneous functions: null helpers, bits, session information, masking and quoting."""

from __future__ import annotations

import builtins
import getpass
from typing import Any

from sqlglot import exp

from kaspar.engine.compile.cast_templates import raw_cast
from kaspar.engine.compile.typeof import TYPEOF
from kaspar.engine.seeded import calls
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._format_column import is_column_pattern, parsed_timestamp
from kaspar.sql.functions._invoke import (
    ColumnOrName,
    as_binary,
    as_text,
    build,
    names,
    node,
    renamed,
)

__all__ = [
    "assert_true",
    "bit_get",
    "bitmap_bit_position",
    "bitmap_bucket_number",
    "call_function",
    "current_catalog",
    "current_database",
    "current_path",
    "current_schema",
    "current_user",
    "decode",
    "encode",
    "equal_null",
    "format_number",
    "getbit",
    "input_file_block_length",
    "input_file_block_start",
    "input_file_name",
    "is_valid_utf8",
    "listagg_distinct",
    "make_valid_utf8",
    "mask",
    "monotonically_increasing_id",
    "nullifzero",
    "quote",
    "raise_error",
    "regexp_instr",
    "session_user",
    "spark_partition_id",
    "string_agg_distinct",
    "to_timestamp_ltz",
    "to_timestamp_ntz",
    "try_validate_utf8",
    "typeof",
    "user",
    "validate_utf8",
    "version",
    "zeroifnull",
]


def zeroifnull(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.Coalesce(this=e, expressions=[literal(0)]), f"zeroifnull({names(e)})")


def nullifzero(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.Nullif(this=e, expression=literal(0)), f"nullifzero({names(e)})")


def equal_null(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    a, b = to_expr(col1), to_expr(col2)
    return node(exp.NullSafeEQ(this=a, expression=b), f"equal_null({names(a, b)})")


def _bit(fn: str, col: ColumnOrName, pos: ColumnOrName | int) -> Column:
    e = to_expr(col)
    p = literal(pos) if isinstance(pos, int) else to_expr(pos)
    shifted = exp.BitwiseRightShift(this=e, expression=exp.cast(p, "INT"))
    value = exp.BitwiseAnd(this=exp.Paren(this=shifted), expression=literal(1))
    return node(exp.cast(value, "TINYINT"), f"{fn}({names(e, p)})")


def bit_get(col: ColumnOrName, pos: ColumnOrName | int) -> Column:
    return _bit("bit_get", col, pos)


def getbit(col: ColumnOrName, pos: ColumnOrName | int) -> Column:
    return _bit("getbit", col, pos)


def _constant(value: object, name: str) -> Column:
    return node(literal(value), name)


def current_catalog() -> Column:
    return _constant("spark_catalog", "current_catalog()")


def current_database() -> Column:
    return _constant("default", "current_schema()")


def current_schema() -> Column:
    return _constant("default", "current_schema()")


def current_user() -> Column:
    return _constant(getpass.getuser(), "current_user()")


def user() -> Column:
    return _constant(getpass.getuser(), "user()")


def session_user() -> Column:
    return _constant(getpass.getuser(), "session_user()")


def current_path() -> Column:
    """The function resolution path Spark searches."""
    return _constant("system.builtin,system.session,spark_catalog.default", "current_path()")


def version() -> Column:
    """The Spark version kaspar follows, and kaspar's in place of Spark's git revision."""
    from kaspar import __version__

    return _constant(f"4.3.0 kaspar-{__version__}", "version()")


def input_file_name() -> Column:
    """The URI of the file the row was read from, ``''`` without one (the analyzer resolves
    it: ``engine/plan/file_metadata.py``)."""
    return node(exp.Anonymous(this="input_file_name"), "input_file_name()")


def input_file_block_start() -> Column:
    """The start of the row's file block (0: a file is one block), -1 without a file."""
    return node(exp.Anonymous(this="input_file_block_start"), "input_file_block_start()")


def input_file_block_length() -> Column:
    """The length of the row's file block (the file's size), -1 without a file."""
    return node(exp.Anonymous(this="input_file_block_length"), "input_file_block_length()")


def call_function(funcName: str, *cols: ColumnOrName) -> Column:
    """A built-in function, or a Python function registered with ``spark.udf.register``
    (the session's registry is asked first, as Spark's catalog is)."""
    exprs = [to_expr(c) for c in cols]
    registered = _registered_udf(funcName)
    if registered is not None:
        return renamed(registered(*(Column(e) for e in exprs)), funcName, *exprs)
    return node(build(funcName, exprs), f"{funcName}({names(*exprs)})")


def _registered_udf(name: str) -> Any:
    from kaspar.sql.session import SparkSession

    session = SparkSession.getActiveSession()
    if session is None:
        return None
    functions = getattr(session.udf, "_functions", {})
    return functions.get(name.lower())


def regexp_instr(
    str: ColumnOrName,
    regexp: ColumnOrName | object,
    idx: Column | int | None = None,
) -> Column:
    # Spark gives the start of the whole match whatever the group ``idx`` names
    group = to_expr(idx) if isinstance(idx, Column) else literal(idx or 0)
    s = to_expr(str)
    # PySpark's ColumnOrName: a string names the column holding the pattern
    r = to_expr(regexp) if isinstance(regexp, Column | builtins.str) else literal(regexp)
    before = exp.Anonymous(
        this="list_extract",
        expressions=[
            exp.Anonymous(this="regexp_split_to_array", expressions=[s, r]),
            literal(1),
        ],
    )
    position = exp.Add(this=exp.Length(this=before), expression=literal(1))
    matches = exp.Anonymous(this="regexp_matches", expressions=[s.copy(), r.copy()])
    value = exp.Case(ifs=[exp.If(this=matches, true=position)], default=literal(0))
    guarded = exp.Case(
        ifs=[
            exp.If(
                this=exp.Or(this=s.is_(exp.null()), expression=r.is_(exp.null())), true=exp.null()
            )
        ],
        default=value,
    )
    return node(exp.cast(guarded, "INT"), f"regexp_instr({names(s, r, group)})")


def _char_class(cls: str, replacement: str | None) -> exp.If:
    return exp.If(
        this=exp.Anonymous(this="regexp_matches", expressions=[exp.column("c_mask"), literal(cls)]),
        true=literal(replacement) if replacement is not None else exp.column("c_mask"),
    )


def _mask_char(value: Column | str | None, default: str | None) -> str | None:
    if value is None:
        return default
    if isinstance(value, str):
        raise NotImplementedError("mask: the replacement characters must be literals (F.lit)")
    e = value.expr
    if isinstance(e, exp.Null):
        return None
    if isinstance(e, exp.Literal) and e.is_string:
        return str(e.this)
    raise NotImplementedError("mask: the replacement characters must be literals")


def mask(
    col: ColumnOrName,
    upperChar: Column | None = None,
    lowerChar: Column | None = None,
    digitChar: Column | None = None,
    otherChar: Column | None = None,
) -> Column:
    e = to_expr(col)
    chars = [
        _mask_char(upperChar, "X"),
        _mask_char(lowerChar, "x"),
        _mask_char(digitChar, "n"),
        _mask_char(otherChar, None),
    ]
    classes = zip(("^\\p{Lu}$", "^\\p{Ll}$", "^\\p{Nd}$"), chars[:3], strict=True)
    ifs = [_char_class(cls, ch) for cls, ch in classes]
    default = literal(chars[3]) if chars[3] is not None else exp.column("c_mask")
    body = exp.Case(ifs=ifs, default=default)
    lam = exp.Lambda(this=body, expressions=[exp.to_identifier("c_mask")])
    split = exp.Anonymous(this="string_split", expressions=[e, literal("")])
    joined = exp.Anonymous(
        this="array_to_string",
        expressions=[exp.Anonymous(this="list_transform", expressions=[split, lam]), literal("")],
    )
    empty = exp.EQ(this=exp.Length(this=e.copy()), expression=literal(0))
    value = exp.Case(ifs=[exp.If(this=empty, true=literal(""))], default=joined)
    args = [literal(v) if v is not None else exp.null() for v in chars]
    return node(value, f"mask({names(e, *args)})")


def quote(col: ColumnOrName) -> Column:
    e = as_text(col).expr
    escaped = exp.Anonymous(this="replace", expressions=[e, literal("'"), literal("\\'")])
    value = exp.DPipe(
        this=exp.DPipe(this=literal("'"), expression=escaped), expression=literal("'")
    )
    return node(value, f"quote({names(e)})")


def to_timestamp_ltz(timestamp: ColumnOrName, format: ColumnOrName | None = None) -> Column:
    e = to_expr(timestamp)
    if format is None:
        value = exp.Cast(this=e, to=exp.DataType.build("TIMESTAMPTZ"))
        return node(value, f"to_timestamp_ltz({names(e)})")
    f = to_expr(format)
    if is_column_pattern(f):
        zoned = raw_cast(parsed_timestamp(e, f), "TIMESTAMPTZ")
        return node(zoned, f"to_timestamp_ltz({names(e, f)})")
    return node(build("to_timestamp", [e, f]), f"to_timestamp_ltz({names(e, f)})")


def to_timestamp_ntz(timestamp: ColumnOrName, format: ColumnOrName | None = None) -> Column:
    e = to_expr(timestamp)
    if format is None:
        value = exp.Cast(this=e, to=exp.DataType.build("TIMESTAMP"))
        return node(value, f"to_timestamp_ntz({names(e)})")
    f = to_expr(format)
    if is_column_pattern(f):
        return node(parsed_timestamp(e, f), f"to_timestamp_ntz({names(e, f)})")
    parsed = exp.Cast(this=build("to_timestamp", [e, f]), to=exp.DataType.build("TIMESTAMP"))
    return node(parsed, f"to_timestamp_ntz({names(e, f)})")


def spark_partition_id() -> Column:
    """The row's partition (docs/partitions.md)."""
    return node(calls.partition_id(), "SPARK_PARTITION_ID()")


def raise_error(errMsg: ColumnOrName) -> Column:
    """Fails the query with Spark's ``USER_RAISED_EXCEPTION`` and the message."""
    message = literal(errMsg) if isinstance(errMsg, str) else to_expr(errMsg)
    text = exp.DPipe(this=literal("[USER_RAISED_EXCEPTION] "), expression=message)
    value = exp.Anonymous(this="error", expressions=[text])
    return node(value, f"raise_error({names(message)})")


def assert_true(col: ColumnOrName, errMsg: ColumnOrName | None = None) -> Column:
    """NULL when ``col`` is true, else ``raise_error`` (Spark's message names the condition)."""
    condition = to_expr(col)
    if errMsg is None:
        message: exp.Expr = literal(f"'{names(condition)}' is not true!")
    else:
        message = literal(errMsg) if isinstance(errMsg, str) else to_expr(errMsg)
    text = exp.DPipe(this=literal("[USER_RAISED_EXCEPTION] "), expression=message)
    error = exp.Anonymous(this="error", expressions=[text])
    value = exp.Case(ifs=[exp.If(this=condition, true=exp.null())], default=error)
    return node(value, f"assert_true({names(condition, message)})")


def typeof(col: ColumnOrName) -> Column:
    """The Spark type name of ``col`` (resolved before the query runs: ``compile/typeof``)."""
    e = to_expr(col)
    call = exp.Anonymous(this="typeof", expressions=[e])
    call.meta[TYPEOF] = True
    return node(call, f"typeof({names(e)})")


def monotonically_increasing_id() -> Column:
    """The partition id shifted left 33 bits plus the row's index within its partition."""
    return node(calls.monotonic_id(), "monotonically_increasing_id()")


_UTF8 = {"UTF-8", "UTF8"}


def encode(col: ColumnOrName, charset: str) -> Column:
    if charset.upper() not in _UTF8:
        raise NotImplementedError(f"encode: charset {charset!r} is not supported (UTF-8 only)")
    e = as_text(col).expr
    return node(exp.Anonymous(this="encode", expressions=[e]), f"encode({names(e)}, {charset})")


def decode(col: ColumnOrName, charset: str) -> Column:
    if charset.upper() not in _UTF8:
        raise NotImplementedError(f"decode: charset {charset!r} is not supported (UTF-8 only)")
    e = as_binary(col).expr
    return node(exp.Anonymous(this="decode", expressions=[e]), f"decode({names(e)}, {charset})")


def format_number(col: ColumnOrName, d: int) -> Column:
    e = to_expr(col)
    name = f"format_number({names(e)}, {d})"
    if d < 0:
        return node(exp.cast(exp.null(), "VARCHAR"), name)
    pattern = literal("{:,." + str(d) + "f}")
    formatted = exp.Anonymous(this="format", expressions=[pattern, exp.cast(e, "DOUBLE")])
    value = exp.Case(
        ifs=[exp.If(this=e.copy().is_(exp.null()), true=exp.null())], default=formatted
    )
    return node(value, name)


def _agg_distinct(fn: str, col: ColumnOrName, delimiter: object) -> Column:
    from kaspar.sql.functions._listagg import string_agg_distinct_call

    return string_agg_distinct_call(fn, col, delimiter)


def string_agg_distinct(col: ColumnOrName, delimiter: object = None) -> Column:
    return _agg_distinct("string_agg", col, delimiter)


def listagg_distinct(col: ColumnOrName, delimiter: object = None) -> Column:
    return _agg_distinct("listagg", col, delimiter)


def _bitmap(fn: str, col: ColumnOrName, positive: exp.Expr, other: exp.Expr) -> Column:
    e = to_expr(col)
    value = exp.Case(
        ifs=[exp.If(this=exp.GT(this=e.copy(), expression=literal(0)), true=positive)],
        default=other,
    )
    return node(exp.cast(value, "BIGINT"), f"{fn}({names(e)})")


def bitmap_bucket_number(col: ColumnOrName) -> Column:
    e = exp.cast(to_expr(col), "BIGINT")
    minus_one = exp.Paren(this=exp.Sub(this=e.copy(), expression=literal(1)))
    positive = exp.Add(
        this=exp.IntDiv(this=minus_one, expression=literal(32768)), expression=literal(1)
    )
    other = exp.IntDiv(this=e.copy(), expression=literal(32768))
    return _bitmap("bitmap_bucket_number", col, positive, other)


def bitmap_bit_position(col: ColumnOrName) -> Column:
    e = exp.cast(to_expr(col), "BIGINT")
    minus_one = exp.Paren(this=exp.Sub(this=e.copy(), expression=literal(1)))
    positive = exp.Mod(this=minus_one, expression=literal(32768))
    other = exp.Mod(this=exp.Paren(this=exp.Neg(this=e.copy())), expression=literal(32768))
    return _bitmap("bitmap_bit_position", col, positive, other)


# DuckDB strings are always valid UTF-8, so on strings these are identities (or true).
def is_valid_utf8(str: ColumnOrName) -> Column:
    e = to_expr(str)
    value = exp.Case(
        ifs=[exp.If(this=e.copy().is_(exp.null()), true=exp.null())], default=exp.true()
    )
    return node(value, f"is_valid_utf8({names(e)})")


def _same_string(fn: str, col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.cast(e, "VARCHAR"), f"{fn}({names(e)})")


def make_valid_utf8(str: ColumnOrName) -> Column:
    return _same_string("make_valid_utf8", str)


def validate_utf8(str: ColumnOrName) -> Column:
    return _same_string("validate_utf8", str)


def try_validate_utf8(str: ColumnOrName) -> Column:
    return _same_string("try_validate_utf8", str)
