"""Error paths and edge cases of the functions added for PySpark 4.3 parity (``chr``,
``collate``, ``counter_diff``, bitmaps, ``observe``, geospatial)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from kaspar.errors import AnalysisException, SparkException, SparkRuntimeException
from kaspar.sql import SparkSession, Window
from kaspar.sql import functions as F
from kaspar.sql.functions.collation import resolve


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


def test_chr_takes_the_code_modulo_256_and_gives_empty_below_zero(spark: SparkSession) -> None:
    df = spark.createDataFrame([(-1,), (65,), (321,), (None,)], "n long")
    assert [r[0] for r in df.select(F.chr("n")).collect()] == ["", "A", "A", None]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("utf8_binary", ("UTF8_BINARY", None)),
        ("UTF8_LCASE", ("UTF8_LCASE", "nocase")),
        ("unicode", ("UNICODE", "en")),
        ("UNICODE_CI", ("UNICODE_CI", "en.nocase")),
        ("unicode_ci_ai", ("UNICODE_CI_AI", "en.nocase.noaccent")),
        ("EN_CI", ("en_CI", "en.nocase")),
    ],
)
def test_collation_names_map_to_duckdb_collations(name: str, expected: tuple[str, str]) -> None:
    assert resolve(name) == expected


@pytest.mark.parametrize("name", ["FOO", "UTF8_LCASE_RTRIM", "UTF8_CI", "xx_CI", ""])
def test_unknown_or_unsupported_collations_are_refused(name: str) -> None:
    with pytest.raises(SparkException) as info:
        resolve(name)
    assert info.value.getCondition() == "COLLATION_INVALID_NAME"
    assert "UTF8_LCASE" in str(info.value)  # names what is supported


def test_collate_refuses_a_number(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,)], "n int")
    with pytest.raises(AnalysisException, match='requires the "STRING" type'):
        df.select(F.collate("n", "UTF8_LCASE")).collect()


def test_a_lower_case_collation_groups_case_variants(spark: SparkSession) -> None:
    df = spark.createDataFrame([("Abc",), ("abc",), ("x",)], "s string")
    grouped = df.groupBy(F.collate("s", "UTF8_LCASE").alias("c")).count()
    assert sorted(r["count"] for r in grouped.collect()) == [1, 2]


def _counters(spark: SparkSession) -> object:
    rows = [(1, 5, dt.datetime(2026, 1, 1)), (2, 7, dt.datetime(2026, 1, 1))]
    return spark.createDataFrame(rows, "t int, c int, s timestamp")


def test_counter_diff_needs_an_over_clause(spark: SparkSession) -> None:
    df = _counters(spark)
    with pytest.raises(AnalysisException) as info:
        df.select(F.counter_diff("c")).collect()  # type: ignore[attr-defined]
    assert info.value.getCondition() == "WINDOW_FUNCTION_WITHOUT_OVER_CLAUSE"


def test_counter_diff_refuses_another_frame(spark: SparkSession) -> None:
    w = Window.orderBy("t").rowsBetween(-1, 0)
    with pytest.raises(AnalysisException) as info:
        _counters(spark).select(F.counter_diff("c").over(w)).collect()  # type: ignore[attr-defined]
    assert info.value.getCondition() == "_LEGACY_ERROR_TEMP_1036"


def test_counter_diff_accepts_its_own_frame(spark: SparkSession) -> None:
    w = Window.orderBy("t").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    rows = _counters(spark).select(F.counter_diff("c").over(w)).collect()  # type: ignore[attr-defined]
    assert [r[0] for r in rows] == [None, 2]


def test_counter_diff_negative_value_is_a_runtime_error(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, -5)], "t int, c int")
    with pytest.raises(SparkRuntimeException, match="negative counter value -5"):
        df.select(F.counter_diff("c").over(Window.orderBy("t"))).collect()


def test_bitmap_aggregates_write_spark_layout(spark: SparkSession) -> None:
    df = spark.createDataFrame([(0,), (9,), (32767,), (None,)], "p int")
    bitmap = df.select(F.bitmap_construct_agg("p")).collect()[0][0]
    assert len(bitmap) == 4096
    assert (bitmap[0], bitmap[1], bitmap[4095]) == (0x01, 0x02, 0x80)


def test_bitmap_and_agg_pads_short_binaries_with_zeros(spark: SparkSession) -> None:
    df = spark.createDataFrame([(bytes([0xFF, 0xFF]),), (bytes([0x0F]),)], "b binary")
    row = df.select(F.bitmap_and_agg("b"), F.bitmap_or_agg("b")).collect()[0]
    assert bytes(row[0]) == bytes([0x0F]) + bytes(4095)
    assert bytes(row[1]) == bytes([0xFF, 0xFF]) + bytes(4094)


def test_bitmap_position_out_of_range(spark: SparkSession) -> None:
    from kaspar.errors import ArrayIndexOutOfBoundsException

    df = spark.createDataFrame([(32768,)], "p int")
    with pytest.raises(ArrayIndexOutOfBoundsException, match="position 32768 is out of bounds"):
        df.select(F.bitmap_construct_agg("p")).collect()


def test_bitmap_count_refuses_a_string(spark: SparkSession) -> None:
    df = spark.createDataFrame([("ab",)], "b string")
    with pytest.raises(AnalysisException, match='requires the "BINARY" type'):
        df.select(F.bitmap_count("b")).collect()


def test_observation_metrics_come_from_the_first_action(spark: SparkSession) -> None:
    from kaspar.sql import Observation

    observation = Observation("m")
    df = spark.createDataFrame([(2,), (5,)], "age int")
    observed = df.observe(observation, F.count(F.lit(1)).alias("n"), F.max("age"))
    assert observed.where("age > 3").count() == 1
    assert observation.get == {"n": 2, "max(age)": 5}
    observed.collect()
    assert observation.get == {"n": 2, "max(age)": 5}


def test_observation_errors(spark: SparkSession) -> None:
    from kaspar.errors import PySparkAssertionError, PySparkTypeError
    from kaspar.sql import Observation

    with pytest.raises(PySparkAssertionError, match="before `get`"):
        _ = Observation().get
    with pytest.raises(PySparkTypeError):
        Observation(3)  # type: ignore[arg-type]
    df = spark.createDataFrame([(2,)], "age int")
    with pytest.raises(PySparkTypeError):
        df.observe(3, F.max("age"))  # type: ignore[arg-type]


POINT = bytes.fromhex("0101000000000000000000F03F0000000000000040")


def test_geometry_values_collect_as_pyspark_does(spark: SparkSession) -> None:
    from kaspar.sql.types import Geometry, GeometryType

    df = spark.createDataFrame([(POINT,)], "wkb binary").select(
        F.st_geomfromwkb("wkb", 3857).alias("g")
    )
    assert df.schema["g"].dataType == GeometryType(3857)
    assert df.collect()[0].g == Geometry(bytearray(POINT), 3857)


def test_st_asbinary_swaps_a_point_and_refuses_other_shapes(spark: SparkSession) -> None:
    line = bytes.fromhex("0102000000010000000000000000000000000000000000F03F")
    df = spark.createDataFrame([(POINT,)], "wkb binary")
    big = df.select(F.st_asbinary(F.st_geomfromwkb("wkb"), "XDR")).collect()[0][0]
    assert bytes(big).hex().upper() == "00000000013FF00000000000004000000000000000"
    other = spark.createDataFrame([(line,)], "wkb binary")
    with pytest.raises(Exception, match="byte order of a WKB point only"):
        other.select(F.st_asbinary(F.st_geomfromwkb("wkb"), "XDR")).collect()


def test_write_to_operations(tmp_path: object) -> None:
    session = (
        SparkSession.builder.config("spark.sql.warehouse.dir", str(tmp_path))
        .config("spark.sql.session.timeZone", "UTC")
        .create()
    )
    try:
        df = session.createDataFrame([(1, "a"), (2, "b")], "id int, s string")
        df.writeTo("t").partitionedBy("s").create()
        session.createDataFrame([("c", 3)], "s string, id int").writeTo("t").append()

        def rows() -> list[tuple[int, str]]:
            return sorted((r.id, r.s) for r in session.table("t").collect())

        assert rows() == [(1, "a"), (2, "b"), (3, "c")]
        session.createDataFrame([(5, "a")], "id int, s string").writeTo("t").overwritePartitions()
        assert rows() == [(2, "b"), (3, "c"), (5, "a")]
        replacement = session.createDataFrame([(6, "b")], "id int, s string")
        replacement.writeTo("t").overwrite(F.col("s") == "b")
        assert rows() == [(3, "c"), (5, "a"), (6, "b")]
        session.createDataFrame([(9, "z")], "id int, s string").writeTo("t").replace()
        assert rows() == [(9, "z")]
        with pytest.raises(AnalysisException, match="cannot be replaced"):
            df.writeTo("missing").replace()
    finally:
        session.stop()
