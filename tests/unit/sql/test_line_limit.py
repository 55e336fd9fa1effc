"""A line longer than the read's limit is a clear SparkException, and maxCharsPerColumn raises
the limit (CSV and text reads; DuckDB needs a line limit, Spark has none)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaspar.errors import AnalysisException, SparkException
from kaspar.sql import SparkSession

LONG = 9 << 20  # characters: over the default 8 MiB limit


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def test_csv_line_over_the_limit(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a,b\n1," + "x" * LONG + "\n2,y\n")
    reader = spark.read.options(header="true").schema("a int, b string")
    with pytest.raises(SparkException, match="maxCharsPerColumn") as raised:
        reader.csv(str(path)).count()
    assert raised.value.getCondition() == "FAILED_READ_FILE.NO_HINT"
    assert len(str(raised.value)) < 500  # not the whole line
    rows = reader.option("maxCharsPerColumn", str(LONG + 10)).csv(str(path)).collect()
    assert [(r.a, len(r.b)) for r in rows] == [(1, LONG), (2, 1)]


def test_text_line_over_the_limit(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("x" * LONG + "\nshort\n")
    with pytest.raises(SparkException, match="maxCharsPerColumn"):
        spark.read.text(str(path)).count()
    frame = spark.read.option("maxCharsPerColumn", str(LONG + 10)).text(str(path))
    assert [len(r.value) for r in frame.collect()] == [LONG, 5]


def test_max_chars_per_column_must_be_an_integer(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text("a\n1\n")
    with pytest.raises(AnalysisException, match="maxCharsPerColumn"):
        spark.read.option("maxCharsPerColumn", "lots").csv(str(path)).count()
