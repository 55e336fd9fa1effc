"""The four engine-benchmark queries, once as DataFrame code and once as plain DuckDB SQL.

The DataFrame functions take ``(spark, F, path)`` and run unchanged on kaspar and on PySpark;
the SQL is what a DuckDB user would write by hand for the same result. Every query reads and
parses the JSON file itself (with the schema given, so no engine pays for inference) and
returns a small result, so the time is the engine's, not Python's row conversion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.engine_data import SCHEMA_DDL

DUCKDB_EVENTS = (
    "read_json('{path}', format = 'newline_delimited', columns = {{'ts': 'TIMESTAMP', "
    "'user': 'VARCHAR', 'action': 'VARCHAR', 'amount': 'DOUBLE', 'text': 'VARCHAR'}})"
)


def _events(spark: Any, path: str) -> Any:
    return spark.read.schema(SCHEMA_DDL).json(path)


def filter_project(spark: Any, F: Any, path: str) -> Any:
    events = _events(spark, path)
    purchases = events.filter((F.col("action") == "purchase") & (F.col("amount") > 990))
    return purchases.select(
        "ts", "user", F.upper("action").alias("action"), (F.col("amount") * 1.1).alias("gross")
    )


def group_by_user(spark: Any, F: Any, path: str) -> Any:
    events = _events(spark, path)
    return events.groupBy("user").agg(F.sum("amount").alias("total"), F.count("*").alias("n"))


def minute_buckets(spark: Any, F: Any, path: str) -> Any:
    events = _events(spark, path)
    minute = F.date_trunc("minute", F.col("ts")).alias("minute")
    return events.groupBy(minute).agg(F.count("*").alias("n"), F.sum("amount").alias("total"))


def word_count(spark: Any, F: Any, path: str) -> Any:
    events = _events(spark, path)
    words = events.select(F.explode(F.split(F.col("text"), " ")).alias("word"))
    return words.groupBy("word").count()


@dataclass(frozen=True)
class Query:
    name: str
    dataframe: Callable[[Any, Any, str], Any]
    sql: str

    def duckdb_sql(self, path: str) -> str:
        return self.sql.replace("{events}", DUCKDB_EVENTS.format(path=path))


QUERIES = (
    Query(
        "filter+project",
        filter_project,
        'SELECT ts, "user", upper(action) AS action, amount * 1.1 AS gross FROM {events} '
        "WHERE action = 'purchase' AND amount > 990",
    ),
    Query(
        "groupBy sum/count",
        group_by_user,
        'SELECT "user", sum(amount) AS total, count(*) AS n FROM {events} GROUP BY "user"',
    ),
    Query(
        "1-minute buckets",
        minute_buckets,
        "SELECT date_trunc('minute', ts) AS minute, count(*) AS n, sum(amount) AS total "
        "FROM {events} GROUP BY 1",
    ),
    Query(
        "word count",
        word_count,
        "SELECT word, count(*) AS count FROM "
        "(SELECT unnest(string_split(text, ' ')) AS word FROM {events}) GROUP BY word",
    ),
)
