"""examples/word_count: the counts in Parquet are the words of the produced lines, counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.e2e.examples.conftest import EXAMPLES

HERE = EXAMPLES / "word_count"


def expected_counts(*names: str) -> Counter[str]:
    return Counter(word for name in names for word in (HERE / name).read_text().split())


def parquet_counts(directory: Path) -> dict[str, int]:
    table = pq.read_table(directory).to_pylist()
    return {row["word"]: row["count"] for row in table}


def test_word_count_embedded(run_example: Callable[..., str], tmp_path: Path) -> None:
    output = run_example("word_count", "--data-dir", str(tmp_path))

    first = expected_counts("lines.txt")
    assert f"{len(first)} words in" in output
    assert f"the          {first['the']}" in output
    assert parquet_counts(tmp_path / "wordCount") == expected_counts("lines.txt", "more_lines.txt")
    assert (tmp_path / "streamcheckpoint" / "commits").is_dir()


def test_word_count_on_given_kafka(
    run_example: Callable[..., str], bootstrap_servers: str, tmp_path: Path
) -> None:
    run_example("word_count", "--bootstrap-servers", bootstrap_servers, "--data-dir", str(tmp_path))

    assert not (tmp_path / "broker").exists()
    assert parquet_counts(tmp_path / "wordCount") == expected_counts("lines.txt", "more_lines.txt")


def test_seed_parquet_sink_rejects_counts_as_spark_does(
    bootstrap_servers: str, tmp_path: Path
) -> None:
    """The seed's Scala writes the counts with the Parquet sink: Spark refuses that (README)."""
    from examples.word_count.main import word_counts
    from kaspar.errors import AnalysisException
    from kaspar.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    with pytest.raises(AnalysisException, match="Append output mode not supported"):
        (
            word_counts(spark, bootstrap_servers)
            .writeStream.format("parquet")
            .option("path", str(tmp_path / "wordCount"))
            .option("checkpointLocation", str(tmp_path / "streamcheckpoint"))
            .start()
        )
