"""``to_char(x, format)`` / ``to_varchar`` whose format is not a string literal.

Spark needs the format of a number or of binary to be foldable (a constant expression such as
``concat(lit('$99'), lit('.99'))``, folded here to its text): a column format is refused at
analysis, ``DATATYPE_MISMATCH.NON_FOLDABLE_INPUT`` for a number and ``NON_FOLDABLE_ARGUMENT``
for binary. A date or a timestamp takes a datetime pattern per row in Spark (``date_format``),
which kaspar does not do yet (``NOT_IMPLEMENTED``). The operand's type is known only when the
query is compiled, so the check is a typed call (``typed_rewrites``).
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.errors import AnalysisException, PySparkNotImplementedError
from kaspar.sql.functions._invoke import names

_DATETIME = ("date", "timestamp", "timestamp with time zone", "timestamp_ns", "timestamp_ms")


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


def column_format(x: exp.Expr, fmt: exp.Expr) -> exp.Expr:
    """A call that raises Spark's analysis error for ``x``'s type once it is known."""
    shown = f"to_char({names(x, fmt)})"
    given = names(fmt)
    input_name = "attributereference" if isinstance(fmt, exp.Column) else _node_name(fmt)

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
                f"{shown}: a datetime pattern that varies by row is not "
                "supported yet; give the pattern as a literal.",
                "NOT_IMPLEMENTED",
            )
        raise AnalysisException(
            f'Cannot resolve "{shown}" due to data type mismatch: the input `{input_name}` '
            f'should be a foldable "STRING" expression; however, got "{given}".',
            "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
        )

    return typed_call([x, fmt], refuse)


def _node_name(fmt: exp.Expr) -> str:
    return type(fmt).__name__.lower()
