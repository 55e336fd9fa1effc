"""Parity cases: generators over maps, map construction and ``mapKeyDedupPolicy``, ``reverse``,
``hash('*')``, ``listagg`` over binary, cross-join row order and ``describe``."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


def _people(spark):
    return spark.createDataFrame([(14, "Tom"), (23, "Alice"), (16, "Bob")], ["age", "name"])


def _heights(spark):
    return spark.createDataFrame([(80, "Tom"), (85, "Bob")], ["height", "name"])


@case(ordered=True)
def case_cross_join_left_major(spark, F, T):
    return _people(spark).crossJoin(_heights(spark).select("height"))


@case(ordered=True)
def case_join_without_condition_left_major(spark, F, T):
    return _people(spark).join(_heights(spark)).drop("name")


@case(ordered=True)
def case_cross_join_how_cross_left_major(spark, F, T):
    people = _people(spark)
    return people.join(spark.range(3), how="cross").select("name", "id")
