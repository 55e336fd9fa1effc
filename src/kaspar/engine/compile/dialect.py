"""sqlglot dialects for Spark SQL in and DuckDB SQL out, with Spark's semantics.

``KasparSpark`` parses Spark SQL (``expr()``, ``selectExpr()``, ``spark.sql()``); it differs from
sqlglot's Spark only in parsing ``CAST`` as a strict cast, so that ANSI mode (pyspark 4's default)
can raise on malformed input. ``KasparDuckDB`` generates DuckDB SQL from the same trees:

* ``CAST`` stays ``CAST`` in ANSI mode (failures raise, as in Spark) and becomes ``TRY_CAST`` in
  ``KasparDuckDBLegacy`` (``spark.sql.ansi.enabled=false``: failures give NULL).
* ``/`` is never rewritten with ``NULLIF`` in ANSI mode: DuckDB raises on division by zero like
  Spark; in legacy mode division by zero yields NULL.
* Null ordering is always written out (Spark: NULLS FIRST ascending, NULLS LAST descending).
* With the session time zone at UTC (``KasparDuckDBUtc``), ``date_trunc`` to a unit of a week
  or less is floor arithmetic on epoch microseconds instead of DuckDB's ``DATE_TRUNC`` on
  ``TIMESTAMPTZ``, which goes through ICU's calendar and is several times slower.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.spark import Spark
from sqlglot.generators.duckdb import DuckDBGenerator
from sqlglot.parsers.spark import SparkParser
from sqlglot.tokenizer_core import TokenType

from kaspar.engine.compile import (
    counter_diff,
    datetime_functions,
    function_rewrites,
    math_functions,
    reverse,
    to_char,
)
from kaspar.engine.compile.ansi_interval_casts import cast_to_interval
from kaspar.engine.compile.ansi_interval_literals import (
    ansi_interval_literal,
    is_interval_literal,
)
from kaspar.engine.compile.ansi_interval_text import interval_cast
from kaspar.engine.compile.arrays_zip import ZIP_FIELDS, field_name, zipped
from kaspar.engine.compile.cast_nested_text import is_nested, nested_text
from kaspar.engine.compile.cast_sources import BINARY, INTEGRAL, KEEP_BINARY, SOURCE_TYPE, TEXT
from kaspar.engine.compile.cast_spark import spark_cast
from kaspar.engine.compile.cast_templates import ANSI_ONLY, RAW
from kaspar.engine.compile.cast_time import time_cast
from kaspar.engine.compile.datetime_patterns import spark_to_strftime
from kaspar.engine.compile.hash_types import HASH_FUNCTIONS, refuse_maps
from kaspar.engine.compile.integral_divide import spark_div
from kaspar.engine.compile.nanos_timestamps import nanos_cast, nanos_literal
from kaspar.engine.compile.typeof import TYPEOF
from kaspar.engine.sketches.sql_names import SQL_NAMES as SKETCH_SQL_NAMES

_BUILTIN_SQL_NAMES = (
    "hash",
    "xxhash64",
    "crc32",
    "soundex",
    "to_base32",
    "from_base32",
    "jaro_winkler_similarity",
)


def _named_struct(args: list[exp.Expr]) -> exp.Expr:
    """``named_struct('a', x)``: a struct, named ``named_struct(a, x)`` as in Spark."""
    from kaspar.engine.plan.naming import SPARK_NAME, output_name

    fields = [
        exp.PropertyEQ(this=exp.to_identifier(k.name), expression=v)
        for k, v in zip(args[::2], args[1::2], strict=False)
    ]
    struct = exp.Struct(expressions=fields)
    struct.meta[SPARK_NAME] = f"named_struct({', '.join(output_name(a) for a in args)})"
    return struct


def _arrays_zip(args: list[exp.Expr]) -> exp.Expr:
    """``arrays_zip(a, b)``, its field names fixed before columns are resolved to ids."""
    call = exp.ArraysZip(expressions=args)
    call.meta[ZIP_FIELDS] = [field_name(a, i) for i, a in enumerate(args)]
    return call


def _variant(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    """A Spark SQL call of a variant function (``kaspar.engine.variant.sql``)."""

    def build(args: list[exp.Expr]) -> exp.Expr:
        from kaspar.engine.plan.naming import SPARK_NAME, output_name
        from kaspar.engine.variant.sql import sql_call  # variant.sql -> udf -> this module

        if len(args) == _VARIANT_DEFAULT_AT.get(name):  # Spark names the default flag
            args = [*args, exp.true()]
        call = sql_call(name, args)
        call.meta[SPARK_NAME] = f"{name}({', '.join(output_name(a) for a in args)})"
        return call

    return build


# Functions whose last argument defaults to true, by the number of arguments before it.
_VARIANT_DEFAULT_AT = {"variant_strip_nulls": 1, "variant_set": 3, "try_variant_set": 3}
_VARIANT_SQL_NAMES = (
    "parse_json",
    "try_parse_json",
    "is_variant_null",
    "is_valid_variant",
    "variant_get",
    "try_variant_get",
    "schema_of_variant",
    "schema_of_variant_agg",
    "to_variant_object",
    "variant_delete",
    "variant_strip_nulls",
    "variant_array_append",
    "try_variant_array_append",
    "variant_set",
    "try_variant_set",
    "variant_insert",
    "try_variant_insert",
)


def _xpath(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    """A Spark SQL call of an ``xpath*`` function (``kaspar.engine.xml.xpath``)."""

    def build(args: list[exp.Expr]) -> exp.Expr:
        from kaspar.engine.plan.naming import SPARK_NAME, output_name
        from kaspar.engine.xml.xpath import call  # xpath -> udf -> this module

        built = call(name, *args)
        built.meta[SPARK_NAME] = f"{name}({', '.join(output_name(a) for a in args)})"
        return built

    return build


_XPATH_SQL_NAMES = (
    "xpath",
    "xpath_string",
    "xpath_boolean",
    "xpath_double",
    "xpath_number",
    "xpath_float",
    "xpath_int",
    "xpath_long",
    "xpath_short",
    "from_xml",
    "to_xml",
    "schema_of_xml",
)


def _builtin(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    """A Spark SQL call of a Python built-in (``kaspar.engine.builtins``), named as Spark does."""

    def build(args: list[exp.Expr]) -> exp.Expr:
        # Imported here: kaspar.engine.builtins -> udf -> this module.
        from kaspar.engine.builtins import BUILTINS
        from kaspar.engine.plan.naming import SPARK_NAME, output_name

        call = exp.Anonymous(this=BUILTINS[name], expressions=args)
        call.meta[SPARK_NAME] = f"{name}({', '.join(output_name(a) for a in args)})"
        if name in HASH_FUNCTIONS:
            return refuse_maps(call, name, call.meta[SPARK_NAME])
        return call

    return build


def _sketch(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    """A Spark SQL call of a sketch function (``kaspar.engine.sketches.sql_calls``)."""

    def build(args: list[exp.Expr]) -> exp.Expr:
        from kaspar.engine.sketches.sql_calls import sql_call  # sketches -> udf -> this module

        return sql_call(name, args)

    return build


def _approx_count_distinct(args: list[exp.Expr]) -> exp.Expr:
    """Spark SQL's ``approx_count_distinct(x[, rsd])``: Spark's HyperLogLog++."""
    from kaspar.engine.sketches.hllpp_calls import approx_count_distinct  # -> udf -> here

    rsd = args[1] if len(args) > 1 else None
    if rsd is not None and not isinstance(rsd, exp.Literal):
        return exp.ApproxDistinct(this=args[0], accuracy=rsd)  # DuckDB's refusal
    return approx_count_distinct(args[0], None if rsd is None else float(rsd.this))


def _try_arithmetic(name: str, op: type[exp.Binary]) -> Callable[[list[exp.Expr]], exp.Expr]:
    """A Spark SQL ``try_add`` / ``try_subtract`` / ``try_multiply`` / ``try_divide`` call."""

    def build(args: list[exp.Expr]) -> exp.Expr:
        from kaspar.engine.compile.ansi_interval_arithmetic import try_arithmetic
        from kaspar.engine.plan.naming import SPARK_NAME, output_name

        call = try_arithmetic(op, args[0], args[1])
        call.meta[SPARK_NAME] = f"{name}({', '.join(output_name(a) for a in args)})"
        return call

    return build


_TRY_ARITHMETIC: dict[str, type[exp.Binary]] = {
    "try_add": exp.Add,
    "try_subtract": exp.Sub,
    "try_multiply": exp.Mul,
    "try_divide": exp.Div,
}


def _typeof(args: list[exp.Expr]) -> exp.Expr:
    call = exp.Anonymous(this="typeof", expressions=args)
    call.meta[TYPEOF] = True  # resolved to a literal before generation (compile/typeof.py)
    return call


# A TABLE argument's clauses (``TABLE(t) PARTITION BY k ORDER BY v``), kept in its meta.
TABLE_PARTITION_BY = "table_partition_by"
TABLE_ORDER_BY = "table_order_by"
TABLE_SINGLE_PARTITION = "table_single_partition"


def _date_format(x: exp.Expr, pattern: str) -> exp.Expr:
    """Spark SQL's ``date_format(x, 'pattern')`` as the Spark parser builds it."""
    return exp.TimeToStr(
        this=exp.TimeStrToTime(this=x), format=KasparSpark.format_time(exp.Literal.string(pattern))
    )


# Typed datetime literals Spark names by their keyword and text (``DATE '2024-01-31'``) when
# the text is already in Spark's canonical form (seconds, a fraction without trailing zeros).
_LITERAL_KEYWORDS = {
    exp.DataType.Type.DATE: ("DATE", r"\d{4}-\d{2}-\d{2}"),
    exp.DataType.Type.TIMESTAMPTZ: (
        "TIMESTAMP",
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d*[1-9])?",
    ),
    exp.DataType.Type.TIMESTAMPNTZ: (
        "TIMESTAMP_NTZ",
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d*[1-9])?",
    ),
}


def _typed_literal(parser: Any, this: exp.Expr, to: exp.DataType) -> exp.Expr:
    """``DATE '...'`` and its kin: a cast, named as Spark names the literal."""
    from kaspar.engine.plan.naming import SPARK_NAME

    cast = exp.Cast(this=this, to=to)
    keyword, canonical = _LITERAL_KEYWORDS[to.this]
    if isinstance(this, exp.Literal) and re.fullmatch(canonical, this.this):
        cast.meta[SPARK_NAME] = f"{keyword} '{this.this}'"
    return cast


# Builders of Spark SQL function calls that come before sqlglot's: (name, arguments) -> the call,
# or None to leave it to sqlglot's. The SQL layer registers one that builds some calls with
# its DataFrame functions (``kaspar.sql._sql_function_bridge``).
SQL_FUNCTION_HOOKS: list[Callable[[str, list[exp.Expr]], exp.Expr | None]] = []
_PARSING = threading.local()  # set while Spark SQL text is parsed (not for ``exp.func`` calls)
_USER_SQL = threading.local()  # set while the SQL layer parses a user's text (``user_sql``)


@contextlib.contextmanager
def user_sql() -> Iterator[None]:
    """While it is open, Spark SQL text parsed here is the user's: the hooks apply to it (not to
    the SQL kaspar writes and parses itself)."""
    outer = getattr(_USER_SQL, "active", False)
    _USER_SQL.active = True
    try:
        yield
    finally:
        _USER_SQL.active = outer


def _hooked(name: str, build: Callable[..., exp.Expr]) -> Callable[..., exp.Expr]:
    takes_dialect = "dialect" in build.__code__.co_varnames if hasattr(build, "__code__") else False

    def hooked(args: list[exp.Expr], dialect: Any = None) -> exp.Expr:
        parsing = getattr(_PARSING, "active", False)
        _PARSING.active = False  # SQL the builders parse themselves is theirs, not the user's
        try:
            built = None
            for hook in SQL_FUNCTION_HOOKS if parsing else ():
                built = hook(name, args)
                if built is not None:
                    break
            if built is None and not takes_dialect:
                built = build(args)
            elif built is None:
                built = build(args, dialect=dialect or Dialect.get_or_raise(KasparSpark))
        finally:
            _PARSING.active = parsing
        if parsing:  # the operators and calls the builder wrote are not the user's
            from kaspar.engine.compile.ansi_interval_sql import mark_operators  # -> here

            mark_operators(args, built)
            _mark_built_calls(args, built)
        return built

    return hooked


BUILT_CALL = "kaspar_built_call"  # meta: a call a builder wrote (not in the user's text)
_USER_CALL = "kaspar_user_call"


def _mark_built_calls(user: list[exp.Expr], built: exp.Expr) -> None:
    """The anonymous calls in ``built`` that are not in the user's arguments ``user``."""
    for argument in user:
        for node in argument.find_all(exp.Anonymous):
            node.meta[_USER_CALL] = True
    for node in built.find_all(exp.Anonymous):
        if not node.meta.get(_USER_CALL):
            node.meta[BUILT_CALL] = True


class KasparSpark(Spark):
    """Spark SQL as pyspark 4 parses it (strict ``CAST``, Spark datetime patterns)."""

    class Parser(SparkParser):
        STRICT_CAST = True
        TYPE_LITERAL_PARSERS: ClassVar[dict[Any, Callable[..., exp.Expr]]] = {
            **SparkParser.TYPE_LITERAL_PARSERS,
            **dict.fromkeys(_LITERAL_KEYWORDS, _typed_literal),
        }
        COLON_IS_VARIANT_EXTRACT = True  # Spark 4's v:a.b[0] (kaspar.engine.variant.sql)
        FUNCTIONS: ClassVar[dict[str, Callable[..., exp.Expr]]] = {
            **SparkParser.FUNCTIONS,
            # Spark's own trunc(date, fmt) (sqlglot's DateTrunc normalises 'q' to a quarter).
            "TRUNC": lambda args: exp.Anonymous(this="trunc", expressions=args),
            "TYPEOF": _typeof,
            "NAMED_STRUCT": _named_struct,
            "ARRAYS_ZIP": _arrays_zip,
            "APPROX_COUNT_DISTINCT": _approx_count_distinct,
            "REVERSE": reverse.reverse,
            "MONTHS_BETWEEN": datetime_functions.months_between,
            "FROM_UTC_TIMESTAMP": datetime_functions.from_utc_timestamp,
            "TO_UTC_TIMESTAMP": datetime_functions.to_utc_timestamp,
            "TO_CHAR": lambda args: to_char.sql_call("to_char", args, _date_format),
            "TO_VARCHAR": lambda args: to_char.sql_call("to_varchar", args, _date_format),
            "TO_NUMBER": lambda args: to_char.sql_to_number("to_number", args),
            "TRY_TO_NUMBER": lambda args: to_char.sql_to_number("try_to_number", args),
            **{name.upper(): _builtin(name) for name in _BUILTIN_SQL_NAMES},
            **{name.upper(): _variant(name) for name in _VARIANT_SQL_NAMES},
            **{name.upper(): _xpath(name) for name in _XPATH_SQL_NAMES},
            **{name.upper(): _sketch(name) for name in SKETCH_SQL_NAMES},
            **{name.upper(): _try_arithmetic(name, op) for name, op in _TRY_ARITHMETIC.items()},
        }

        FUNCTIONS = {name: _hooked(name, build) for name, build in FUNCTIONS.items()}
        BRIDGE_FUNCTIONS = True  # SQL_FUNCTION_HOOKS apply (not in dialects built on this one)

        def parse(self, raw_tokens: list[Any], sql: str) -> list[exp.Expr | None]:
            """Each statement with its interval arithmetic rewritten (``ansi_interval_sql``)."""
            from kaspar.engine.compile.ansi_interval_sql import interval_operations

            outer = getattr(_PARSING, "active", False)
            _PARSING.active = self.BRIDGE_FUNCTIONS and getattr(_USER_SQL, "active", False)
            try:
                trees = super().parse(raw_tokens, sql)
            finally:
                _PARSING.active = outer
            for tree in trees:
                for window in () if tree is None else tree.find_all(exp.Window):
                    window.meta[USER_WINDOW] = True
            return [
                None
                if t is None
                else interval_operations(t.transform(nanos_literal).transform(spark_div))
                for t in trees
            ]

        def _parse_interval(
            self, require_interval: bool = True, parse_function_unit: bool = True
        ) -> Any:
            """An interval literal is an ANSI interval (``ansi_interval_literals``)."""
            parsed = super()._parse_interval(require_interval, parse_function_unit)
            if parsed is None or not require_interval or not is_interval_literal(parsed):
                return parsed
            return ansi_interval_literal(parsed)

        def _parse_lambda(self, alias: bool = False) -> exp.Expr | None:
            """A table function's ``TABLE(t) PARTITION BY k ORDER BY v`` (or ``WITH SINGLE
            PARTITION``) argument: the clauses ride in the TABLE call's meta."""
            this = super()._parse_lambda(alias=alias)
            if not (isinstance(this, exp.Anonymous) and this.name.upper() == "TABLE"):
                return this
            if self._match_text_seq("WITH", "SINGLE", "PARTITION"):
                this.meta[TABLE_SINGLE_PARTITION] = True
            elif self._match(TokenType.PARTITION_BY):
                this.meta[TABLE_PARTITION_BY] = self._parse_csv(self._parse_disjunction)
            if self._match(TokenType.ORDER_BY):
                this.meta[TABLE_ORDER_BY] = self._parse_csv(self._parse_ordered)
            return this

        def _parse_colon_as_variant_extract(self, this: exp.Expr | None) -> exp.Expr | None:
            from kaspar.engine.variant.sql import colon_paths  # -> udf -> this module

            parsed = super()._parse_colon_as_variant_extract(this)
            return colon_paths(parsed) if parsed is not None else None

    @classmethod
    def format_time(cls, expression: str | exp.Expr | None) -> exp.Expr | None:
        """Spark datetime patterns become DuckDB formats (``datetime_patterns``)."""
        text = expression[1:-1] if isinstance(expression, str) else None
        if isinstance(expression, exp.Expr) and expression.is_string:
            text = expression.this
        if text is None:
            return super().format_time(expression)
        try:
            return exp.Literal.string(spark_to_strftime(text))
        except ValueError:
            return super().format_time(expression)


# Spark returns INT where DuckDB returns BIGINT; floor/ceil of a double are BIGINT in Spark.
_INT_RESULTS: tuple[type[exp.Expr], ...] = (
    exp.Year,
    exp.Month,
    exp.Day,
    exp.DayOfMonth,
    exp.DayOfYear,
    exp.Quarter,
    exp.Hour,
    exp.Minute,
    exp.Second,
    exp.WeekOfYear,
    exp.Length,
    exp.StrPosition,
    exp.ArraySize,
    exp.DateDiff,
    exp.Levenshtein,
)
_BIGINT_RESULTS: tuple[type[exp.Expr], ...] = (exp.Floor, exp.Ceil)
_DATE_RESULTS: tuple[type[exp.Expr], ...] = (exp.TsOrDsAdd, exp.AddMonths)
_PARENT_GROUP_CONCAT = DuckDBGenerator.TRANSFORMS[exp.GroupConcat]


def _group_concat(self: Any, e: exp.GroupConcat) -> str:
    """Spark's ``listagg`` / ``string_agg`` without a delimiter join with none (DuckDB: ',')."""
    if e.args.get("separator") is None:
        e = e.copy()
        e.set("separator", exp.Literal.string(""))
    return str(_PARENT_GROUP_CONCAT(self, e))


_INT_WINDOW_FUNCTIONS = frozenset({"row_number", "rank", "dense_rank", "ntile"})
# window functions Spark refuses over a window without ORDER BY
_ORDERED_WINDOW_FUNCTIONS = {
    exp.RowNumber: "row_number",
    exp.Rank: "rank",
    exp.DenseRank: "dense_rank",
    exp.PercentRank: "percent_rank",
    exp.CumeDist: "cume_dist",
    exp.Ntile: "ntile",
    exp.Lag: "lag",
    exp.Lead: "lead",
    exp.NthValue: "nth_value",
}


USER_WINDOW = "kaspar_user_window"  # meta: a window the user wrote (not one kaspar builds)


def _check_ordered(window: exp.Window) -> None:
    """Spark's WINDOW_FUNCTION_FRAME_NOT_ORDERED for a ranking or offset function over a
    window the user wrote without ORDER BY."""
    if not window.meta.get(USER_WINDOW):
        return
    func = window.this
    if isinstance(func, exp.Anonymous):
        name = func.name.lower()
        if name not in _ORDERED_WINDOW_FUNCTIONS.values():
            return
    else:
        found = _ORDERED_WINDOW_FUNCTIONS.get(type(func))
        if found is None:
            return
        name = found
    order = window.args.get("order")
    if order is not None and order.expressions:
        return
    from kaspar.errors import AnalysisException

    example = f"{name}(...) OVER (PARTITION BY window_partition ORDER BY window_ordering)"
    raise AnalysisException(
        f"Window function {name} requires the window to be ordered. You need to add an "  # noqa: S608
        f"ORDER BY clause. For example: SELECT {example} from table.",
        "WINDOW_FUNCTION_FRAME_NOT_ORDERED",
    )


_PARENT_REGEXP_SPLIT = DuckDBGenerator.TRANSFORMS.get(exp.RegexpSplit)
_REGEX_METACHARACTERS = frozenset(".^$*+?{}[]\\|()")


def _regexp_split(self: Any, e: exp.RegexpSplit) -> str:
    """Spark's ``split`` takes a regex; a literal without metacharacters splits the same way
    with DuckDB's plain ``string_split``, which is several times faster than the regex one."""
    pattern = e.expression
    if (
        isinstance(pattern, exp.Literal)
        and pattern.is_string
        and pattern.this
        and not _REGEX_METACHARACTERS.intersection(pattern.this)
    ):
        return str(self.func("STRING_SPLIT", e.this, pattern))
    if _PARENT_REGEXP_SPLIT is not None:
        return str(_PARENT_REGEXP_SPLIT(self, e))
    return str(self.func("STR_SPLIT_REGEX", e.this, pattern))


# Microseconds per date_trunc unit that is a fixed length in UTC (Spark's unit names), and the
# offset of the first bucket from the epoch (weeks start on Monday; 1970-01-01 was a Thursday).
_DAY_US = 86_400_000_000
_FIXED_UNITS_US: dict[str, tuple[int, int]] = {
    "MICROSECOND": (1, 0),
    "MILLISECOND": (1_000, 0),
    "SECOND": (1_000_000, 0),
    "MINUTE": (60_000_000, 0),
    "HOUR": (3_600_000_000, 0),
    "DAY": (_DAY_US, 0),
    "DD": (_DAY_US, 0),
    "WEEK": (7 * _DAY_US, 4 * _DAY_US),
}
_PARENT_TIMESTAMP_TRUNC = DuckDBGenerator.timestamptrunc_sql


def _utc_timestamp_trunc(e: exp.TimestampTrunc) -> exp.Expr | None:
    """``date_trunc(unit, t)`` in UTC as ``make_timestamptz(us - floor_mod(us - offset, size))``
    over ``us = epoch_us(CAST(t AS TIMESTAMPTZ))`` (Spark casts the argument to TIMESTAMP)."""
    unit = e.args.get("unit")
    fixed = _FIXED_UNITS_US.get(unit.name.upper()) if unit is not None else None
    if fixed is None or e.args.get("zone") is not None:
        return None
    size, offset = fixed
    ts = exp.Cast(this=e.this.copy(), to=exp.DataType.build("TIMESTAMPTZ"))
    us = exp.Anonymous(this="EPOCH_US", expressions=[ts])
    if size == 1:
        return ts
    shifted = (
        us.copy() if offset == 0 else exp.paren(exp.Sub(this=us.copy(), expression=_num(offset)))
    )
    size_lit = _num(size)
    rem = exp.Mod(this=shifted, expression=size_lit)
    floor_mod = exp.Mod(
        this=exp.Paren(this=exp.Add(this=rem, expression=size_lit.copy())),
        expression=size_lit.copy(),
    )
    start = exp.Sub(this=us, expression=exp.Paren(this=floor_mod))
    return exp.Anonymous(this="MAKE_TIMESTAMPTZ", expressions=[start])


def _num(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def _cast_result(cls: type[exp.Expr], to: str) -> Callable[[Any, Any], str]:
    parent = DuckDBGenerator.TRANSFORMS.get(cls)
    method = getattr(DuckDBGenerator, f"{cls.key}_sql", None)

    def transform(self: Any, e: Any) -> str:
        if parent is not None:
            inner = parent(self, e)
        elif method is not None:
            inner = method(self, e)
        else:
            inner = self.function_fallback_sql(e)
        return f"CAST({inner} AS {to})"

    return transform


def _spark_integral_cast(cast: exp.Cast, ansi: bool) -> exp.Cast:
    """Spark's cast to an integral type: fractions truncate; ANSI refuses ``'1.5'``."""
    source = str(cast.meta.get(SOURCE_TYPE, "")).upper()
    operand = cast.this
    if cast.to.this not in INTEGRAL:
        return cast
    if source.startswith(("FLOAT", "DOUBLE", "DECIMAL")):
        operand = exp.Anonymous(this="TRUNC", expressions=[operand.copy()])
    elif source == "VARCHAR" and ansi:
        text = exp.Trim(this=operand.copy())
        valid = exp.RegexpFullMatch(this=text.copy(), expression=exp.Literal.string(r"[+-]?[0-9]+"))
        message = exp.DPipe(
            this=exp.Literal.string("Could not convert string '"),
            expression=exp.DPipe(this=operand.copy(), expression=exp.Literal.string("' to INT")),
        )
        error = exp.Anonymous(this="error", expressions=[message])
        operand = exp.If(
            this=exp.Or(this=exp.Is(this=operand.copy(), expression=exp.Null()), expression=valid),
            true=text,
            false=error,
        )
    else:
        return cast
    return exp.Cast(this=operand, to=cast.to.copy())


def _str_to_unix(self: DuckDBGenerator, e: exp.StrToUnix) -> str:
    """Spark's ``unix_timestamp``: seconds since the epoch, rounded down, of a timestamp or
    date as it is, or of a string parsed with the format."""
    source = str(e.meta.get(SOURCE_TYPE, "")).upper()
    if source.startswith(("TIMESTAMP", "DATE")):
        moment = f"CAST({self.sql(e, 'this')} AS TIMESTAMPTZ)"
    else:
        moment = f"CAST(STRPTIME({self.sql(e, 'this')}, {self.sql(e, 'format')}) AS TIMESTAMPTZ)"
    return f"CAST(FLOOR(EPOCH({moment})) AS BIGINT)"


class KasparDuckDB(DuckDB):
    """DuckDB SQL with Spark's ANSI-mode semantics."""

    ANSI: ClassVar[bool] = True
    UTC: ClassVar[bool] = False  # the session time zone is UTC
    NULL_ORDERING = "nulls_are_small"

    class Generator(DuckDBGenerator):
        TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
            **DuckDBGenerator.TRANSFORMS,
            **{cls: _cast_result(cls, "INTEGER") for cls in _INT_RESULTS},
            **{cls: _cast_result(cls, "BIGINT") for cls in _BIGINT_RESULTS},
            **{cls: _cast_result(cls, "DATE") for cls in _DATE_RESULTS},
            exp.DayOfWeek: lambda self, e: f"CAST(DAYOFWEEK({self.sql(e, 'this')}) + 1 AS INTEGER)",
            exp.StrToTime: _cast_result(exp.StrToTime, "TIMESTAMPTZ"),
            exp.StrToUnix: _str_to_unix,
            exp.RegexpSplit: _regexp_split,
            exp.ArgMax: lambda self, e: self.func("ARG_MAX_NULL", e.this, e.expression),
            exp.ArgMin: lambda self, e: self.func("ARG_MIN_NULL", e.this, e.expression),
            exp.IsNan: lambda self, e: f"COALESCE(ISNAN({self.sql(e, 'this')}), FALSE)",
            exp.GroupConcat: _group_concat,
        }
        TRANSFORMS.pop(exp.ArraySort, None)  # arraysort_sql: Spark's null ordering

        def timestamptrunc_sql(self, expression: exp.TimestampTrunc) -> str:
            if self.dialect.UTC:  # type: ignore[attr-defined]
                rewritten = _utc_timestamp_trunc(expression)
                if rewritten is not None:
                    return self.sql(rewritten)
            # Spark casts the argument to TIMESTAMP (a no-op cast for TIMESTAMPTZ columns).
            this = exp.Cast(this=expression.this.copy(), to=exp.DataType.build("TIMESTAMPTZ"))
            cast = expression.copy()
            cast.set("this", this)
            return _PARENT_TIMESTAMP_TRUNC(self, cast)

        def arraysort_sql(self, expression: exp.ArraySort) -> str:
            rewritten = function_rewrites.array_sort(expression)
            if rewritten is None:
                return str(DuckDBGenerator.TRANSFORMS[exp.ArraySort](self, expression))
            return self.sql(rewritten)

        def arrayszip_sql(self, expression: exp.ArraysZip) -> str:
            names = expression.meta.get(ZIP_FIELDS)
            return self.sql(zipped(list(expression.expressions), names))

        def ln_sql(self, expression: exp.Ln) -> str:
            guarded = math_functions.guarded_log(expression)
            return self.function_fallback_sql(expression) if guarded is None else self.sql(guarded)

        def log_sql(self, expression: exp.Log) -> str:
            guarded = math_functions.guarded_log(expression)
            return super().log_sql(expression) if guarded is None else self.sql(guarded)

        def anonymous_sql(self, expression: exp.Anonymous) -> str:
            if str(expression.this) == ANSI_ONLY:  # an error raised in ANSI mode only
                ansi = self.dialect.ANSI  # type: ignore[attr-defined]
                return self.sql(expression.expressions[0]) if ansi else "NULL"
            rewritten = function_rewrites.anonymous(expression)
            if rewritten is None:
                return super().anonymous_sql(expression)
            return self.sql(rewritten)

        def substringindex_sql(self, expression: exp.SubstringIndex) -> str:
            args = [expression.this, expression.args["delimiter"], expression.args["count"]]
            rewritten = function_rewrites.substring_index([a.copy() for a in args])
            return self.sql(rewritten)

        def tuple_sql(self, expression: exp.Tuple) -> str:
            struct = function_rewrites.row_constructor(expression)
            return super().tuple_sql(expression) if struct is None else self.sql(struct)

        def window_sql(self, expression: exp.Window) -> str:
            func = expression.this
            from kaspar.engine.sketches.hllpp_calls import APPROX_DISTINCT  # -> udf -> here

            if func.meta.get(APPROX_DISTINCT):  # estimate(list(DISTINCT ...) OVER w)
                over = expression.copy()
                over.set("this", func.expressions[0].copy())
                estimate = func.copy()
                estimate.set("expressions", [over, func.expressions[1].copy()])
                return self.sql(estimate)
            if isinstance(func, exp.Anonymous) and func.name.lower() == counter_diff.NAME:
                return self.sql(counter_diff.expand(expression))
            _check_ordered(expression)
            text = super().window_sql(expression)
            ranking = isinstance(func, exp.RowNumber | exp.Rank | exp.DenseRank | exp.Ntile)
            if ranking or (
                isinstance(func, exp.Anonymous) and func.name.lower() in _INT_WINDOW_FUNCTIONS
            ):
                return f"CAST({text} AS INTEGER)"
            return text

        def cast_sql(self, expression: exp.Cast, safe_prefix: str | None = None) -> str:
            if expression.meta.get(RAW):
                return super().cast_sql(expression, safe_prefix)
            ansi = self.dialect.ANSI  # type: ignore[attr-defined]
            source = str(expression.meta.get(SOURCE_TYPE, "")).upper()
            if expression.meta.get(KEEP_BINARY) and source == "BLOB":
                return self.sql(expression, "this")
            try_cast = safe_prefix is not None or isinstance(expression, exp.TryCast)
            mode = "try" if try_cast else "ansi" if ansi else "legacy"
            if source == "VARIANT" or expression.to.this == exp.DataType.Type.VARIANT:
                from kaspar.engine.variant import sql as variant  # -> udf -> this module

                if expression.to.this == exp.DataType.Type.VARIANT:  # field names as they are
                    named = str(expression.meta.get(SOURCE_TYPE, ""))
                    return self.sql(variant.to_variant(expression.this, named))
                return self.sql(variant.cast(expression.this, expression.to, mode))
            special = _special_cast(expression, source, mode)
            if special is not None:
                return self.sql(special)
            timed = time_cast(expression.this, source, expression.to, mode)
            if timed is not None:
                return self.sql(timed)
            rewritten = spark_cast(expression.this, source, expression.to, mode)
            if rewritten is not None:
                return self.sql(rewritten)
            if source == "BLOB":
                return self.func("DECODE", expression.this)  # Spark: binary -> UTF-8 string
            if source == "VARCHAR" and expression.to.this in BINARY:
                return self.func("ENCODE", expression.this)  # Spark: string -> UTF-8 bytes
            expression = _spark_integral_cast(expression, ansi)
            if not ansi and safe_prefix is None:
                return super().cast_sql(expression, safe_prefix="TRY_")
            return super().cast_sql(expression, safe_prefix)

        def div_sql(self, expression: exp.Div) -> str:
            if self.dialect.ANSI:  # type: ignore[attr-defined]
                divisor = expression.expression
                checked = exp.Case(
                    ifs=[
                        exp.If(
                            this=exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0)),
                            true=exp.Anonymous(
                                this="error",
                                expressions=[
                                    exp.Literal.string("[DIVIDE_BY_ZERO] Division by zero")
                                ],
                            ),
                        )
                    ],
                    default=divisor.copy(),
                )
                expression = exp.Div(this=expression.this, expression=checked, typed=False)
            else:
                expression = exp.Div(
                    this=expression.this, expression=expression.expression, typed=False, safe=True
                )
            return super().div_sql(expression)

        def join_sql(self, expression: exp.Join, join_op: str | None = None) -> str:
            if str(expression.args.get("kind") or "").upper() == "CROSS" and (
                expression.args.get("on") is not None or expression.args.get("using")
            ):  # Spark takes CROSS JOIN ... ON as an inner join; DuckDB refuses it
                expression = expression.copy()
                expression.set("kind", None)
            return super().join_sql(expression, join_op)

        def ordered_sql(self, expression: exp.Ordered) -> str:
            desc = bool(expression.args.get("desc"))
            nulls_first = expression.args.get("nulls_first")
            if nulls_first is None:
                nulls_first = not desc
            direction = " DESC" if desc else ""
            nulls = "FIRST" if nulls_first else "LAST"
            return f"{self.sql(expression, 'this')}{direction} NULLS {nulls}"


def _special_cast(expression: exp.Cast, source: str, mode: str) -> exp.Expr | None:
    """Casts from or to ANSI intervals and nanosecond timestamps, then nested values to text
    (an interval is a one-field struct underneath: it goes first)."""
    exact_source = str(expression.meta.get(SOURCE_TYPE, ""))
    special = (
        interval_cast(expression, exact_source)
        or cast_to_interval(expression, exact_source, tolerant=mode != "ansi")
        or nanos_cast(expression, exact_source)
    )
    if special is None and expression.to.this in TEXT and is_nested(source):
        special = nested_text(expression.this, source)
    return special


class KasparDuckDBLegacy(KasparDuckDB):
    """DuckDB SQL with Spark's legacy (non-ANSI) semantics: failed casts give NULL."""

    ANSI = False


class KasparDuckDBUtc(KasparDuckDB):
    """ANSI mode with the session time zone at UTC."""

    UTC = True


class KasparDuckDBLegacyUtc(KasparDuckDBLegacy):
    """Legacy mode with the session time zone at UTC."""

    UTC = True


# Zone names (upper case) that DuckDB/ICU and Spark both take as UTC itself.
_UTC_ZONES = frozenset(
    {"UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z", "UCT", "ETC/UCT", "UNIVERSAL", "ETC/UNIVERSAL"}
    | {"ZULU", "ETC/ZULU", "GMT0", "ETC/GMT0", "ETC/GMT+0", "ETC/GMT-0", "+00:00", "GREENWICH"}
)


def is_utc(time_zone: str) -> bool:
    """Whether ``spark.sql.session.timeZone`` names UTC (a conservative list of spellings)."""
    return time_zone.strip().upper() in _UTC_ZONES


def output_dialect(ansi: bool, utc: bool = False) -> type[KasparDuckDB]:
    if utc:
        return KasparDuckDBUtc if ansi else KasparDuckDBLegacyUtc
    return KasparDuckDB if ansi else KasparDuckDBLegacy


def generate(expression: exp.Expr, ansi: bool = True, utc: bool = False, **opts: Any) -> str:
    """DuckDB SQL text for a tree (``utc``: the session time zone is UTC)."""
    return output_dialect(ansi, utc)().generate(expression, copy=False, **opts)
