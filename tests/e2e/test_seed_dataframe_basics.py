"""The seeds' DataFrame basics run on kaspar: seed 001's "PySpark basics", seed 000's snippet.

The code between the markers is the seeds' text with only the imports naming kaspar and the file
names pointing at small files of the shape the seeds assume (people with a name, an age, a
department, a gender; logs with a userId). Seed 000's `context.load(path, "json")` is Spark 1.x's
API; today's is `spark.read.load(path, format="json")` or `spark.read.json(path)`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kaspar.sql import SparkSession

PEOPLE = [
    ("ada", 36, "engineering", "f", 1),
    ("alan", 17, "research", "m", 2),
    ("grace", 45, "engineering", "f", 3),
    ("linus", 19, "research", "m", 4),
    ("ken", 31, "operations", "m", 5),
]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    rows = [
        dict(zip(("name", "age", "department", "gender", "userId"), p, strict=True)) for p in PEOPLE
    ]
    (tmp_path / "data.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    csv = "name,age,department\n" + "".join(f"{p[0]},{p[1]},{p[2]}\n" for p in PEOPLE)
    (tmp_path / "data.csv").write_text(csv)
    logs = [{"userId": 2, "page": "/a"}, {"userId": 4, "page": "/b"}, {"userId": 9, "page": "/c"}]
    (tmp_path / "logs.json").write_text("".join(json.dumps(r) + "\n" for r in logs))
    return tmp_path


def test_seed_001_pyspark_basics(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir)
    SparkSession.builder.getOrCreate().read.json("data.json").write.parquet("data.parquet")

    # --- seed 001, "PySpark basics" ------------------------------------------------------------
    spark = SparkSession.builder.appName("MyApp").getOrCreate()
    # Read data
    df = spark.read.csv("data.csv", header=True, inferSchema=True)
    df = spark.read.json("data.json")
    df = spark.read.parquet("data.parquet")
    # Transformations (lazy — not executed until action called)
    df_filtered = df.filter(df.age > 18)
    df_selected = df.select("name", "age")
    df_sorted = df.orderBy("age", ascending=False)
    df_grouped = df.groupBy("department").count()
    # Actions (trigger execution)
    df.show(5)
    df.count()
    result = df.collect()  # returns list — use sparingly on large data
    # SQL interface
    df.createOrReplaceTempView("people")
    spark.sql("SELECT name, age FROM people WHERE age > 30").show()
    # Write
    df.write.parquet("output/")
    df.write.mode("overwrite").csv("output/")
    # ---------------------------------------------------------------------------------------------

    assert sorted(r.name for r in df_filtered.collect()) == ["ada", "grace", "ken", "linus"]
    assert df_selected.columns == ["name", "age"]
    assert [r.age for r in df_sorted.collect()] == [45, 36, 31, 19, 17]
    assert {r.department: r["count"] for r in df_grouped.collect()} == {
        "engineering": 2,
        "research": 2,
        "operations": 1,
    }
    assert len(result) == 5
    over_30 = spark.sql("SELECT name, age FROM people WHERE age > 30").collect()
    assert sorted(r.name for r in over_30) == ["ada", "grace", "ken"]
    csv_files = [f for f in os.listdir("output") if f.endswith(".csv")]
    assert csv_files and spark.read.csv("output/").count() == 5


def test_seed_000_dataframe_snippet(workdir: Path) -> None:
    spark = SparkSession.builder.getOrCreate()
    logs = spark.read.json(str(workdir / "logs.json"))

    # --- seed 000, with context.load(path, "json") as spark.read.load(path, format="json") -----
    users = spark.read.load(str(workdir / "data.json"), format="json")
    # Create a new DataFrame that contains "young users" only
    young = users.filter(users.age < 21)
    # Alternatively, using Pandas-like syntax
    young = users[users.age < 21]
    # Increment everybody's age by 1
    older = young.select(young.name, young.age + 1)
    # Count the number of young users by gender
    by_gender = young.groupBy("gender").count()
    # Join young users with another DataFrame called logs
    joined = young.join(logs, logs.userId == users.userId, "left_outer")
    # ---------------------------------------------------------------------------------------------

    assert sorted(tuple(r) for r in older.collect()) == [("alan", 18), ("linus", 20)]
    assert [tuple(r) for r in by_gender.collect()] == [("m", 2)]
    assert sorted(r.page for r in joined.collect()) == ["/a", "/b"]
