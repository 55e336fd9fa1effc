"""from_avro / to_avro throughput: N small Avro records (a long, a string, a double and a
nullable string) decoded by ``from_avro`` and encoded by ``to_avro`` in one kaspar query each,
plain and in Confluent's wire format (the writer schema by id from a stub registry answer, as
the Kafka source's ``valueFormat=avro`` reads them): with the C decoder
(``formats/_avro_columns.c``) when it is built, and plain once more on fastavro's path (the
fallback, as before the C decoder). Beside it: fastavro's ``schemaless_reader`` alone, one
``BytesIO`` per record.

    python -m bench.avro_decode [--rows 1000000]
"""

from __future__ import annotations

import argparse
import io
import json
import time
from typing import Any

import fastavro
import pyarrow as pa

from kaspar.engine.formats import avro_columns, registry_client
from kaspar.engine.formats.wire_format import frame_header
from kaspar.sql import SparkSession
from kaspar.sql.avro.functions import from_avro, to_avro

SCHEMA = {
    "type": "record",
    "name": "Event",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "score", "type": "double"},
        {"name": "tag", "type": ["null", "string"]},
    ],
}
_STUB_URL = "http://stub-registry.invalid"


def encoded_values(rows: int, framed: bool) -> list[bytes]:
    parsed = fastavro.parse_schema(SCHEMA)
    header = frame_header(1) if framed else b""
    out = []
    for i in range(rows):
        buffer = io.BytesIO()
        buffer.write(header)
        record = {"id": i, "name": f"n{i}", "score": i * 0.5, "tag": None if i % 3 else "x"}
        fastavro.schemaless_writer(buffer, parsed, record)
        out.append(buffer.getvalue())
    return out


def timed(label: str, rows: int, action: Any) -> None:
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    print(f"{label:<48} {seconds:6.2f} s  {rows / seconds / 1e6:5.2f} M rows/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    spark = SparkSession.builder.getOrCreate()
    client = registry_client.registry_client(_STUB_URL)  # schema id 1, answered without HTTP
    client._by_id[1] = registry_client.RegisteredSchema(1, "AVRO", json.dumps(SCHEMA))
    text = json.dumps(SCHEMA)
    for framed in (False, True):
        values = encoded_values(rows, framed)
        df = spark.createDataFrame(pa.table({"value": pa.array(values, pa.binary())}))
        options = {"schema.registry.url": _STUB_URL} if framed else None
        decoded = df.select(from_avro("value", text, options).alias("e"))
        name = "framed (registry)" if framed else "plain"
        path = "C" if avro_columns.ACCELERATED else "fastavro"
        timed(f"from_avro, {name} ({path})", rows, lambda d=decoded: d.select("e.id").toArrow())
    plain = encoded_values(rows, framed=False)
    source = spark.createDataFrame(pa.table({"value": pa.array(plain, pa.binary())}))
    accelerated, avro_columns.ACCELERATED = avro_columns.ACCELERATED, False
    fallback = source.select(from_avro("value", text).alias("e"))  # fastavro's path, as before
    timed("from_avro, plain (fastavro)", rows, lambda: fallback.select("e.id").toArrow())
    avro_columns.ACCELERATED = accelerated
    parsed = fastavro.parse_schema(SCHEMA)
    timed(
        "fastavro schemaless_reader alone (BytesIO each)",
        rows,
        lambda: [fastavro.schemaless_reader(io.BytesIO(v), parsed, None) for v in plain],
    )
    events = source.select(from_avro("value", text).alias("e")).cache()
    events.count()
    encode = events.select(to_avro("e", text).alias("v"))
    timed("to_avro", rows, encode.toArrow)


if __name__ == "__main__":
    main()
