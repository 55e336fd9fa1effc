"""Fixes found by running PySpark's documentation examples (``tools.doc_examples``) that a
parity case cannot show: they need a process time zone other than the test run's UTC."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator

import pytest

from kaspar.sql import SparkSession
from kaspar.sql import functions as F

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def los_angeles() -> Iterator[SparkSession]:
    """A session in America/Los_Angeles, with the process's local time zone there too (as
    PySpark's doctests run)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    session = SparkSession.builder.config(
        "spark.sql.session.timeZone", "America/Los_Angeles"
    ).create()
    try:
        yield session
    finally:
        session.stop()
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_naive_datetime_is_local_time(los_angeles: SparkSession) -> None:
    """PySpark reads a naive datetime as local time (``time.mktime``), not as UTC."""
    moment = dt.datetime(2015, 4, 8, 13, 8, 15)
    df = los_angeles.createDataFrame([(moment, [moment])], ["ts", "arr"])
    row = df.select("ts", "arr", F.hour("ts").alias("h"), F.unix_timestamp("ts").alias("u")).first()
    assert row is not None
    assert row.ts == moment
    assert row.arr == [moment]
    assert row.h == 13
    assert row.u == 1428523695  # 2015-04-08 20:08:15 UTC
    assert "|2015-04-08 13:08:15|" in df.select("ts")._show_string()


def test_aware_datetime_keeps_its_instant(los_angeles: SparkSession) -> None:
    moment = dt.datetime(2015, 4, 8, 13, 8, 15, tzinfo=dt.UTC)
    row = los_angeles.createDataFrame([(moment,)], ["ts"]).first()
    assert row is not None
    assert row.ts == dt.datetime(2015, 4, 8, 6, 8, 15)


def test_show_prints_timestamps_in_the_session_time_zone(los_angeles: SparkSession) -> None:
    """``show`` casts a timestamp to text in the session zone; ``collect`` stays local."""
    df = los_angeles.createDataFrame([(1230219000,)], ["s"]).select(
        F.timestamp_seconds("s").alias("t"), F.array(F.timestamp_seconds("s")).alias("a")
    )
    assert "|2008-12-25 07:30:00|[2008-12-25 07:30:00]|" in df._show_string(truncate=False)
    los_angeles.conf.set("spark.sql.session.timeZone", "UTC")
    assert "|2008-12-25 15:30:00|[2008-12-25 15:30:00]|" in df._show_string(truncate=False)
    row = df.first()
    assert row is not None and row.t == dt.datetime(2008, 12, 25, 7, 30)


def test_unset_time_zone_returns_to_the_process_zone(los_angeles: SparkSession) -> None:
    """Spark's default session zone is the JVM's, which follows ``TZ``."""
    los_angeles.conf.set("spark.sql.session.timeZone", "UTC")
    los_angeles.conf.unset("spark.sql.session.timeZone")
    assert los_angeles.conf.get("spark.sql.session.timeZone") == "America/Los_Angeles"
    row = los_angeles.range(1).select(F.hour(F.timestamp_seconds(F.lit(1230219000))).alias("h"))
    assert row.first() == (7,)
