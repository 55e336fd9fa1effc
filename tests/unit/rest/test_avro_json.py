"""Avro's JSON encoding for REST Proxy AVRO data: strict when the data is in it, lenient when
union values come bare."""

from __future__ import annotations

import json
from typing import Any

from confluent_kafka.schema_registry import Schema

from kaspar.rest.avro_json import AvroJson

ITEM = {
    "type": "record",
    "name": "Item",
    "namespace": "shop",
    "fields": [
        {"name": "sku", "type": "string"},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 2}},
    ],
}
ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "items", "type": {"type": "array", "items": ["null", ITEM]}},
        {"name": "tags", "type": {"type": "map", "values": ["null", "string", "long"]}},
        {"name": "gift", "type": ["null", "shop.Item"], "default": None},
    ],
}


def encoding() -> AvroJson:
    client: Any = None  # no references: the client is never asked
    return AvroJson(client, Schema(json.dumps(ORDER), "AVRO"))


def test_wrapped_data_round_trips() -> None:
    data = {
        "items": [{"shop.Item": {"sku": "a", "hash": "\u00ff\u0000"}}, None],
        "tags": {"n": {"long": 3}, "s": {"string": "x"}, "z": None},
        "gift": None,
    }
    datum = encoding().decode(data)
    assert datum["items"][0] == {"sku": "a", "hash": b"\xff\x00"}
    assert datum["tags"] == {"n": 3, "s": "x", "z": None}
    assert encoding().encode(datum) == data


def test_bare_union_values_are_kept_for_the_writer() -> None:
    data = {
        "items": [{"sku": "a", "hash": "ab"}, {"shop.Item": {"sku": "b", "hash": "cd"}}],
        "tags": {"n": 3, "s": {"string": "x"}},
        "gift": {"sku": "c", "hash": "ef"},
    }
    assert encoding().decode(data) == {
        "items": [{"sku": "a", "hash": b"ab"}, {"sku": "b", "hash": b"cd"}],
        "tags": {"n": 3, "s": "x"},
        "gift": {"sku": "c", "hash": b"ef"},
    }
