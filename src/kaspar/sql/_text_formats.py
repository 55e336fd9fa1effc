"""The lines of Spark's JSON and CSV writers, for the batch and streaming file sinks.

DuckDB's own ``COPY ... (FORMAT json)`` and ``(FORMAT csv)`` write another text than Spark's:
NULL fields as ``null`` (Spark leaves them out, ``ignoreNullFields``), timestamps as
``2024-01-02 03:04:05+00`` (Spark: ``2024-01-02T03:04:05.000Z``), doubles in Python's notation
(Spark: Java's ``1.0E20``), a quote inside a CSV field doubled (Spark escapes it, ``\\"``). So
each row is written as the text ``to_json`` / ``to_csv`` give it, which are Spark's by
construction and computed in DuckDB; the engine writes those values one per line
(``engine/sinks/files.py``, ``LINE_RENDERERS``). Partition columns stay columns: DuckDB's
``PARTITION_BY`` makes their directories.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sinks.files import LINE_RENDERERS
from kaspar.errors import AnalysisException
from kaspar.sql.column import Column

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

_NESTED = (T.ArrayType, T.MapType, T.StructType)
# the writer options to_json / to_csv read, as Spark spells them (options arrive lower-cased)
_JSON_OPTIONS = ("ignoreNullFields", "dateFormat", "timestampFormat", "timeZone")
_CSV_OPTIONS = (
    "sep",
    "delimiter",
    "quote",
    "escape",
    "nullValue",
    "emptyValue",
    "dateFormat",
    "timestampFormat",
    "quoteAll",
)


def _ref(name: str) -> Column:
    from kaspar.sql.functions import col

    return col("`" + name.replace("`", "``") + "`")


def _spelled(options: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    lowered = {k.lower(): v for k, v in options.items()}
    return {n: str(lowered[n.lower()]) for n in names if n.lower() in lowered}


def _data_columns(executor: Executor, plan: L.LogicalPlan, partition_by: list[str]) -> list[str]:
    parts = {p.lower() for p in partition_by}
    return [f.name for f in executor.schema(plan).fields if f.name.lower() not in parts]


def _with_value(plan: L.LogicalPlan, value: Column, partition_by: list[str]) -> L.LogicalPlan:
    exprs = [value.expr, *(_ref(p).expr for p in partition_by)]
    return L.Project(plan, tuple(exprs))


def json_lines(
    executor: Executor, plan: L.LogicalPlan, options: dict[str, str], partition_by: list[str]
) -> L.LogicalPlan:
    """One JSON object per row (``to_json`` of the row's data columns)."""
    from kaspar.sql.functions import struct, to_json

    columns = [_ref(n) for n in _data_columns(executor, plan, partition_by)]
    value = to_json(struct(*columns), _spelled(options, _JSON_OPTIONS)).alias("value")
    return _with_value(plan, value, partition_by)


def csv_lines(
    executor: Executor, plan: L.LogicalPlan, options: dict[str, str], partition_by: list[str]
) -> L.LogicalPlan:
    """One CSV record per row (``to_csv`` of the row's data columns), the value column named
    as the header line."""
    from kaspar.sql.functions import struct, to_csv

    spelled = _spelled(options, _CSV_OPTIONS)
    names = _data_columns(executor, plan, partition_by)
    _check_csv_types(executor, plan, names)
    value = to_csv(struct(*(_ref(n) for n in names)), spelled)
    return _with_value(plan, value.alias(_header(names, spelled)), partition_by)


def _check_csv_types(executor: Executor, plan: L.LogicalPlan, names: list[str]) -> None:
    """Spark's CSV writer refuses arrays, maps and structs (``to_csv`` writes their text)."""
    for field in executor.schema(plan).fields:
        if field.name in names and isinstance(field.dataType, _NESTED):
            raise AnalysisException(
                f"The CSV datasource doesn't support the column `{field.name}` of the type "
                f'"{field.dataType.simpleString().upper()}".',
                "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE",
            )


def _header(names: list[str], options: dict[str, str]) -> str:
    sep = options.get("sep", options.get("delimiter", ","))
    quote, escape = options.get("quote", '"'), options.get("escape", "\\")
    quote_all = options.get("quoteAll", "false").lower() == "true"

    def field(name: str) -> str:
        if quote_all or any(ch in name for ch in (sep, quote, "\n", "\r")):
            return quote + name.replace(quote, escape + quote) + quote
        return name

    return sep.join(field(n) for n in names)


LINE_RENDERERS["json"] = json_lines
LINE_RENDERERS["csv"] = csv_lines
