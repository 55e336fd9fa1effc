"""Parity cases: Python UDTFs (``udtf``, ``arrow_udtf``, ``df.asTable()``, ``spark.udtf`` and
the SQL forms), lateral joins with table functions, and ``arrow_udf``."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from tests.conformance.pyspark.registry import case


def _plus_one(F):
    @F.udtf(returnType="c1: int, c2: int")
    class PlusOne:
        def eval(self, x: int):
            yield x, x + 1

    return PlusOne


def _pairs(spark):
    return spark.createDataFrame(
        [(1, "b"), (1, "a"), (2, "d"), (2, "c"), (3, "e")], "key int, value string"
    )


@case()
def case_udtf_scalar_argument(spark, F, T):
    return _plus_one(F)(F.lit(1))


@case()
def case_udtf_no_arguments(spark, F, T):
    class Hello:
        def eval(self):
            yield "hello", "world"

    return F.udtf(Hello, returnType="c1: string, c2: string")()


@case()
def case_udtf_several_rows_and_none(spark, F, T):
    @F.udtf(returnType="n int, label string, sq double")
    class Expand:
        def eval(self, n: int):
            for i in range(n):
                yield i, None if i % 2 else f"row{i}", i * 1.5
            yield None, "last", None

    return Expand(F.lit(4))


@case()
def case_udtf_yields_dicts_and_lists(spark, F, T):
    @F.udtf(returnType="a int, b string")
    class Mixed:
        def eval(self, x: int):
            yield {"b": "dict", "a": x}
            yield [x + 1, "list"]
            yield x + 2, "tuple"

    return Mixed(F.lit(10))


@case()
def case_udtf_complex_output_types(spark, F, T):
    @F.udtf(returnType="arr array<int>, m map<string,int>, s struct<x:int,y:string>")
    class Complex:
        def eval(self, n: int):
            yield list(range(n)), {"k": n}, (n, "s")

    return Complex(F.lit(3))


@case()
def case_udtf_terminate_only(spark, F, T):
    @F.udtf(returnType="total int")
    class Total:
        def __init__(self):
            self.total = 0

        def eval(self, x: int):
            self.total += x

        def terminate(self):
            yield (self.total,)

    return Total(F.lit(7))


@case()
def case_udtf_table_argument_rows(spark, F, T):
    @F.udtf(returnType="id: int, doubled: int")
    class Double:
        def eval(self, row):
            yield row["id"], row["id"] * 2

    df = spark.createDataFrame([(1,), (2,), (3,)], ["id"])
    return Double(df.asTable())


@case()
def case_udtf_table_partition_terminate(spark, F, T):
    @F.udtf(returnType="key int, n int, joined string")
    class Collect:
        def __init__(self):
            self.key, self.values = None, []

        def eval(self, row):
            self.key = row["key"]
            self.values.append(row["value"])

        def terminate(self):
            yield self.key, len(self.values), ",".join(self.values)

    return Collect(_pairs(spark).asTable().partitionBy("key").orderBy("value"))


@case()
def case_udtf_table_partition_order_desc(spark, F, T):
    @F.udtf(returnType="key int, value string, position int")
    class Position:
        def __init__(self):
            self.position = 0

        def eval(self, row):
            self.position += 1
            yield row["key"], row["value"], self.position

    df = _pairs(spark)
    return Position(df.asTable().partitionBy("key").orderBy(df.value.desc()))


@case()
def case_udtf_table_single_partition(spark, F, T):
    @F.udtf(returnType="key int, value string, position int")
    class Position:
        def __init__(self):
            self.position = 0

        def eval(self, row):
            self.position += 1
            yield row["key"], row["value"], self.position

    return Position(_pairs(spark).asTable().withSinglePartition().orderBy("value"))


@case()
def case_udtf_skip_rest_of_partition(spark, F, T):
    @F.udtf(returnType="key int, value string")
    class FirstTwo:
        def __init__(self):
            self.seen = 0

        def eval(self, row):
            self.seen += 1
            if self.seen > 2:
                raise F.SkipRestOfInputTableException()
            yield row["key"], row["value"]

    return FirstTwo(_pairs(spark).asTable().partitionBy("key").orderBy("value"))


@case()
def case_udtf_analyze_schema(spark, F, T):
    @F.udtf
    class Echo:
        @staticmethod
        def analyze(a, b):
            return F.AnalyzeResult(T.StructType().add("a", a.dataType).add("b", b.dataType))

        def eval(self, a, b):
            yield a, b

    return Echo(F.lit(1), F.lit("x"))


@case()
def case_udtf_analyze_values_and_kwargs(spark, F, T):
    @F.udtf
    class Described:
        @staticmethod
        def analyze(a, **kwargs):
            schema = T.StructType().add("count", T.IntegerType())
            for i in range(a.value):
                schema = schema.add(f"c{i}", kwargs["fill"].dataType)
            return F.AnalyzeResult(schema)

        def eval(self, a, **kwargs):
            yield (a, *([kwargs["fill"]] * a))

    return Described(F.lit(3), fill=F.lit("z"))


@case()
def case_udtf_analyze_table_argument(spark, F, T):
    @F.udtf
    class Columns:
        @staticmethod
        def analyze(table):
            names = "_".join(f.name for f in table.dataType.fields)
            schema = T.StructType().add(names, T.StringType()).add("is_table", T.BooleanType())
            return F.AnalyzeResult(schema, withSinglePartition=True)

        def __init__(self):
            self.rows = 0

        def eval(self, row):
            self.rows += 1

        def terminate(self):
            yield str(self.rows), table_flag

    table_flag = True

    return Columns(_pairs(spark).asTable())


@case()
def case_udtf_lateral_join_outer_column(spark, F, T):
    df = spark.createDataFrame([(1, 10), (5, 20)], "x int, y int")
    return df.lateralJoin(_plus_one(F)(F.col("x").outer()))


@case()
def case_udtf_sql_registered(spark, F, T):
    spark.udtf.register("kaspar_plus_one", _plus_one(F))
    return spark.sql("SELECT * FROM kaspar_plus_one(41)")


@case()
def case_udtf_sql_lateral(spark, F, T):
    spark.udtf.register("kaspar_plus_one", _plus_one(F))
    return spark.sql("SELECT * FROM VALUES (0, 1), (1, 2) t(x, y), LATERAL kaspar_plus_one(x)")


@case()
def case_udtf_sql_lateral_qualified(spark, F, T):
    spark.udtf.register("kaspar_plus_one", _plus_one(F))
    spark.createDataFrame([(3,), (8,)], "x int").createOrReplaceTempView("kaspar_udtf_t")
    return spark.sql("SELECT u.c2, t.x FROM kaspar_udtf_t t, LATERAL kaspar_plus_one(t.x) AS u")


@case()
def case_udtf_sql_table_argument(spark, F, T):
    @F.udtf(returnType="id: int, doubled: int")
    class Double:
        def eval(self, row):
            yield row["x"], row["x"] * 2

    spark.udtf.register("kaspar_double", Double)
    spark.createDataFrame([(3,), (8,)], "x int").createOrReplaceTempView("kaspar_udtf_t")
    return spark.sql("SELECT * FROM kaspar_double(TABLE(kaspar_udtf_t))")


@case()
def case_udtf_sql_named_arguments(spark, F, T):
    @F.udtf(returnType="a string, b string")
    class Named:
        def eval(self, a, b):
            yield a, b

    spark.udtf.register("kaspar_named", Named)
    return spark.sql("SELECT * FROM kaspar_named(b => 'second', a => 'first')")


@case()
def case_arrow_udtf_table_argument(spark, F, T):
    @F.arrow_udtf(returnType="x bigint, y bigint")
    class Vectorized:
        def eval(self, batch: pa.RecordBatch):
            yield pa.table({"x": batch.column("x"), "y": pc.multiply(batch.column("y"), 2)})

    df = spark.range(10).selectExpr("id as x", "id as y")
    return Vectorized(df.asTable())


@case()
def case_arrow_udtf_scalar_arguments(spark, F, T):
    @F.arrow_udtf(returnType="x int, y int")
    class Arrays:
        def eval(self, x: pa.Array, y: pa.Array):
            yield pa.table({"x": x, "y": y})

    return Arrays(F.lit(1), F.lit(2))


@case()
def case_arrow_udtf_partitioned(spark, F, T):
    @F.arrow_udtf(returnType="key int, n bigint")
    class Counts:
        def eval(self, batch: pa.RecordBatch):
            keys = batch.column("key")
            yield pa.table({"key": keys.slice(0, 1), "n": pa.array([len(batch)], pa.int64())})

    return Counts(_pairs(spark).asTable().partitionBy("key"))


@case("error")
def case_udtf_without_return_type(spark, F, T):
    class NoType:
        def eval(self, x):
            yield (x,)

    return F.udtf(NoType)


@case("error")
def case_udtf_not_a_class(spark, F, T):
    return F.udtf(lambda x: x, returnType="x int")


@case("error")
def case_udtf_without_eval(spark, F, T):
    class NoEval:
        def run(self, x):
            yield (x,)

    return F.udtf(NoEval, returnType="x int")


@case("error")
def case_udtf_return_type_and_analyze(spark, F, T):
    class Both:
        @staticmethod
        def analyze(x):
            return F.AnalyzeResult(T.StructType().add("x", T.IntegerType()))

        def eval(self, x):
            yield (x,)

    return F.udtf(Both, returnType="x int")


@case("error")
def case_udtf_register_not_a_udtf(spark, F, T):
    return spark.udtf.register("kaspar_bad", lambda x: x)


@case("error")
def case_udtf_wrong_column_count(spark, F, T):
    @F.udtf(returnType="a int, b int")
    class Short:
        def eval(self, x):
            yield (x,)

    return Short(F.lit(1))


@case()
def case_udtf_bare_value_one_column(spark, F, T):
    @F.udtf(returnType="a int")
    class Bare:
        def eval(self, x):
            yield x
            yield x + 1

    return Bare(F.lit(1))


@case("error")
def case_udtf_invalid_output_row(spark, F, T):
    @F.udtf(returnType="a int, b int")
    class Scalar:
        def eval(self, x):
            yield x

    return Scalar(F.lit(1))


@case("error")
def case_udtf_eval_signature_mismatch(spark, F, T):
    return _plus_one(F)(F.lit(1), F.lit(2))


@case("error")
def case_udtf_return_type_not_struct(spark, F, T):
    return _plus_one(F).__class__(_plus_one(F).func, returnType="int")(F.lit(1))


@case("error")
def case_udtf_eval_raises(spark, F, T):
    @F.udtf(returnType="a int")
    class Fails:
        def eval(self, x):
            raise ValueError("boom")

    return Fails(F.lit(1))


@case()
def case_arrow_udf_scalar(spark, F, T):
    @F.arrow_udf("string")
    def to_upper(s: pa.Array) -> pa.Array:
        return pc.ascii_upper(s)

    @F.arrow_udf(T.IntegerType())
    def slen(s: pa.Array) -> pa.Array:
        return pc.utf8_length(s)

    df = spark.createDataFrame([("John Doe",), (None,)], "name string")
    return df.select(to_upper("name"), slen(df.name))


@case()
def case_arrow_udf_struct_result(spark, F, T):
    @F.arrow_udf("first string, last string")
    def split_expand(v: pa.Array) -> pa.Array:
        parts = pc.ascii_split_whitespace(v)
        first = pc.list_element(parts, 0)
        last = pc.list_element(parts, 1)
        return pa.StructArray.from_arrays([first, last], names=["first", "last"])

    df = spark.createDataFrame([("John Doe",), ("Ada Lovelace",)], "name string")
    return df.select(split_expand("name"))


@case()
def case_arrow_udf_keyword_arguments(spark, F, T):
    @F.arrow_udf(returnType=T.LongType())
    def calc(a: pa.Array, b: pa.Array) -> pa.Array:
        return pc.add(a, pc.multiply(b, 10))

    return spark.range(3).select(calc(b=F.col("id") * 10, a=F.col("id")))


@case()
def case_arrow_udf_iterator(spark, F, T):
    @F.arrow_udf("long")
    def plus_one(iterator: Iterator[pa.Array]) -> Iterator[pa.Array]:
        for v in iterator:
            yield pc.add(v, 1)

    return spark.range(5).select(plus_one("id"))


@case()
def case_arrow_udf_grouped_aggregate(spark, F, T):
    @F.arrow_udf("double")
    def mean_udf(v: pa.Array) -> float:
        return pc.mean(v)

    df = spark.createDataFrame(
        [(1, 1.0), (1, 2.0), (2, 3.0), (2, 5.0), (2, 10.0)], "id int, v double"
    )
    return df.groupBy("id").agg(mean_udf(df.v))


@case()
def case_tvf_explode_lateral_struct_star(spark, F, T):
    orders = spark.createDataFrame(
        [(101, [("laptop", 5), ("mouse", 12)]), (102, [("tablet", 4)]), (103, [])],
        "order_id int, items array<struct<product:string,quantity:int>>",
    )
    return orders.lateralJoin(spark.tvf.explode(F.col("items").outer()).select("col.*")).select(
        "order_id", "product", "quantity"
    )


@case()
def case_udtf_sql_table_partition_by_order_by(spark, F, T):
    @F.udtf(returnType="key int, value string, position int")
    class Position:
        def __init__(self):
            self.position = 0

        def eval(self, row):
            self.position += 1
            yield row["key"], row["value"], self.position

    spark.udtf.register("kaspar_position", Position)
    _pairs(spark).createOrReplaceTempView("kaspar_udtf_pairs")
    return spark.sql(
        "SELECT * FROM kaspar_position(TABLE(kaspar_udtf_pairs) PARTITION BY key "
        "ORDER BY value DESC)"
    )


@case()
def case_udtf_sql_table_single_partition(spark, F, T):
    @F.udtf(returnType="value string, position int")
    class Position:
        def __init__(self):
            self.position = 0

        def eval(self, row):
            self.position += 1
            yield row["value"], self.position

    spark.udtf.register("kaspar_position2", Position)
    _pairs(spark).createOrReplaceTempView("kaspar_udtf_pairs")
    return spark.sql(
        "SELECT * FROM kaspar_position2(TABLE(SELECT value FROM kaspar_udtf_pairs WHERE key < 3) "
        "WITH SINGLE PARTITION ORDER BY value)"
    )


@case()
def case_udtf_lateral_join_left_empty_output(spark, F, T):
    @F.udtf(returnType="i int")
    class Upto:
        def eval(self, n):
            yield from ((i,) for i in range(n))

    df = spark.createDataFrame([(0,), (2,)], "n int")
    return df.lateralJoin(Upto(F.col("n").outer()), how="left")


@case()
def case_tvf_explode_lateral_struct_star_then_filter(spark, F, T):
    orders = spark.createDataFrame(
        [(101, [("laptop", 5), ("mouse", 12)]), (102, [("tablet", 4)])],
        "order_id int, items array<struct<product:string,quantity:int>>",
    )
    items = spark.tvf.explode(F.col("items").outer()).select("col.*")
    return orders.lateralJoin(items.where("quantity > 4").select("product")).select(
        "order_id", "product"
    )


@case()
def case_udtf_values_coerced_to_string_column(spark, F, T):
    @F.udtf(returnType="a string, b string, c string")
    class Texts:
        def eval(self, x):
            yield x, True, 2.5

    return Texts(F.lit(10))


@case()
def case_udtf_init_receives_analyze_result(spark, F, T):
    @F.udtf
    class Scaled:
        def __init__(self, analyze_result):
            self.factor = len(analyze_result.schema.fields)

        @staticmethod
        def analyze(x):
            return F.AnalyzeResult(
                T.StructType().add("scaled", T.IntegerType()).add("f", T.IntegerType())
            )

        def eval(self, x):
            yield x * self.factor, self.factor

        def cleanup(self):
            self.factor = None

    return Scaled(F.lit(5))


@case()
def case_udtf_analyze_partitions_and_selects(spark, F, T):
    @F.udtf
    class Totals:
        @staticmethod
        def analyze(table):
            return F.AnalyzeResult(
                T.StructType().add("k", T.IntegerType()).add("total", T.LongType()),
                partitionBy=[F.PartitioningColumn("key")],
                orderBy=[F.OrderingColumn("value", ascending=False)],
                select=[F.SelectedColumn("key"), F.SelectedColumn("key * 10", alias="v")],
            )

        def __init__(self):
            self.key, self.total, self.first = None, 0, None

        def eval(self, row):
            self.key = row["key"]
            self.total = self.total * 2 + row["v"]  # depends on the order

        def terminate(self):
            yield self.key, self.total

    return Totals(_pairs(spark).asTable())


@case()
def case_udtf_analyze_with_outer_argument(spark, F, T):
    @F.udtf
    class Echo:
        @staticmethod
        def analyze(a, b):
            return F.AnalyzeResult(T.StructType().add("a", a.dataType).add("b", b.dataType))

        def eval(self, a, b):
            yield a, b

    df = spark.createDataFrame([(1, "p"), (2, "q")], "x int, s string")
    return df.lateralJoin(Echo(F.col("x").outer(), F.lit(2.5)))
