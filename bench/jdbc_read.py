"""kaspar's jdbc source against psycopg2's fetchall, on one temporary PostgreSQL.

    .venv/bin/python -m bench.jdbc_read [--rows 1000000] [--runs 2]

1M rows (bigint, text, numeric(10,2), timestamptz) in a table; kaspar reads it through
``spark.read.jdbc`` and groups it (sum and max); the peer is psycopg2's ``fetchall`` of the same
rows, with no work after it. Needs PostgreSQL's binaries (``apt-get install postgresql``).
"""

from __future__ import annotations

import argparse
import time

from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.testing.postgres import running_postgres


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    with running_postgres() as pg:
        conn = pg.connect()
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE t AS SELECT g AS id, 'name-' || g AS name, "
                "(g % 1000)::numeric(10,2) AS amount, now() - g * interval '1 second' AS at "
                f"FROM generate_series(1, {args.rows}) g"
            )
        url = f"jdbc:postgresql://{pg.host}:{pg.port}/{pg.dbname}?user={pg.user}"
        spark = SparkSession.builder.getOrCreate()
        df = spark.read.jdbc(url, "t")
        query = df.groupBy((F.col("id") % 10).alias("k")).agg(F.sum("amount"), F.max("at"))
        for _ in range(args.runs):
            start = time.perf_counter()
            query.collect()
            took = time.perf_counter() - start
            print(f"kaspar jdbc read + groupBy: {took:.2f} s ({args.rows / took:,.0f} rows/s)")
        with conn.cursor() as cur:
            start = time.perf_counter()
            cur.execute("SELECT * FROM t")
            cur.fetchall()
            print(f"psycopg2 fetchall alone:    {time.perf_counter() - start:.2f} s")
        conn.close()


if __name__ == "__main__":
    main()
