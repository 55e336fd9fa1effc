"""Both record-column decoders against ``encode_batch``: Hypothesis round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaspar.protocol import record_columns
from kaspar.protocol.record_columns import BatchBody, ColumnsDecoder, decode_columns_py
from kaspar.protocol.records import (
    HEADER_SIZE,
    Record,
    RecordsError,
    decompress,
    encode_batch,
    read_batch_header,
)

DECODERS: dict[str, ColumnsDecoder] = {"python": decode_columns_py}
if record_columns.ACCELERATED:
    DECODERS["c"] = record_columns.decode_columns

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
blobs = st.none() | st.binary(max_size=40)
headers = st.lists(st.tuples(st.text(max_size=8), blobs), max_size=3)
records = st.lists(
    st.tuples(st.integers(0, 5), st.integers(-(10**6), 10**6), blobs, blobs, headers),
    min_size=1,
    max_size=30,
)


def body_of(batch: bytes) -> BatchBody:
    h = read_batch_header(batch)
    body = decompress(batch[HEADER_SIZE : h.size], h.compression)
    return BatchBody(
        body, h.records_count, h.base_offset, h.base_timestamp, h.timestamp_type, h.max_timestamp
    )


def rows(columns: record_columns.Columns, with_headers: bool) -> list[tuple[object, ...]]:
    """The decoded columns back as Python rows (Arrow does the buffer reading)."""
    from kaspar.engine.kafka_fetch.arrow_columns import record_batch

    batch = record_batch("t", 0, columns, with_headers).to_pylist()
    out = []
    for r in batch:
        stamp = (r["timestamp"] - EPOCH) // timedelta(milliseconds=1)
        row = (r["offset"], stamp, r["key"], r["value"], r["timestampType"])
        if with_headers:
            row += ([(h["key"], h["value"]) for h in r["headers"]] if r["headers"] else [],)
        out.append(row)
    return out


@pytest.mark.parametrize("name", sorted(DECODERS))
@settings(max_examples=150, deadline=None)
@given(
    spec=records,
    base=st.integers(0, 10**9),
    compression=st.sampled_from([0, 1, 2, 3, 4]),
    log_append=st.booleans(),
    with_headers=st.booleans(),
    bounds=st.tuples(st.integers(0, 200), st.integers(0, 200)),
)
def test_round_trip(
    name: str,
    spec: list[tuple[int, int, bytes | None, bytes | None, list[tuple[str, bytes | None]]]],
    base: int,
    compression: int,
    log_append: bool,
    with_headers: bool,
    bounds: tuple[int, int],
) -> None:
    offset, made = base, []
    for gap, ts, key, value, hs in spec:
        offset += gap
        made.append(Record(offset, 1_600_000_000_000 + ts, key, value, hs))
    batch = encode_batch(
        made, base_offset=base, compression=compression, timestamp_type=int(log_append)
    )
    lo, hi = base + min(bounds), base + max(bounds)
    columns = DECODERS[name]([body_of(batch)], lo, hi, with_headers)
    max_ts = max(r.timestamp for r in made)
    expected = []
    for r in made:
        if lo <= r.offset < hi:
            row = (r.offset, max_ts if log_append else r.timestamp, r.key, r.value, int(log_append))
            expected.append(row + ((list(r.headers),) if with_headers else ()))
    assert columns.rows == len(expected)
    assert rows(columns, with_headers) == expected
    assert columns == decode_columns_py([body_of(batch)], lo, hi, with_headers)


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_many_batches_in_one_call(name: str) -> None:
    batches = [
        body_of(
            encode_batch(
                [Record(b * 10 + i, i, None, b"v%d" % i) for i in range(10)], base_offset=b * 10
            )
        )
        for b in range(5)
    ]
    columns = DECODERS[name](batches, 5, 45, False)
    assert [r[0] for r in rows(columns, False)] == list(range(5, 45))


@pytest.mark.parametrize("name", sorted(DECODERS))
@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=60), count=st.integers(0, 5))
def test_garbage_raises_records_error(name: str, data: bytes, count: int) -> None:
    body = BatchBody(data, count, 0, 0, 0, 0)
    try:
        DECODERS[name]([body], 0, 1 << 40, True)
    except RecordsError:
        pass


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_truncated_record_is_corrupt(name: str) -> None:
    good = body_of(encode_batch([Record(0, 0, b"k", b"value")]))
    with pytest.raises(RecordsError, match="corrupt record"):
        DECODERS[name]([good._replace(body=good.body[:-3])], 0, 10, False)
