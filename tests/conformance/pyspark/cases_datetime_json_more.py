"""Parity cases: clock parts of strings, nanosecond timestamps, JSON/CSV text, try_ arithmetic
with ANSI intervals, decimal overflow of sums, and moments (issue 16's doc examples)."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


@case()
def case_dtj_clock_parts_of_strings(spark, F, T):
    df = spark.createDataFrame(
        [("2015-04-08 13:08:15",), ("2024-10-31 10:09:16.25",), (None,)], "ts string"
    )
    return df.select(
        "*",
        F.typeof("ts"),
        F.hour("ts"),
        F.minute("ts"),
        F.second("ts"),
        F.hour(F.lit(None)),
        F.hour(F.to_date("ts")),
    )


@case("error")
def case_dtj_hour_of_malformed_string(spark, F, T):
    return spark.createDataFrame([("bad",)], "ts string").select(F.hour("ts"))
