"""Spark's jdbc source and sink against a real PostgreSQL (kaspar.testing.postgres).

The expected values are what Spark's PostgreSQL dialect gives for the same tables: types per
column, timestamps read in the session time zone, NULLs and empty strings kept apart.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kaspar.errors import AnalysisException, IllegalArgumentException, SparkRuntimeException
from kaspar.sql import SparkSession
from tests.integration.connect.postgres_fixture import PostgresServer, postgres

__all__ = ["postgres"]  # the fixture, one PostgreSQL for the run


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    session = SparkSession.builder.getOrCreate()
    session.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    return session


def _url(pg: PostgresServer) -> str:
    return f"jdbc:postgresql://{pg.host}:{pg.port}/{pg.dbname}?user={pg.user}"


def _sql(pg: PostgresServer, *statements: str) -> list[Any]:
    conn = pg.connect()
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


@pytest.fixture(scope="module")
def orders(postgres: PostgresServer) -> str:
    _sql(
        postgres,
        "DROP TABLE IF EXISTS orders",
        """CREATE TABLE orders (
            id INTEGER PRIMARY KEY, small SMALLINT, big BIGINT, amount NUMERIC(10,2),
            loose NUMERIC, ratio REAL, score DOUBLE PRECISION, ok BOOLEAN, note TEXT,
            code VARCHAR(8), day DATE, at TIMESTAMP, at_tz TIMESTAMPTZ, raw BYTEA,
            tags TEXT[], nums INTEGER[], doc JSONB, uid UUID)""",
        """INSERT INTO orders VALUES
            (1, 7, 9000000000, 12.50, 3.25, 1.5, 2.25, true, 'plain', 'A1', '2026-01-02',
             '2026-01-02 10:30:00.123456', '2026-01-02 10:30:00+00', '\\x00ff10',
             ARRAY['a','b, c','"q"'], ARRAY[1,NULL,3], '{"k": [1, 2]}',
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
            (2, NULL, NULL, NULL, NULL, 'NaN', '-Infinity', false, '', NULL, NULL, NULL, NULL,
             NULL, ARRAY[]::TEXT[], NULL, NULL, NULL),
            (3, -32768, -1, -0.01, 1e-10, 0, 0, NULL, E'line\\nbreak, "quoted"', 'x',
             '1999-12-31', '1999-12-31 23:59:59', '2000-01-01 07:59:59+00', '\\x', NULL,
             ARRAY[42], 'null', NULL)""",
    )
    return "orders"


def test_read_maps_types_as_spark_does(
    spark: SparkSession, postgres: PostgresServer, orders: str
) -> None:
    df = spark.read.jdbc(_url(postgres), orders)
    assert df.schema.simpleString() == (
        "struct<id:int,small:smallint,big:bigint,amount:decimal(10,2),loose:decimal(38,18),"
        "ratio:float,score:double,ok:boolean,note:string,code:string,day:date,at:timestamp,"
        "at_tz:timestamp,raw:binary,tags:array<string>,nums:array<int>,doc:string,uid:string>"
    )
    rows = {r.id: r for r in df.collect()}
    one, two, three = rows[1], rows[2], rows[3]
    assert (one.small, one.big, one.amount, one.loose) == (
        7,
        9000000000,
        Decimal("12.50"),
        Decimal("3.25"),
    )
    assert (one.ratio, one.score, one.ok, one.note, one.code) == (1.5, 2.25, True, "plain", "A1")
    assert one.day == dt.date(2026, 1, 2)
    # a timestamp without time zone is wall-clock time in the session's zone (Spark's reader);
    # as text, a timestamp shows in the session's zone
    shown = {
        r.id: (r.at, r.at_tz)
        for r in df.selectExpr(
            "id", "CAST(at AS STRING) AS at", "CAST(at_tz AS STRING) AS at_tz"
        ).collect()
    }
    assert shown[1] == ("2026-01-02 10:30:00.123456", "2026-01-02 02:30:00")
    assert shown[3] == ("1999-12-31 23:59:59", "1999-12-31 23:59:59")
    assert one.raw == bytearray(b"\x00\xff\x10")
    assert one.tags == ["a", "b, c", '"q"']
    assert one.nums == [1, None, 3]
    assert one.doc == '{"k": [1, 2]}'
    assert one.uid == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert two.small is None and two.amount is None and two.note == "" and two.code is None
    assert two.ratio != two.ratio and two.score == float("-inf")  # NaN, -Infinity
    assert two.tags == [] and two.nums is None and two.at is None and two.raw is None
    assert three.note == 'line\nbreak, "quoted"' and three.raw == bytearray(b"")
    assert three.loose == Decimal("1E-10")


def test_read_is_lazy_and_sees_new_rows(spark: SparkSession, postgres: PostgresServer) -> None:
    _sql(postgres, "DROP TABLE IF EXISTS lazy_t", "CREATE TABLE lazy_t (v INT)")
    df = spark.read.format("jdbc").option("url", _url(postgres)).option("dbtable", "lazy_t").load()
    _sql(postgres, "INSERT INTO lazy_t SELECT generate_series(1, 50000)")
    assert df.count() == 50000
    agg = df.filter("v % 2 = 0").groupBy().sum("v").collect()[0][0]
    assert agg == sum(range(2, 50001, 2))
    _sql(postgres, "INSERT INTO lazy_t VALUES (50001)")
    assert df.count() == 50001


def test_query_option_and_custom_schema(
    spark: SparkSession, postgres: PostgresServer, orders: str
) -> None:
    df = (
        spark.read.format("jdbc")
        .option("url", _url(postgres))
        .option("query", "SELECT id, amount FROM orders WHERE id < 3")
        .option("customSchema", "id BIGINT, amount STRING")
        .load()
    )
    assert df.schema.simpleString() == "struct<id:bigint,amount:string>"
    assert sorted(df.collect()) == [(1, "12.50"), (2, None)]


def test_write_modes_round_trip(spark: SparkSession, postgres: PostgresServer) -> None:
    url = _url(postgres)
    df = spark.createDataFrame(
        [
            (
                1,
                "a",
                1.5,
                True,
                dt.date(2026, 3, 1),
                dt.datetime(2026, 3, 1, 8, 0),
                b"\x01",
                [1, 2],
            ),
            (2, "", None, None, None, None, None, None),
            (3, 'x, "y"\nz', -0.5, False, dt.date(1970, 1, 1), dt.datetime(1970, 1, 1), b"", []),
        ],
        "id INT, s STRING, d DOUBLE, b BOOLEAN, day DATE, ts TIMESTAMP, raw BINARY, xs ARRAY<INT>",
    )
    _sql(postgres, "DROP TABLE IF EXISTS written")
    df.write.jdbc(url, "written")
    columns = _sql(
        postgres,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'written' ORDER BY ordinal_position",
    )
    assert columns == [
        ("id", "integer"),
        ("s", "text"),
        ("d", "double precision"),
        ("b", "boolean"),
        ("day", "date"),
        ("ts", "timestamp without time zone"),
        ("raw", "bytea"),
        ("xs", "ARRAY"),
    ]
    back = spark.read.jdbc(url, "written")
    assert sorted(back.collect()) == sorted(df.collect())
    # errorifexists (the default) refuses, and writes nothing
    with pytest.raises(AnalysisException, match="already exists"):
        df.write.jdbc(url, "written")
    df.write.jdbc(url, "written", mode="ignore")
    assert back.count() == 3
    df.write.jdbc(url, "written", mode="append")
    assert back.count() == 6
    df.limit(1).write.option("truncate", "true").jdbc(url, "written", mode="overwrite")
    assert back.count() == 1
    df.select("id").write.mode("overwrite").format("jdbc").option("url", url).option(
        "dbtable", "written"
    ).save()
    assert spark.read.jdbc(url, "written").columns == ["id"]


def test_failed_write_leaves_table_untouched(spark: SparkSession, postgres: PostgresServer) -> None:
    url = _url(postgres)
    _sql(postgres, "DROP TABLE IF EXISTS strict_t", "CREATE TABLE strict_t (id INT CHECK (id < 3))")
    _sql(postgres, "INSERT INTO strict_t VALUES (0)")
    df = spark.range(5).selectExpr("CAST(id AS INT) AS id")
    with pytest.raises(SparkRuntimeException, match="nothing was written"):
        df.write.jdbc(url, "strict_t", mode="append")
    assert _sql(postgres, "SELECT count(*) FROM strict_t") == [(1,)]


def test_bad_options_name_what_is_wrong(spark: SparkSession, postgres: PostgresServer) -> None:
    reader = spark.read.format("jdbc")
    with pytest.raises(IllegalArgumentException, match="'url' is required"):
        reader.option("dbtable", "t").load()
    with pytest.raises(IllegalArgumentException, match="serves PostgreSQL URLs"):
        spark.read.jdbc("jdbc:mysql://localhost/db", "t")
    with pytest.raises(IllegalArgumentException, match="can not be specified at the same time"):
        spark.read.format("jdbc").options(url=_url(postgres), dbtable="t", query="SELECT 1").load()
    with pytest.raises(AnalysisException, match="no_such_table"):
        spark.read.jdbc(_url(postgres), "no_such_table")
    with pytest.raises(SparkRuntimeException, match="could not connect"):
        spark.read.jdbc(f"jdbc:postgresql://127.0.0.1:1/x?user={postgres.user}", "t")
