"""Spark SQL → DuckDB SQL translation pairs (tests/fixtures/compile/*.sql) and plan compilation."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot

from kaspar.engine.compile.dialect import KasparSpark, generate
from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L

FIXTURES = Path(__file__).parents[2] / "fixtures" / "compile"


def _pairs() -> list[tuple[str, str, str]]:
    """Each fixture file holds blocks: Spark SQL line, expected DuckDB SQL line, blank line."""
    pairs = []
    for path in sorted(FIXTURES.glob("*.sql")):
        lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("--")]
        for i in range(0, len(lines), 2):
            pairs.append((f"{path.stem}:{i // 2}", lines[i], lines[i + 1]))
    return pairs


@pytest.mark.parametrize(("name", "spark_sql", "duckdb_sql"), _pairs())
def test_translation(name: str, spark_sql: str, duckdb_sql: str) -> None:
    tree = sqlglot.parse_one(spark_sql, dialect=KasparSpark)
    assert generate(tree) == duckdb_sql


def test_legacy_cast_is_try_cast() -> None:
    tree = sqlglot.parse_one("SELECT CAST(s AS INT) FROM t", dialect=KasparSpark)
    assert generate(tree, ansi=False) == "SELECT TRY_CAST(s AS INT) FROM t"


def test_plan_compiles_to_one_query() -> None:
    table = pa.table({"c0": [1, 2, 3]})
    rel = L.LocalRelation(table, ("x",))
    plan = L.Limit(
        L.Sort(
            L.Filter(rel, sqlglot.parse_one("x > 1")),
            (sqlglot.parse_one("x DESC", into=sqlglot.exp.Ordered),),
        ),
        5,
    )
    executor = Executor()
    sql = executor.sql(plan)
    assert sql.count("SELECT") == 5
    assert executor.execute(plan).column(0).to_pylist() == [3, 2]
    assert executor.count(plan) == 2
