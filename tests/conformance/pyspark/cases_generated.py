"""Generated parity cases: one call of each ``pyspark.sql.functions`` function over ``data``.

``tests/fixtures/parity/generated_calls.json`` holds, per function, the first argument list
PySpark accepted (found by ``generated_probe``, which tries columns of each type and typical
literals for each parameter); each becomes the case ``gen_<function>``, comparing the column
name, the type and the values on every row of ``data`` (nulls, negatives, empty strings and
collections, leap days). Nondeterministic functions compare the column types only.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from tests.conformance.pyspark.registry import CASES, ParityCase

CALLS = Path(__file__).parents[2] / "fixtures" / "parity" / "generated_calls.json"

SCHEMA = (
    "i int, l bigint, d double, s string, b boolean, dt date, ts timestamp, arr array<int>, "
    "m map<string,int>, bin binary"
)

# Functions whose values change per run (compared by schema only).
NONDETERMINISTIC = frozenset(
    "current_date current_timestamp curdate now localtimestamp current_time rand randn random "
    "uuid shuffle randstr uniform monotonically_increasing_id input_file_name unix_timestamp "
    "input_file_block_start input_file_block_length spark_partition_id".split()
)

# Window functions: called with ``.over(Window.orderBy("i"))``.
WINDOW_FUNCTIONS = frozenset(
    "row_number rank dense_rank percent_rank cume_dist ntile lag lead nth_value".split()
)


_MISSING = "not implemented yet"

# Generated cases that still differ from PySpark, with the reason (strict xfails).
PENDING: dict[str, str] = {
    "gen_arrays_zip": "DuckDB's struct_pack refuses two fields of one name (arrays_zip(a, a))",
    "gen_collect_set": "collect_set's order follows Spark's hash set",
    "gen_collect_union": "collect_union's order follows Spark's hash set",
    "gen_from_base32": "from_base32 of a non-string argument (Spark casts it to a string)",
    "gen_listagg_distinct": "listagg(DISTINCT) joins in Spark's hash set order; kaspar in value "
    "order (DuckDB's own order varied from run to run)",
    "gen_mode": "mode picks among tied values as Spark's hash map does",
    "gen_regexp_instr": "regexp_instr of an empty match is its position (1); DuckDB gives NULL",
    "gen_sequence": "sequence of dates without a step (one day in Spark): no DATE series in DuckDB",
    "gen_session_window": "session_window outside groupBy (one session per row, NULL times "
    "dropped) is not supported",
    "gen_shiftleft": "shift counts beyond the width wrap in Java (256 % 32); DuckDB raises",
    "gen_shiftright": "shiftright by a count beyond the width wraps in Java",
    "gen_string_agg_distinct": "string_agg(DISTINCT) order follows Spark's hash set",
    "gen_struct": "DuckDB's struct_pack refuses two fields of one name (struct(s, s))",
    "gen_to_char": "to_char with a column format (Spark: a datetime pattern per row)",
    "gen_to_varchar": "to_varchar with a column format (Spark: a datetime pattern per row)",
    "gen_unbase64": "unbase64 decodes text whose length is not a multiple of 4 (Spark's "
    "lenient decoder); DuckDB raises",
    "gen_version": "version() names Spark's git revision; kaspar names its own version",
}


def data(spark: Any) -> Any:
    import datetime as dt

    rows = [
        (1, 10000000000, 1.5, "abc", True, dt.date(2024, 1, 31),
         dt.datetime(2024, 1, 31, 10, 20, 30, 123456), [1, 2, 3], {"a": 1, "b": 2}, b"abc"),
        (-2, -3, -2.25, "Hello World", False, dt.date(1999, 12, 31),
         dt.datetime(1999, 12, 31, 23, 59, 59), [3, None, 1], {"c": None}, b"\x00\xff"),
        (0, 0, 0.0, "", True, dt.date(2024, 2, 29), dt.datetime(2024, 2, 29), [], {}, b""),
        (None, None, None, None, None, None, None, None, None, None),
    ]  # fmt: skip
    return spark.createDataFrame(rows, SCHEMA)


def argument(spec: list[Any], F: Any) -> Any:
    """``["col", name]`` a column, ``["lit", v]`` ``F.lit(v)``, ``["py", v]`` the value."""
    kind, value = spec
    if kind == "col":
        return F.col(value)
    if kind == "lit":
        return F.lit(value)
    return value


def call(F: Any, name: str, args: list[list[Any]]) -> Any:
    column = getattr(F, name)(*(argument(a, F) for a in args))
    if name in WINDOW_FUNCTIONS:
        window = importlib.import_module(F.__name__.rsplit(".", 1)[0] + ".window").Window
        column = column.over(window.orderBy("i"))
    return column


def _case(name: str, args: list[list[Any]]) -> Any:
    def run(spark: Any, F: Any, T: Any) -> Any:
        df = data(spark).select(call(F, name, args))
        if name in NONDETERMINISTIC:  # its values and random seed (in the name) differ per run
            return [t for _, t in df.dtypes]
        return df

    return run


def register() -> list[str]:
    """Register ``gen_<function>`` for each recorded call; their names."""
    calls: dict[str, list[list[Any]]] = json.loads(CALLS.read_text()) if CALLS.exists() else {}
    names = []
    for function, args in sorted(calls.items()):
        name = f"gen_{function}"
        kind = "value" if function in NONDETERMINISTIC else "rows"
        CASES[name] = ParityCase(name, _case(function, args), kind)
        names.append(name)
    return names


GENERATED = register()
