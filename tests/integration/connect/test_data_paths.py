"""The pure pieces of Connect, without a broker: converters, transforms and predicates, the
pgoutput decoder and PostgreSQL's text values as Debezium maps them."""

from __future__ import annotations

import struct
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaspar.connect.connectors.postgres import pgoutput
from kaspar.connect.connectors.postgres.types import PgType, column_type, parse_array
from kaspar.connect.converters import decimal_from_bytes, decimal_to_bytes, make_converter
from kaspar.connect.data import DECIMAL, Schema, SinkRecord, SourceRecord
from kaspar.connect.data import struct as struct_schema
from kaspar.connect.transforms import PREDICATES, TRANSFORMS, apply_chain, build_chain

JSON = "org.apache.kafka.connect.json.JsonConverter"
ROW = struct_schema(
    "row",
    {"id": Schema("int32"), "amount": Schema("bytes", name=DECIMAL, parameters={"scale": "2"})},
)


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12
    )
)
def test_decimal_bytes_round_trip(value: Decimal) -> None:
    assert decimal_from_bytes(decimal_to_bytes(value, 2), 2) == value


def test_json_converter_with_and_without_schemas() -> None:
    with_schemas = make_converter(JSON, {}, is_key=False)
    data = with_schemas.from_connect_data("t", ROW, {"id": 7, "amount": Decimal("12.50")})
    assert data == (
        b'{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},'
        b'{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal",'
        b'"parameters":{"scale":"2"},"field":"amount"}],"optional":false,"name":"row"},'
        b'"payload":{"id":7,"amount":"BOI="}}'
    )
    schema, value = with_schemas.to_connect_data("t", data)
    assert schema == ROW and value == {"id": 7, "amount": Decimal("12.50")}
    plain = make_converter(JSON, {"schemas.enable": "false"}, is_key=False)
    assert plain.from_connect_data("t", None, {"a": [1, None]}) == b'{"a":[1,null]}'
    assert plain.to_connect_data("t", b'{"a":1}') == (None, {"a": 1})
    with pytest.raises(ValueError, match=r"schemas\.enable=false"):
        with_schemas.to_connect_data("t", b'{"a":1}')


def record(value: object, topic: str = "orders") -> SourceRecord:
    return SourceRecord({}, {}, topic, value_schema=None, value=value, timestamp=1_700_000_000_000)


def chain(**props: str) -> list:  # type: ignore[type-arg]
    return build_chain(props, TRANSFORMS, PREDICATES)


def test_unwrap_turns_change_events_into_rows() -> None:
    unwrap = chain(
        transforms="u",
        **{
            "transforms.u.type": "io.debezium.transforms.ExtractNewRecordState",
            "transforms.u.add.fields": "op,source.lsn",
        },
    )
    created = {"before": None, "after": {"id": 1}, "op": "c", "source": {"lsn": 42}}
    out = apply_chain(unwrap, record(created))
    assert out is not None and out.value == {"id": 1, "__op": "c", "__source_lsn": 42}
    deleted = {"before": {"id": 1}, "after": None, "op": "d", "source": {"lsn": 43}}
    assert apply_chain(unwrap, record(deleted)) is None  # default: the tombstone that follows stays
    assert apply_chain(unwrap, record(None)) is not None
    rewrite = chain(
        transforms="u",
        **{
            "transforms.u.type": "io.debezium.transforms.ExtractNewRecordState",
            "transforms.u.delete.tombstone.handling.mode": "rewrite",
        },
    )
    out = apply_chain(rewrite, record(deleted))
    assert out is not None and out.value == {"id": 1, "__deleted": "true"}
    assert apply_chain(rewrite, record(None)) is None


def test_field_transforms_router_and_timestamps() -> None:
    steps = chain(
        transforms="drop,add,route,ts",
        **{
            "transforms.drop.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
            "transforms.drop.exclude": "secret",
            "transforms.add.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.add.static.field": "source",
            "transforms.add.static.value": "shop",
            "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.route.regex": "(.*)s",
            "transforms.route.replacement": "$1-v2",
            "transforms.ts.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
            "transforms.ts.field": "at",
            "transforms.ts.target.type": "string",
            "transforms.ts.format": "yyyy-MM-dd'T'HH:mm:ss.SSS",
        },
    )
    out = apply_chain(steps, record({"id": 1, "secret": "x", "at": 1_700_000_000_123}))
    assert out is not None and out.topic == "order-v2"
    assert out.value == {"id": 1, "at": "2023-11-14T22:13:20.123", "source": "shop"}


def test_filter_with_negated_predicate() -> None:
    keep_orders = chain(
        transforms="f",
        predicates="isOrders",
        **{
            "transforms.f.type": "org.apache.kafka.connect.transforms.Filter",
            "transforms.f.predicate": "isOrders",
            "transforms.f.negate": "true",
            "predicates.isOrders.type": "TopicNameMatches",
            "predicates.isOrders.pattern": "orders",
        },
    )
    assert apply_chain(keep_orders, record({"id": 1})) is not None
    assert apply_chain(keep_orders, record({"id": 1}, topic="other")) is None
    sink = SinkRecord("orders", 0, 5, value={"id": 1})
    assert apply_chain(keep_orders, sink) is sink


def _tuple(*values: str | None) -> bytes:
    out = struct.pack(">h", len(values))
    for value in values:
        if value is None:
            out += b"n"
        else:
            data = value.encode()
            out += b"t" + struct.pack(">i", len(data)) + data
    return out


def test_pgoutput_messages() -> None:
    begin = pgoutput.decode(b"B" + struct.pack(">qqi", 100, 0, 7))
    assert begin == pgoutput.Begin(100, pgoutput.PG_EPOCH_US, 7)
    relation = pgoutput.decode(
        b"R"
        + struct.pack(">i", 16384)
        + b"public\0t\0"
        + b"d"
        + struct.pack(">h", 2)
        + b"\x01id\0"
        + struct.pack(">ii", 23, -1)
        + b"\x00v\0"
        + struct.pack(">ii", 25, -1)
    )
    assert isinstance(relation, pgoutput.Relation) and relation.columns[0].key
    update = pgoutput.decode(
        b"U" + struct.pack(">i", 16384) + b"O" + _tuple("1", "a") + b"N" + _tuple("1", None)
    )
    assert update == pgoutput.Change("u", 16384, ["1", None], ["1", "a"], "O")
    commit = pgoutput.decode(b"C\0" + struct.pack(">qqq", 100, 120, 5))
    assert commit == pgoutput.Commit(100, 120, pgoutput.PG_EPOCH_US + 5)
    assert pgoutput.decode(
        b"T" + struct.pack(">ib", 1, 0) + struct.pack(">i", 9)
    ) == pgoutput.Truncate((9,))


@pytest.mark.parametrize(
    ("type_name", "typmod", "text", "expected"),
    [
        ("timestamptz", -1, "2024-01-01 00:00:00+00", "2024-01-01T00:00:00Z"),
        ("timetz", -1, "10:00:00.5+02", "08:00:00.5Z"),
        ("interval", -1, "P1Y2M3DT4H5M6.5S", round(((14 * 365.25 / 12) + 3) * 86400e6 + 14706.5e6)),
        ("time", 3, "24:00:00", 86_400_000),
        ("money", -1, "-$1,234.50", Decimal("-1234.50")),
        ("varbit", 10, "1000000001", b"\x01\x02"),
    ],
)
def test_postgres_text_values(type_name: str, typmod: int, text: str, expected: object) -> None:
    _, parse = column_type(PgType(1, type_name), typmod, optional=True)
    assert parse(text) == expected


def test_postgres_arrays() -> None:
    assert parse_array("{{1,2},{3,NULL}}", int) == [[1, 2], [3, None]]
    assert parse_array('{"a\\"b","NULL",NULL}', str) == ['a"b', "NULL", None]
