"""The C Avro decoder against fastavro's path (the fallback) on the same bytes: the same Arrow
types and values, NULLs and errors, for valid, edge and malformed values (Hypothesis)."""

from __future__ import annotations

import io
import json
import math
import re
import struct
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import fastavro
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaspar.engine.formats import avro_columns, registry_client
from kaspar.engine.formats.avro_columns import compile_program, decode_column
from kaspar.engine.formats.avro_decoding import AvroDecoder
from kaspar.engine.formats.avro_schema import parse_avro
from kaspar.engine.formats.registry_options import registry_options
from kaspar.engine.formats.wire_format import frame_header
from kaspar.engine.sources.kafka_value_formats import record_decoding

pytestmark = pytest.mark.skipif(
    not avro_columns.ACCELERATED, reason="the _avro_columns extension is not built"
)

INNER = {
    "type": "record",
    "name": "Inner",
    "fields": [{"name": "n", "type": "int"}, {"name": "s", "type": ["null", "string"]}],
}
WIDE = {
    "type": "record",
    "name": "Wide",
    "namespace": "t",
    "fields": [
        {"name": "nothing", "type": "null"},
        {"name": "flag", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "b", "type": "bytes"},
        {"name": "s", "type": "string"},
        {"name": "e", "type": {"type": "enum", "name": "Colour", "symbols": ["RED", "GREEN"]}},
        {"name": "x", "type": {"type": "fixed", "name": "Four", "size": 4}},
        {"name": "ol", "type": ["null", "long"]},
        {"name": "os", "type": ["string", "null"]},
        {"name": "oe", "type": ["null", "Colour"]},
        {"name": "ox", "type": ["Four", "null"]},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "us", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]},
        {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
        {
            "name": "dec",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
        },
        {
            "name": "decf",
            "type": [
                "null",
                {
                    "type": "fixed",
                    "name": "Dec",
                    "size": 16,
                    "logicalType": "decimal",
                    "precision": 38,
                    "scale": 5,
                },
            ],
        },
        {"name": "inner", "type": INNER},
        {"name": "maybe", "type": ["null", "Inner"]},
        {"name": "ints", "type": {"type": "array", "items": "long"}},
        {"name": "names", "type": ["null", {"type": "array", "items": ["null", "string"]}]},
        {"name": "counts", "type": {"type": "map", "values": ["null", "double"]}},
        {"name": "rows", "type": {"type": "array", "items": "Inner"}},
        {"name": "il", "type": ["int", "long"]},
        {"name": "fd", "type": ["null", "float", "double"]},
        {"name": "dl", "type": ["double", "null", "float"]},
    ],
}
INT64 = st.integers(-(2**63), 2**63 - 1)
INT32 = st.integers(-(2**31), 2**31 - 1)
TEXT = st.text(max_size=6)
INNERS = st.fixed_dictionaries({"n": INT32, "s": st.none() | TEXT})
STAMPS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
WIDE_VALUES = st.fixed_dictionaries(
    {
        "nothing": st.none(),
        "flag": st.booleans(),
        "i": INT32,
        "l": INT64,
        "f": st.floats(width=32),
        "d": st.floats(),
        "b": st.binary(max_size=6),
        "s": TEXT,
        "e": st.sampled_from(["RED", "GREEN"]),
        "x": st.binary(min_size=4, max_size=4),
        "ol": st.none() | INT64,
        "os": st.none() | TEXT,
        "oe": st.none() | st.sampled_from(["RED", "GREEN"]),
        "ox": st.none() | st.binary(min_size=4, max_size=4),
        "day": st.dates(),
        "ms": STAMPS,
        "us": st.none() | STAMPS,
        "local": st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
        "dec": st.decimals(Decimal("-9999999.99"), Decimal("9999999.99"), places=2),
        "decf": st.none() | st.decimals(-(10**32), 10**32, places=5),
        "inner": INNERS,
        "maybe": st.none() | INNERS,
        "ints": st.lists(INT64, max_size=4),
        "names": st.none() | st.lists(st.none() | TEXT, max_size=3),
        "counts": st.dictionaries(TEXT, st.none() | st.floats(), max_size=3),
        "rows": st.lists(INNERS, max_size=2),
        "il": INT64,
        "fd": st.none() | st.floats(width=32),
        "dl": st.none() | st.floats(),
    }
)


def encode(schema: Any, value: Any, header: bytes = b"") -> bytes:
    out = io.BytesIO()
    out.write(header)
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), value)
    return out.getvalue()


def plain(values: list[Any]) -> list[Any]:
    """Python values with NaN made comparable."""
    return [_plain(v) for v in values]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def assert_same(c: pa.Array, py: pa.Array) -> None:
    """Same type, values and NULLs, also in the children (values under a NULL parent too)."""
    c.validate(full=True)
    assert c.type == py.type
    assert c.null_count == py.null_count
    assert plain(c.to_pylist()) == plain(py.to_pylist())
    if pa.types.is_struct(c.type):
        for i in range(c.type.num_fields):
            assert_same(c.field(i), py.field(i))
    elif pa.types.is_map(c.type):
        assert_same(c.keys, py.keys)
        assert_same(c.items, py.items)
    elif pa.types.is_list(c.type):
        assert_same(c.values, py.values)


def decode_both(
    schema: Any,
    column: pa.Array,
    mode: str = "PERMISSIVE",
    options: dict[str, str] | None = None,
) -> tuple[Any, Any]:
    """(C path, fastavro path): each the Arrow result or the error's type and message."""
    results = []
    for accelerated in (True, False):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(avro_columns, "ACCELERATED", accelerated)
            decoder = AvroDecoder(json.dumps(schema), mode, registry_options(options))
            try:
                results.append(decoder(column))
            except Exception as e:  # the same error either way (also fastavro's own bugs)
                results.append(re.sub("0x[0-9a-f]+", "0x…", f"{type(e).__name__}: {e}"))
    return results[0], results[1]


def assert_both(
    schema: Any,
    values: list[bytes | None],
    options: dict[str, str] | None = None,
) -> None:
    column = pa.array(values, pa.binary())
    for mode in ("PERMISSIVE", "FAILFAST"):
        c, py = decode_both(schema, column, mode, options)
        if isinstance(py, str):
            assert c == py
        else:
            assert isinstance(c, pa.Array)
            assert_same(c, py)


def in_c(schema: Any, column: pa.Array, framed: bool = False, ids: tuple[int, ...] = ()) -> Any:
    reader = parse_avro(json.dumps(schema))
    program = compile_program(reader)
    assert program is not None
    decoder = AvroDecoder(json.dumps(schema), "PERMISSIVE", None)
    return decode_column(program, decoder.arrow_type, column, framed, ids)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.none() | WIDE_VALUES, max_size=6))
def test_wide_records_decode_as_fastavro(rows: list[Any]) -> None:
    values = [None if r is None else encode(WIDE, r) for r in rows]
    assert isinstance(in_c(WIDE, pa.array(values, pa.binary())), pa.Array)  # no fallback
    assert_both(WIDE, values)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(WIDE_VALUES, st.data())
def test_damaged_values_decode_as_fastavro(row: Any, data: st.DataObject) -> None:
    good = encode(WIDE, row)
    at = data.draw(st.integers(0, len(good) - 1))
    damaged = data.draw(
        st.sampled_from(
            [
                good[:at],  # truncated
                good[:at] + bytes([good[at] ^ data.draw(st.integers(1, 255))]) + good[at + 1 :],
                good + data.draw(st.binary(min_size=1, max_size=4)),  # trailing bytes
                data.draw(st.binary(max_size=40)),
            ]
        )
    )
    assert_both(WIDE, [good, damaged, None, good])


EDGES: list[tuple[Any, list[Any]]] = [
    ("long", [0, -1, 1, -(2**63), 2**63 - 1, -64, 63, -65, 64]),
    ("int", [0, -(2**31), 2**31 - 1, -1]),
    ("double", [0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324]),
    ("float", [math.nan, -0.0, 3.4028234663852886e38]),
    (["string", "null"], ["", None, "héllo ☃ 😀", "\x00", "a" * 300]),
    (["null", "bytes"], [b"", None, b"\x00\xff"]),
    ({"type": "int", "logicalType": "date"}, [date(1, 1, 1), date(9999, 12, 31), date(1970, 1, 1)]),
    (
        {"type": "long", "logicalType": "timestamp-micros"},
        [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)],
    ),
    (
        {"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 0},
        [Decimal(10**38 - 1), Decimal(-(10**38) + 1), Decimal(0), Decimal(-1)],
    ),
    ({"type": "array", "items": "int"}, [[], [1, -2, 3], [-(2**31)]]),
    ({"type": "map", "values": "string"}, [{}, {"": "", "k": "v", "ü": "x"}]),
]


@pytest.mark.parametrize(("schema", "rows"), EDGES, ids=[str(i) for i in range(len(EDGES))])
def test_edge_values_decode_as_fastavro(schema: Any, rows: list[Any]) -> None:
    values = [encode(schema, r) for r in rows] + [None]
    assert isinstance(in_c(schema, pa.array(values, pa.binary())), pa.Array)
    assert_both(schema, values)


def _long(value: int) -> bytes:
    zigzag = (value << 1) ^ (value >> 63)
    out = bytearray()
    while zigzag > 0x7F:
        out.append(zigzag & 0x7F | 0x80)
        zigzag >>= 7
    return bytes([*out, zigzag])


MALFORMED: list[tuple[Any, bytes]] = [
    ("boolean", b"\x02"),  # neither 0 nor 1
    ("int", _long(2**31)),  # past int32
    ("long", b"\xff" * 10 + b"\x01"),  # an 11-byte varint
    ("long", b"\xff" * 9 + b"\x7f"),  # bits past 64
    ("string", b"\x04\xc3("),  # invalid UTF-8
    ("string", b"\x06\xed\xa0\x80"),  # a surrogate
    ("string", b"\x01"),  # a negative length
    ("string", b"\x10ab"),  # longer than the value
    ("double", b"\x00\x00"),
    ({"type": "enum", "name": "E", "symbols": ["A"]}, _long(1)),
    ({"type": "enum", "name": "E", "symbols": ["A", "B"]}, _long(-1)),
    (["null", "long"], _long(2)),
    (["null", "long"], _long(-1)),
    (["int", "long"], _long(2)),
    (["float", "null", "double"], _long(2) + b"\x00" * 4),  # a double's 8 bytes cut short
    ({"type": "int", "logicalType": "date"}, _long(2932897)),
    ({"type": "long", "logicalType": "timestamp-millis"}, _long(-(2**62))),
    ({"type": "bytes", "logicalType": "decimal", "precision": 2}, b"\x04\x01\x00"),  # 256
    ({"type": "array", "items": "long"}, _long(2**40) + b"\x00"),  # a count past the value
    ({"type": "map", "values": "int"}, b"\x04\x02k\x02\x02k\x04\x00"),  # a duplicate key
]


@pytest.mark.parametrize(
    ("schema", "value"), MALFORMED, ids=[str(i) for i in range(len(MALFORMED))]
)
def test_malformed_values_fall_back(schema: Any, value: bytes) -> None:
    assert in_c(schema, pa.array([value], pa.binary())) is None
    assert_both(schema, [value, None])


def test_blocks_with_sizes() -> None:
    """A negative block count is followed by the block's size in bytes (a hint, not checked)."""
    for size in (4, 2**62):
        value = _long(-2) + _long(size) + _long(1) + _long(-1) + _long(1) + _long(7) + b"\x00"
        assert_both({"type": "array", "items": "long"}, [value])
        c = in_c({"type": "array", "items": "long"}, pa.array([value], pa.binary()))
        assert c.to_pylist() == [[1, -1, 7]]


def test_sliced_chunked_and_large_binary_columns() -> None:
    values = [encode("string", s) for s in ("a", "bb", "", "ccc")]
    sliced = pa.array([None, *values], pa.binary()).slice(1, 3)
    chunked = pa.chunked_array([values[:2], values[2:]], pa.binary())
    large = pa.array(values, pa.large_binary())
    for column in (sliced, chunked, large):
        c, py = decode_both("string", column)
        assert_same(c, py)


def test_uncovered_schemas_have_no_program() -> None:
    for schema in (
        ["int", "string"],
        ["null", "int", "string"],
        ["int", "long", "float"],
        ["int", "null", "int"],
        {"type": "long", "logicalType": "date"},
        {"type": "bytes", "logicalType": "decimal", "precision": 40},
    ):
        assert compile_program(parse_avro(json.dumps(schema))) is None


URL = "http://stub-avro-columns.invalid"


def test_framed_values_by_schema_id() -> None:
    """Ids whose writer schema is the reader's decode in C; another writer (resolution), a
    missing magic byte or a short header fall back to fastavro."""
    other = {**INNER, "fields": [*INNER["fields"], {"name": "z", "type": "long", "default": 0}]}
    client = registry_client.registry_client(URL)
    client._by_id[7] = registry_client.RegisteredSchema(7, "AVRO", json.dumps(INNER))
    client._by_id[8] = registry_client.RegisteredSchema(8, "AVRO", json.dumps(INNER))
    client._by_id[9] = registry_client.RegisteredSchema(9, "AVRO", json.dumps(other))
    row = {"n": -5, "s": "é"}
    same = [encode(INNER, row, frame_header(7)), encode(INNER, row, frame_header(8))]
    options = {"schema.registry.url": URL}
    column = pa.array(same, pa.binary())
    assert in_c(INNER, column, framed=True, ids=(7,)) == 8
    assert isinstance(in_c(INNER, column, framed=True, ids=(7, 8)), pa.Array)
    assert_both(INNER, [*same, None], options)
    resolved = encode(other, {**row, "z": 3}, frame_header(9))
    assert_both(INNER, [*same, resolved], options)
    for bad in (b"\x01" + same[0][1:], same[0][:4], b""):
        assert_both(INNER, [same[0], bad], options)


def test_float_bits_are_kept() -> None:
    value = struct.pack("<d", -0.0)
    c, py = decode_both("double", pa.array([value], pa.binary()))
    assert math.copysign(1, c[0].as_py()) == math.copysign(1, py[0].as_py()) == -1


def test_many_rows_grow_the_buffers() -> None:
    rows = [{"n": i - 1000, "s": None if i % 7 else "s" * (i % 50)} for i in range(3000)]
    values = [encode(INNER, r) for r in rows]
    assert isinstance(in_c(INNER, pa.array(values, pa.binary())), pa.Array)
    assert_both(INNER, values)


def test_kafka_source_value_format_avro_decodes_in_c() -> None:
    """``valueFormat=avro`` decodes the Kafka source's value column with the same decoder."""
    client = registry_client.registry_client(URL)
    client._by_id[7] = registry_client.RegisteredSchema(7, "AVRO", json.dumps(INNER))
    options = {"valueformat": "avro", "schema.registry.url": URL, "valueschema": json.dumps(INNER)}
    decoding = record_decoding(options, ("events",))
    assert decoding is not None
    rows = [{"n": i, "s": None if i % 2 else f"v{i}"} for i in range(5)]
    values = [encode(INNER, r, frame_header(7)) for r in rows]
    table = pa.table({"key": pa.array([None] * 5, pa.binary()), "value": pa.array(values)})
    with pytest.MonkeyPatch.context() as patch:  # no value goes through fastavro
        patch.setattr(fastavro, "schemaless_reader", _not_called)
        decoded = decoding.apply(table)
    assert decoded.column("value").to_pylist() == rows


def _not_called(*args: Any) -> None:
    raise AssertionError("fastavro's path was taken")


NESTED = {
    "type": "record",
    "name": "R",
    "fields": [
        {
            "name": "m",
            "type": [
                "null",
                {"type": "map", "values": {"type": "array", "items": ["null", "int"]}},
            ],
        }
    ],
}


@pytest.mark.parametrize(
    ("schema", "values"),
    [
        ({"type": "record", "name": "E", "fields": []}, [b"", None, b"x"]),
        ("null", [b"", None]),
        ({"type": "array", "items": "null"}, [b"\x04\x00", b"\x00"]),  # falls back
        ({"type": "map", "values": "null"}, [b"\x02\x02k\x00"]),
        (NESTED, [b"\x02\x02\x02k\x04\x02\x04\x00\x00\x00", b"\x00", None]),
    ],
    ids=["empty-record", "null", "array-of-null", "map-of-null", "nested"],
)
def test_odd_shapes(schema: Any, values: list[bytes | None]) -> None:
    assert_both(schema, values)
