"""ksqlDB's own quickstart, pasted unchanged: rider locations, the latest location per rider,
riders near Mountain View (an aggregation over a TABLE grouped by a DOUBLE key, which the
default KAFKA key format writes as Kafka's DoubleSerializer does), a push query and pull
queries. Also the KAFKA format's binary values (Kafka's Integer/Long/Double serializers)."""

from __future__ import annotations

import json
import struct
import time
import uuid
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition

from tests.integration.ksql.conftest import WAIT_S, Ksql

EARLIEST = {"ksql.streams.auto.offset.reset": "earliest"}


def _pull_until(ksql: Ksql, sql: str, done: Callable[[list[list[Any]]], bool]) -> list[list[Any]]:
    """The pull query's rows (sorted) once ``done`` holds for them, or the last ones after
    WAIT_S: the persistent queries catch up with the inserts in their own time."""
    deadline = time.monotonic() + WAIT_S
    rows: list[list[Any]] = []
    while time.monotonic() < deadline:
        response = ksql.http.post("/query-stream", json={"sql": sql})
        assert response.status_code == 200, response.text
        _, *rows = [json.loads(x) for x in response.text.splitlines()]
        rows = sorted(rows, key=str)
        if done(rows):
            break
        time.sleep(0.3)
    return rows


def _keys(ksql: Ksql, topic: str) -> set[bytes]:
    """The keys of every committed record of a one-partition topic."""
    consumer = Consumer(
        {
            "bootstrap.servers": ksql.servers,
            "group.id": f"keys-{uuid.uuid4().hex}",
            "isolation.level": "read_committed",
        }
    )
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=WAIT_S)
        consumer.assign([TopicPartition(topic, 0, low)])
        keys: set[bytes] = set()
        deadline, read = time.monotonic() + WAIT_S, 0
        while read < high - low and time.monotonic() < deadline:
            for message in consumer.consume(100, 0.2):
                if message.error() is None:
                    read += 1
                    keys.add(message.key())
        return keys
    finally:
        consumer.close()


def test_ksqldb_quickstart(ksql: Ksql, name: str) -> None:
    stream, latest, near = f"{name}_riderLocations", f"{name}_currentLocation", f"{name}_near"
    ksql.run(
        f"CREATE STREAM {stream} (profileId VARCHAR, latitude DOUBLE, longitude DOUBLE)\n"
        f"  WITH (kafka_topic='{name.lower()}_locations', value_format='json', partitions=1);"
    )
    ksql.run(
        f"CREATE TABLE {latest} AS\n  SELECT profileId,\n"
        "         LATEST_BY_OFFSET(latitude) AS la,\n"
        "         LATEST_BY_OFFSET(longitude) AS lo\n"
        f"  FROM {stream}\n  GROUP BY profileId\n  EMIT CHANGES;",
        **EARLIEST,
    )
    ksql.run(
        f"CREATE TABLE {near} AS\n"
        "  SELECT ROUND(GEO_DISTANCE(la, lo, 37.4133, -122.1162), -1) AS distanceInMiles,\n"
        "         COLLECT_LIST(profileId) AS riders,\n         COUNT(*) AS count\n"
        f"  FROM {latest}\n"
        "  GROUP BY ROUND(GEO_DISTANCE(la, lo, 37.4133, -122.1162), -1);",
        **EARLIEST,
    )
    for values in [
        "('c2309eec', 37.7877, -122.4205)",
        "('18f4ea86', 37.3903, -122.0643)",
        "('4ab5cbad', 37.3952, -122.0813)",
        "('8b6eae59', 37.3944, -122.0813)",
        "('4a7c7b41', 37.4049, -122.0822)",
        "('4ddad000', 37.7857, -122.4011)",
    ]:
        ksql.run(f"INSERT INTO {stream} (profileId, latitude, longitude) VALUES {values};")
    near_rows = [(0.0, ["4a7c7b41", "4ab5cbad", "8b6eae59"], 3), (10.0, ["18f4ea86"], 1)]

    def shape(rows: list[list[Any]]) -> list[tuple[Any, ...]]:
        return [(r[0], sorted(r[1]), r[2]) for r in rows]

    rows = _pull_until(
        ksql,
        f"SELECT * FROM {near} WHERE distanceInMiles <= 10;",
        lambda rows: shape(rows) == near_rows,
    )
    assert shape(rows) == near_rows
    every = [(0.0, 3), (10.0, 1), (50.0, 2)]
    everything = _pull_until(
        ksql, f"SELECT * FROM {near};", lambda rows: [(r[0], r[2]) for r in rows] == every
    )
    assert [(r[0], r[2]) for r in everything] == every
    # the sink's keys are Kafka's DoubleSerializer bytes (the default KAFKA key format)
    keys = _keys(ksql, near.upper())
    assert keys == {struct.pack(">d", d) for d in (0.0, 10.0, 50.0)}
    one = _pull_until(
        ksql, f"SELECT * FROM {latest} WHERE profileId = '4ab5cbad';", lambda rows: len(rows) == 1
    )
    assert one == [["4ab5cbad", 37.3952, -122.0813]]
    response = ksql.http.post(
        "/query-stream",
        json={
            "sql": f"SELECT * FROM {stream} WHERE GEO_DISTANCE(latitude, longitude, 37.4133, "
            "-122.1162) <= 5 EMIT CHANGES LIMIT 3;",
            "properties": {"auto.offset.reset": "earliest"},
        },
    )
    _, *pushed = [json.loads(x) for x in response.text.splitlines()]
    assert sorted(r[0] for r in pushed) == ["4a7c7b41", "4ab5cbad", "8b6eae59"]


def test_kafka_format_values_use_kafkas_serializers(ksql: Ksql, name: str) -> None:
    topic = f"{name.lower()}_prices"
    ksql.run(
        f"CREATE STREAM {name}_prices (id BIGINT KEY, price DOUBLE) WITH (kafka_topic='{topic}',"
        " key_format='KAFKA', value_format='KAFKA', partitions=1);"
    )
    producer = Producer({"bootstrap.servers": ksql.servers})
    for key, price in [(1, 9.99), (2, -0.5), (3, 1e-300)]:
        producer.produce(topic, struct.pack(">d", price), struct.pack(">q", key))
    assert producer.flush(WAIT_S) == 0
    ksql.run(
        f"CREATE STREAM {name}_doubled WITH (value_format='KAFKA') AS "
        f"SELECT id, price * 2 AS p FROM {name}_prices EMIT CHANGES;",
        **EARLIEST,
    )
    out = ksql.read(f"{name}_doubled".upper(), 3)
    decoded = sorted((struct.unpack(">q", k)[0], struct.unpack(">d", v)[0]) for k, v, _ in out)
    assert decoded == [(1, 19.98), (2, -1.0), (3, 2e-300)]
