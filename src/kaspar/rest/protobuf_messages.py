"""PROTOBUF embedded data: message classes built from the registry's schemas.

confluent-kafka's `ProtobufSerializer` / `ProtobufDeserializer` take a generated message class;
the proxy has none, so it builds one per schema id from the schema in `format=serialized` (a
base64 `FileDescriptorProto`, which Confluent's registry and kaspar's both serve): the first
message of the file, as Confluent's REST proxy picks. JSON data becomes a message through
protobuf's own `json_format`, and back. Imports of Google's well-known types resolve; schema
references to other subjects do not (yet).
"""

from __future__ import annotations

import base64
import struct
import threading
from collections.abc import Callable
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import SerializationContext
from google.protobuf import (
    any_pb2,  # noqa: F401 (imported: well-known types join the default pool)
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,  # noqa: F401
    empty_pb2,  # noqa: F401
    json_format,
    message_factory,
    struct_pb2,  # noqa: F401
    timestamp_pb2,  # noqa: F401
    wrappers_pb2,  # noqa: F401
)
from google.protobuf.message import Message

FORMAT = {"use.deprecated.format": False}


class ProtobufMessages:
    """Message classes, serializers and deserializers per schema id, built once each.

    They use a registry client of their own: confluent-kafka's client caches a schema by id in
    the form it first saw (the `.proto` text of a registration), and would hand that text to a
    Protobuf serializer asking for the serialized form."""

    def __init__(self, registry_url: str) -> None:
        self._client = SchemaRegistryClient({"url": registry_url})
        self._classes: dict[int, type[Message]] = {}
        self._deserializers: dict[int, ProtobufDeserializer] = {}
        self._lock = threading.Lock()

    def message_class(self, schema_id: int) -> type[Message]:
        with self._lock:
            cls = self._classes.get(schema_id)
            if cls is None:
                cls = self._classes[schema_id] = _build(self._client, schema_id)
            return cls

    def serializer(self, schema_id: int) -> Callable[[Any, SerializationContext], Any]:
        """JSON data -> the message of schema `schema_id` -> Confluent's wire format."""
        cls = self.message_class(schema_id)
        conf = {"auto.register.schemas": False, "use.schema.id": schema_id, **FORMAT}
        serializer = ProtobufSerializer(cls, self._client, conf=conf)

        def serialize(data: Any, context: SerializationContext) -> Any:
            return serializer(json_format.ParseDict(data, cls()), context)

        return serialize

    def deserialize(self, raw: bytes, context: SerializationContext) -> Any:
        """Confluent's wire format -> JSON data (field names as in the .proto)."""
        if len(raw) < 5 or raw[0] != 0:
            raise ValueError("not in Confluent's wire format (magic byte 0, schema id)")
        (schema_id,) = struct.unpack(">I", raw[1:5])
        deserializer = self._deserializers.get(schema_id)
        if deserializer is None:
            cls = self.message_class(schema_id)
            deserializer = ProtobufDeserializer(cls, FORMAT)
            self._deserializers[schema_id] = deserializer
        message = deserializer(raw, context)
        return json_format.MessageToDict(message, preserving_proto_field_name=True)

    def close(self) -> None:
        self._client.close()


def _build(client: SchemaRegistryClient, schema_id: int) -> type[Message]:
    schema = client.get_schema(schema_id, fmt="serialized")
    file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(schema.schema_str or ""))
    if not file.message_type:
        raise ValueError(f"schema {schema_id} declares no message")
    pool = descriptor_pool.DescriptorPool()
    for dependency in file.dependency:
        known = descriptor_pool.Default().FindFileByName(dependency)
        pool.AddSerializedFile(known.serialized_pb)
    pool.AddSerializedFile(file.SerializeToString())
    package = f"{file.package}." if file.package else ""
    descriptor = pool.FindMessageTypeByName(package + file.message_type[0].name)
    cls: type[Message] = message_factory.GetMessageClass(descriptor)
    return cls
