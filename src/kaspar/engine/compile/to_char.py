"""``to_char(x, format)`` / ``to_varchar``: by the format, binary as ``hex`` / ``base64`` /
``utf-8`` text, a number in a number format (``number_format``), else a date or timestamp in a
datetime pattern (``date_format``). Spark SQL's calls are built here; the DataFrame functions
(``kaspar.sql.functions.number_format``) share the format checks.

Spark needs the format of a number or of binary to be foldable (a constant expression such as
``concat('$99', '.99')``, folded here to its text): a column format is refused at analysis,
``DATATYPE_MISMATCH.NON_FOLDABLE_INPUT`` for a number and ``NON_FOLDABLE_ARGUMENT`` for
binary. A date or a timestamp takes a datetime pattern per row in Spark (``date_format``),
which kaspar does not do yet (``NOT_IMPLEMENTED``). The operand's type is known only when the
query is compiled, so that check is a typed call (``typed_rewrites``).
"""

from __future__ import annotations

from collections.abc import Callable

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.number_format import (
    call,
    check_format,
    format_number,
    parse_format,
    parse_number,
)
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.errors import AnalysisException, PySparkNotImplementedError

_DATETIME = ("date", "timestamp", "timestamp with time zone", "timestamp_ns", "timestamp_ms")
BINARY_FORMATS = {"base64": "to_base64", "hex": "hex", "utf-8": "decode"}


def folded_text(fmt: exp.Expr) -> str | None:
    """The text of a constant string expression (literals joined by ``concat`` or ``||``),
    None for anything that may vary by row."""
    if isinstance(fmt, exp.Literal) and fmt.is_string:
        return str(fmt.this)
    if isinstance(fmt, exp.Paren | exp.Alias):
        return folded_text(fmt.this)
    if isinstance(fmt, exp.DPipe):
        parts = [folded_text(fmt.this), folded_text(fmt.expression)]
    elif isinstance(fmt, exp.Concat):
        parts = [folded_text(p) for p in fmt.expressions]
    else:
        return None
    return None if any(p is None for p in parts) else "".join(p for p in parts if p is not None)


def column_format(x: exp.Expr, fmt: exp.Expr, shown: str, given: str) -> exp.Expr:
    """A call that raises Spark's analysis error for ``x``'s type once it is known (``shown``:
    the call as Spark names it, ``given``: the format's name)."""
    input_name = "attributereference" if isinstance(fmt, exp.Column) else type(fmt).__name__

    def refuse(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        kind = str(types[0]).lower()
        if kind == "blob":
            raise AnalysisException(
                "The function `to_char` requires the parameter `format` to be a foldable "
                'expression of the type "STRING", but the actual argument is a non-foldable.',
                "NON_FOLDABLE_ARGUMENT",
            )
        if kind in _DATETIME:
            raise PySparkNotImplementedError(
                f"{shown}: a datetime pattern that varies by row is not supported yet; give "
                "the pattern as a literal.",
                "NOT_IMPLEMENTED",
            )
        raise AnalysisException(
            f'Cannot resolve "{shown}" due to data type mismatch: the input '
            f'`{input_name.lower()}` should be a foldable "STRING" expression; however, got '
            f'"{given}".',
            "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
        )

    return typed_call([x, fmt], refuse)


_NUMERIC = ("tinyint", "smallint", "integer", "bigint", "hugeint", "float", "double", "decimal")


def datetime_only(x: exp.Expr, text: str, build: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """``build(x)`` (a datetime pattern's call) once ``x`` is known not to be a number: a
    number in a format that is no number format is Spark's ``INVALID_FORMAT`` error."""

    def check(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        if str(types[0]).lower().split("(")[0] in _NUMERIC:
            check_format(text)  # raises: the format is empty or has an unexpected token
        return build(operands[0])

    return typed_call([x], check)


def sql_call(
    name: str, args: list[exp.Expr], date_format: Callable[[exp.Expr, str], exp.Expr]
) -> exp.Expr:
    """Spark SQL's ``to_char(x, format)`` (``name``: to_char or to_varchar), named as Spark
    names it; ``date_format(x, pattern)`` builds the datetime case."""
    from kaspar.engine.plan.naming import SPARK_NAME, output_name  # naming -> this module

    if len(args) != 2:
        return exp.Anonymous(this=name, expressions=args)
    x, fmt = args
    both = f"{output_name(x)}, {output_name(fmt)}"
    text = folded_text(fmt)
    if text is None:
        built = column_format(x, fmt, f"to_char({both})", output_name(fmt))
        spark_name = f"date_format({both})"
    elif text.lower() in BINARY_FORMATS:
        built, spark_name = _binary(name, x, text.lower(), both)
    else:
        try:
            built, spark_name = format_number(x, parse_format(text)), f"to_char({both})"
        except ValueError:  # a datetime pattern
            built = datetime_only(x, text, lambda e: date_format(e, text))
            spark_name = f"date_format({both})"
    built.meta[SPARK_NAME] = spark_name
    return built


def sql_to_number(name: str, args: list[exp.Expr]) -> exp.Expr:
    """Spark SQL's ``to_number(s, format)`` / ``try_to_number``, named as Spark names it."""
    from kaspar.engine.plan.naming import SPARK_NAME, output_name

    text = folded_text(args[1]) if len(args) == 2 else None
    if text is None:
        return exp.Anonymous(this=name, expressions=args)
    built = parse_number(args[0], text, safe=name == "try_to_number")
    built.meta[SPARK_NAME] = f"{name}({', '.join(output_name(a) for a in args)})"
    return built


def _binary(name: str, x: exp.Expr, text: str, both: str) -> tuple[exp.Expr, str]:
    from kaspar.engine.plan.naming import output_name

    function = BINARY_FORMATS[text]
    if function == "hex":
        return call("upper", call("hex", x)), f"{name}({output_name(x)})"  # as Spark SQL
    if function == "to_base64":
        return call("to_base64", x), f"base64({output_name(x)})"
    return call(function, x), f"{name}({both})"
