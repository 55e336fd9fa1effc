"""Which casts Spark allows between atomic types, in each mode, and the error it raises if not.

Types are named by kind: ``i1 i2 i4 i8`` (tinyint .. bigint), ``f4 f8`` (float, double),
``dec`` (decimal), ``str``, ``bool``, ``date``, ``ts`` (timestamp, with the session time zone),
``ntz`` (timestamp_ntz) and ``bin``. A cast's source kind comes from the DuckDB type of its
operand (``cast_sources``), its target kind from the sqlglot type it names.

Modes: ``legacy`` (``spark.sql.ansi.enabled=false``), ``ansi`` and ``try`` (``try_cast`` in
either setting). Spark refuses a cast at analysis with
``DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION``, or in ANSI mode with
``CAST_WITH_FUNC_SUGGESTION`` (a date as a number: use ``unix_date``) or
``CAST_WITH_CONF_SUGGESTION`` (allowed only with ``spark.sql.ansi.enabled=false``).
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.errors import AnalysisException

INTEGRAL = frozenset({"i1", "i2", "i4", "i8"})
FRACTIONAL = frozenset({"f4", "f8", "dec"})
NUMERIC = INTEGRAL | FRACTIONAL
DATETIME = frozenset({"date", "ts", "ntz"})

_DUCKDB_KINDS = {
    "TINYINT": "i1",
    "SMALLINT": "i2",
    "INTEGER": "i4",
    "BIGINT": "i8",
    "FLOAT": "f4",
    "DOUBLE": "f8",
    "VARCHAR": "str",
    "BOOLEAN": "bool",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "ts",
    "TIMESTAMP": "ntz",
    "BLOB": "bin",
}
_T = exp.DataType.Type
_TARGET_KINDS = {
    _T.TINYINT: "i1",
    _T.SMALLINT: "i2",
    _T.INT: "i4",
    _T.BIGINT: "i8",
    _T.FLOAT: "f4",
    _T.DOUBLE: "f8",
    _T.DECIMAL: "dec",
    _T.TEXT: "str",
    _T.VARCHAR: "str",
    _T.BOOLEAN: "bool",
    _T.DATE: "date",
    _T.TIMESTAMPTZ: "ts",
    _T.TIMESTAMPLTZ: "ts",
    _T.TIMESTAMPNTZ: "ntz",
    _T.TIMESTAMP: "ntz",
    _T.BINARY: "bin",
    _T.VARBINARY: "bin",
    _T.BLOB: "bin",
}
SPARK_NAMES = {
    "i1": "TINYINT",
    "i2": "SMALLINT",
    "i4": "INT",
    "i8": "BIGINT",
    "f4": "FLOAT",
    "f8": "DOUBLE",
    "dec": "DECIMAL",
    "str": "STRING",
    "bool": "BOOLEAN",
    "date": "DATE",
    "ts": "TIMESTAMP",
    "ntz": "TIMESTAMP_NTZ",
    "bin": "BINARY",
}
_WITHOUT = "DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION"
_FUNC = "DATATYPE_MISMATCH.CAST_WITH_FUNC_SUGGESTION"
_CONF = "DATATYPE_MISMATCH.CAST_WITH_CONF_SUGGESTION"


def source_kind(duckdb_type: str) -> str | None:
    """The kind of a DuckDB type name (``DECIMAL(10,2)`` is ``dec``), None if not atomic."""
    if duckdb_type.startswith("DECIMAL"):
        return "dec"
    return _DUCKDB_KINDS.get(duckdb_type)


def target_kind(to: exp.DataType) -> str | None:
    if to.expressions and to.this != _T.DECIMAL:
        return None
    return _TARGET_KINDS.get(to.this)


def _legacy_allows(src: str, dst: str) -> bool:
    if src == dst or "str" in (src, dst):
        return True
    if src == "bin":
        return False
    if dst == "bin":
        return src in INTEGRAL
    if dst in ("date", "ntz"):
        return src in DATETIME
    if dst == "ts":
        return src != "bin"
    return src != "ntz"  # numeric, bool, date, ts -> numeric or boolean


def refusal(src: str, dst: str, mode: str) -> str | None:
    """The error class Spark's analyzer raises for this cast in ``mode``, None if allowed."""
    if not _legacy_allows(src, dst):
        return _FUNC if mode != "legacy" and src in NUMERIC and dst == "date" else _WITHOUT
    if mode == "legacy":
        return None
    if src == "date" and dst in NUMERIC:
        return _FUNC
    conf = (src in INTEGRAL and dst == "bin") or (src, dst) in (
        ("bool", "ts"),
        ("date", "bool"),
        ("ts", "bool"),
    )
    if conf:
        return _CONF if mode == "ansi" else _WITHOUT
    return None


def check(src: str, dst: str, mode: str, operand: exp.Expr) -> None:
    """Raise Spark's analysis error when the cast is not allowed."""
    condition = refusal(src, dst, mode)
    if condition is None:
        return
    name = operand.sql(dialect="spark") if not isinstance(operand, exp.Column) else operand.name
    raise AnalysisException(
        f'Cannot resolve "CAST({name} AS {SPARK_NAMES[dst]})" due to data type mismatch: '
        f'cannot cast "{SPARK_NAMES[src]}" to "{SPARK_NAMES[dst]}".',
        condition,
    )
