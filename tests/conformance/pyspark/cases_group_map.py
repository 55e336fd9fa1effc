"""Parity cases: Python functions over groups (``applyInPandas``, ``applyInArrow``),
cogroups and batches (``mapInPandas``, ``mapInArrow``)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from tests.conformance.pyspark.registry import case


def _values(spark):
    return spark.createDataFrame(
        [(1, 1.0), (1, 2.0), (2, 3.0), (2, 5.0), (2, 10.0), (None, 7.0)], "id long, v double"
    )


@case()
def case_group_map_apply_in_arrow_table(spark, F, T):
    import pyarrow.compute as pc

    def demean(table):
        v = table.column("v")
        return table.set_column(1, "v", pc.subtract(v, pc.mean(v)))

    return _values(spark).groupBy("id").applyInArrow(demean, "id long, v double")


@case()
def case_group_map_apply_in_arrow_key_and_batches(spark, F, T):
    import pyarrow.compute as pc

    def total(
        key: tuple[pa.Scalar, ...], batches: Iterator[pa.RecordBatch]
    ) -> Iterator[pa.RecordBatch]:
        s = sum(pc.sum(b.column("v")).as_py() or 0 for b in batches)
        ids = pa.array([key[0].as_py()], pa.int64())
        yield pa.RecordBatch.from_pydict({"id": ids, "total": [float(s)]})

    return _values(spark).groupBy("id").applyInArrow(total, "id long, total double")


@case("error")
def case_group_map_arrow_types_must_match(spark, F, T):
    import pyarrow as pa

    def ints(table):  # int32 where the schema says long: Arrow results are not cast
        return pa.table({"id": pa.array([1], pa.int32())})

    return _values(spark).groupBy("id").applyInArrow(ints, "id long").collect()


@case("error")
def case_group_map_unresolved_iterator_hint_means_table(spark, F, T):
    import pyarrow.compute as pc

    def total(batches: Iterator[pc.Expression]) -> Iterator[pc.Expression]:
        yield from batches

    return _values(spark).groupBy("id").applyInArrow(total, "id long, v double").collect()


@case()
def case_group_map_apply_in_pandas_expression_key(spark, F, T):
    import pandas as pd

    def count(key, pdf):
        return pd.DataFrame({"parity": [key[0]], "n": [len(pdf)], "cols": [",".join(pdf.columns)]})

    df = _values(spark)
    return df.groupBy(F.col("v") % 2).applyInPandas(count, "parity double, n long, cols string")


@case()
def case_group_map_apply_in_pandas_positional_columns(spark, F, T):
    import pandas as pd

    def firsts(pdf):
        return pd.DataFrame([[pdf["id"].iloc[0], float(pdf["v"].max())]])

    return _values(spark).groupBy("id").applyInPandas(firsts, "id long, top double")


@case()
def case_group_map_cogroup_pandas(spark, F, T):
    import pandas as pd

    left = spark.createDataFrame([(1, 1.0), (2, 2.0), (1, 3.0), (4, 4.0)], ("id", "v1"))
    right = spark.createDataFrame([(1, "x"), (2, "y"), (3, "z")], ("id", "v2"))

    def sizes(key, lf, rf):
        return pd.DataFrame({"id": [key[0]], "left": [len(lf)], "right": [len(rf)]})

    return (
        left.groupBy("id")
        .cogroup(right.groupBy("id"))
        .applyInPandas(sizes, "id long, left long, right long")
    )


@case()
def case_group_map_cogroup_arrow(spark, F, T):
    import pyarrow as pa

    left = spark.createDataFrame([(1, 1.0), (2, 2.0), (1, 3.0)], ("id", "v1"))
    right = spark.createDataFrame([(1, "x"), (2, "y"), (3, "z")], ("k", "v2"))

    def both(lt, rt):
        return pa.table({"l": [lt.num_rows], "r": [rt.num_rows], "lc": [lt.num_columns]})

    return (
        left.groupBy("id").cogroup(right.groupBy("k")).applyInArrow(both, "l long, r long, lc long")
    )


@case("error")
def case_group_map_wrong_names(spark, F, T):
    df = _values(spark).groupBy("id").applyInPandas(lambda pdf: pdf, "id long, w double")
    return df.collect()


@case("error")
def case_group_map_not_a_struct(spark, F, T):
    return _values(spark).groupBy("id").applyInPandas(lambda pdf: pdf, "double")


@case()
def case_group_map_map_in_arrow_filter(spark, F, T):
    import pyarrow.compute as pc

    def big(batches):
        for b in batches:
            yield b.filter(pc.greater(b.column("v"), 2.5))

    return _values(spark).mapInArrow(big, "id long, v double")
