"""The records every client produces and reads back, the same for confluent-kafka, kafka-python,
aiokafka and kcat. Each record is (key, value, headers); headers are (name, bytes) pairs."""

from __future__ import annotations

import pytest

Record = tuple[bytes | None, bytes | None, tuple[tuple[str, bytes], ...]]

SAMPLE_RECORDS: list[Record] = [
    (b"key-0", b"value-0", ()),
    (b"key-1", b"value-1", (("trace-id", b"abc123"), ("empty", b""))),
    (None, b"null key", ()),
    (b"empty value", b"", ()),
    (b"tombstone", None, ()),
    (b"dup-headers", b"x", (("dup", b"1"), ("dup", b"2"))),
    (bytes(range(256)), bytes(range(255, -1, -1)) * 4, (("binary", bytes(range(256))),)),
    ("ключ-ü-🙂".encode(), "значение".encode(), (("ünïcode", "✓".encode()),)),
]

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


@pytest.fixture
def sample_records() -> list[Record]:
    return list(SAMPLE_RECORDS)


@pytest.fixture(params=CODECS)
def compression(request: pytest.FixtureRequest) -> str:
    """A compression codec name, as Kafka and every client spell it."""
    return str(request.param)
