"""Parity cases from PySpark's own documentation examples that kaspar failed (issue 16's
checklist, ``python -m tools.doc_examples``): argument forms, literals and inferred types."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


@case()
def case_doc_trim_characters(spark, F, T):
    df = spark.createDataFrame([("**Spark*", "*"), ("==Spark=", "="), (None, "*")], ["v", "t"])
    return df.select(
        "*",
        F.trim("v", F.lit("*")),
        F.ltrim("v", "t"),
        F.rtrim(df.v, df.t),
        F.trim("v"),
    )


@case()
def case_doc_instr_start_occurrence(spark, F, T):
    df = spark.createDataFrame([("aabcd",), ("xyz",), ("abcabc",), (None,)], ["s"])
    return df.select(
        "*",
        F.instr("s", "b", 1, 2),
        F.instr("s", "a", 2),
        F.instr("s", "bc", -1, 2),
        F.instr("s", "bc", -2),
        F.instr("s", "bc", -6),
        F.instr("s", "", 2),
        F.instr("s", "b", 0),
        F.instr("s", "b", 10),
    )


@case()
def case_doc_regexp_replace_position(spark, F, T):
    df = spark.createDataFrame([("100-200",), ("aaa",), (None,)], ["s"])
    return df.select(
        F.regexp_replace("s", r"(\d+)", "--", 5),
        F.regexp_replace("s", "a", "b", 3),
        F.regexp_replace("s", "a", "b", 10),
    )


@case()
def case_doc_position_start_column(spark, F, T):
    df = spark.createDataFrame(
        [("bar", "foobarbar", 5), ("bar", "foobarbar", 0), ("bar", "foobarbar", None)],
        ["a", "b", "c"],
    )
    return df.select(F.position("a", "b", "c"), F.position("a", "b"))


@case()
def case_doc_max_min_by_k(spark, F, T):
    df = spark.createDataFrame([("a", 10), ("b", 50), ("c", 20), ("d", 40)], ["x", "y"])
    return df.select(F.max_by("x", "y", 2), F.min_by("x", "y", 3), F.max_by("x", "y"))


@case()
def case_doc_array_sort_comparator(spark, F, T):
    df = spark.createDataFrame(
        [(["foo", "foobar", None, "bar"],), (["foo"],), ([],), (None,)], "data array<string>"
    )
    return df.select(
        F.array_sort(
            "data",
            lambda x, y: F.when(x.isNull() | y.isNull(), F.lit(0)).otherwise(
                F.length(y) - F.length(x)
            ),
        ).alias("r")
    )


@case()
def case_doc_array_sort_comparator_descending(spark, F, T):
    df = spark.createDataFrame([([2, 1, 3, 2],), ([1],)], ["data"])
    return df.select(F.array_sort("data", lambda x, y: (y - x).cast("int")).alias("r"))


@case()
def case_doc_infer_mixed_atomic_as_string(spark, F, T):
    return spark.createDataFrame(
        [(["apple", 1, "cherry"], 1), (["x", 2.5, True], "y")], ["data", "c"]
    )


@case()
def case_doc_infer_nested_arrays_and_tuples(spark, F, T):
    return spark.createDataFrame(
        [([["a", "b"], [1, 2]], [(1, "a"), (2, "b")], (3, "c"))], ["a", "r", "t"]
    )


@case()
def case_doc_ddl_field_named_like_a_type(spark, F, T):
    from decimal import Decimal

    return spark.createDataFrame([(Decimal("1" * 38),), (Decimal(0),)], "number DECIMAL(38, 0)")
