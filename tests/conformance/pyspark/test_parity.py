"""kaspar vs PySpark: every registered case must give PySpark's recorded result.

PySpark's outcomes are recorded in ``tests/fixtures/parity/`` (``python -m
tests.conformance.pyspark.record`` re-records them), so the suite needs no JVM;
``test_parity_live`` (``slow``) runs the cases on PySpark itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.pyspark import (
    cases_added_functions,
    cases_api_gaps,
    cases_builtins,
    cases_coercion,
    cases_collections,
    cases_column_args,
    cases_csv,
    cases_dataframe,
    cases_dataframe_more,
    cases_datetime_json_more,
    cases_doc_examples,
    cases_file_metadata,
    cases_file_read,
    cases_functions,
    cases_generated,
    cases_group_map,
    cases_hllpp,
    cases_intervals_arith,
    cases_intervals_nanos,
    cases_io_cast,
    cases_json_read,
    cases_json_udf,
    cases_maps_generators,
    cases_misc_functions,
    cases_misc_gaps,
    cases_missing_functions,
    cases_more_functions,
    cases_nullability_casts,
    cases_partitions_random,
    cases_show,
    cases_sketches,
    cases_spark43_functions,
    cases_sql_statements,
    cases_sqlgen,
    cases_temporal,
    cases_time_type,
    cases_udtf,
    cases_values,
    cases_variant,
    cases_writers_windows,
    cases_xml,
    cases_xml_source,
)
from tests.conformance.pyspark.compare import run
from tests.conformance.pyspark.recording import encode, recorded_outcome
from tests.conformance.pyspark.registry import CASES

pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    # PySpark warns when a UDF's type hints name no pandas/Arrow kind, then runs it as a plain
    # UDF (the recorded outcome)
    pytest.mark.filterwarnings("ignore:Cannot infer the eval type from type hints"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.timeout(300),
]

_MODULES = (
    cases_added_functions,
    cases_api_gaps,
    cases_builtins,
    cases_collections,
    cases_coercion,
    cases_column_args,
    cases_csv,
    cases_dataframe,
    cases_dataframe_more,
    cases_datetime_json_more,
    cases_doc_examples,
    cases_file_metadata,
    cases_file_read,
    cases_functions,
    cases_group_map,
    cases_generated,
    cases_hllpp,
    cases_intervals_arith,
    cases_intervals_nanos,
    cases_io_cast,
    cases_json_read,
    cases_json_udf,
    cases_maps_generators,
    cases_misc_functions,
    cases_misc_gaps,
    cases_missing_functions,
    cases_more_functions,
    cases_nullability_casts,
    cases_partitions_random,
    cases_show,
    cases_sketches,
    cases_spark43_functions,
    cases_sql_statements,
    cases_sqlgen,
    cases_temporal,
    cases_time_type,
    cases_udtf,
    cases_values,
    cases_variant,
    cases_writers_windows,
    cases_xml,
    cases_xml_source,
)

_CSV_QUOTES = (
    "CSV is split by DuckDB's reader: a quote inside a quoted field that the escape does not "
    "escape is kept as text (Spark keeps the whole field's raw text, STOP_AT_DELIMITER)"
)

# Cases where kaspar deliberately (or for now) differs from PySpark, with the reason.
KNOWN_DIFFERENCES: dict[str, str] = {
    "variant_nested_double_text": "a double inside a variant's object or array is written by "
    "DuckDB (1e22), not in Java's notation (1.0E22) as Spark writes it",
    "array_get_item": "ANSI mode: Spark raises INVALID_ARRAY_INDEX for an out-of-bounds index; "
    "kaspar returns NULL (DuckDB list indexing)",
    "udf_struct_argument": "a struct argument reaches a Python UDF as a dict in kaspar (Arrow's "
    "to_pylist), as a Row in Spark",
    "int_add_overflow_legacy": "legacy mode: Spark's integer arithmetic wraps; DuckDB raises "
    "on overflow",
    "group_by_dict": "agg(dict): Spark orders the aggregates by its Scala Map's hash order; "
    "kaspar keeps the dict's order",
    "conv_overflow_legacy": "legacy mode: Spark's conv returns 2^64-1 on overflow; kaspar "
    "raises ARITHMETIC_OVERFLOW as in ANSI mode (the mode is not known when the call is built)",
    "csv_quoted_newline_infer_schema": "CSV is read by DuckDB, which joins a quoted field's "
    "lines even without multiLine (Spark splits the record at the newline)",
    "csv_quoted_newline_without_multiline": "CSV is read by DuckDB, which joins a quoted "
    "field's lines even without multiLine (Spark splits the record at the newline)",
    "decimal_and_array_literals": "decimal + integer literal: Spark types the literal 1 as "
    "decimal(1,0), giving decimal(3,1); DuckDB's INTEGER widens to decimal(12,1)",
    "csv_default_quote_escape": _CSV_QUOTES,
    "csv_comment_and_quote_escape": _CSV_QUOTES,
    "csv_null_and_empty_value": _CSV_QUOTES,
    "csv_ignore_white_space": _CSV_QUOTES,
    "ival_type_dependent_names": "Column n * interval: Spark names it interval * n once it "
    "knows the types; kaspar names a Column when it is built, before the types are known "
    "(SQL projections are renamed once they are: ival_sql_names_by_type)",
}


KNOWN_DIFFERENCES.update(cases_generated.PENDING)


def _params() -> list[Any]:
    params = []
    for name in sorted(CASES):
        marks = []
        if name in KNOWN_DIFFERENCES:
            marks.append(pytest.mark.xfail(reason=KNOWN_DIFFERENCES[name], strict=True))
        params.append(pytest.param(name, id=name, marks=marks))
    return params


@pytest.mark.parametrize("name", _params())
def test_parity(name: str, kaspar_env: Any) -> None:
    case = CASES[name]
    try:
        expected = recorded_outcome(case)
    except KeyError:
        pytest.fail(f"{name} has no recorded PySpark outcome: run tests.conformance.pyspark.record")
    actual = run(case, *kaspar_env)
    assert actual == expected


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_parity_live(name: str, pyspark_env: Any) -> None:
    """PySpark still gives the recorded outcome (a new PySpark version may change some),
    compared as ``record`` recorded it: an exception as ``("PySpark raised", class)``, an outcome
    whose values do not round-trip through the recording as its encoded text."""
    case = CASES[name]
    expected = recorded_outcome(case)
    try:
        live = run(case, *pyspark_env)
    except Exception as e:  # recorded the same way by record.py
        live = ("PySpark raised", type(e).__name__)
    if isinstance(expected, tuple) and expected and expected[0] == "unrecordable outcome":
        live = ("unrecordable outcome", encode(live))
    assert live == expected


def test_case_count() -> None:
    assert len(CASES) >= 300, len(CASES)
    assert _MODULES
