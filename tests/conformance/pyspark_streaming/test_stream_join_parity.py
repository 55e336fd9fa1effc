"""Stream-stream joins on kaspar against PySpark 4's recorded answers (``stream_join_cases``):
the rows of every batch (outer rows when the watermark passes), batch ids with the no-data
batches, the state rows left at the end (eviction), and Spark's errors for refused joins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.pyspark_streaming.stream_join_cases import CASES, FIXTURE, run

RECORDED = json.loads(FIXTURE.read_text())


@pytest.mark.parametrize("case", list(CASES))
def test_stream_join_matches_pyspark(
    case: str, kaspar_streaming: tuple[Any, Any], tmp_path: Path
) -> None:
    spark, F = kaspar_streaming
    assert run(spark, F, case, tmp_path) == RECORDED[case]
