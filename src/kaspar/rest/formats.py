"""Embedded data: a record's key or value as the API carries it, to bytes and back.

BINARY is base64, JSON any JSON value (written as UTF-8 JSON), STRING a string (UTF-8). AVRO,
JSONSCHEMA and PROTOBUF (`protobuf_messages`) go through a Confluent-compatible schema registry
with confluent-kafka's serializers, so the bytes are the Confluent wire format (magic byte,
schema id, payload); AVRO data is in Avro's JSON encoding both ways (`avro_json`: union values
wrapped as `{"string": "x"}`). The schema is named by id, by subject and version, by subject (latest
version), or given whole (registered under the subject the `subject_name_strategy` gives,
TOPIC_NAME by default).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from kaspar.rest import avro_json
from kaspar.rest.protobuf_messages import ProtobufMessages
from kaspar.service.errors import ApiError

PLAIN_TYPES = ("BINARY", "JSON", "STRING")
SCHEMA_TYPES = {"AVRO": "AVRO", "JSONSCHEMA": "JSON", "PROTOBUF": "PROTOBUF"}
SUBJECT_NAME_STRATEGIES = ("TOPIC_NAME", "RECORD_NAME", "TOPIC_RECORD_NAME")


def unprocessable(error_code: int, message: str) -> ApiError:
    return ApiError(422, error_code, message)


def encode_plain(kind: str, data: Any) -> bytes | None:
    """BINARY, JSON or STRING data to bytes (None stays None); 42206 when it does not fit."""
    if data is None:
        return None
    if kind == "JSON":
        return json.dumps(data, separators=(",", ":")).encode()
    if not isinstance(data, str):
        raise unprocessable(42206, f"{kind} data must be a string, got {type(data).__name__}")
    if kind == "STRING":
        return data.encode()
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise unprocessable(42206, f"BINARY data is not valid base64: {exc}") from exc


def decode_plain(kind: str, raw: bytes | None) -> Any:
    """Bytes to BINARY (base64), JSON or STRING data, for consumers."""
    if raw is None:
        return None
    if kind == "BINARY":
        return base64.b64encode(raw).decode()
    if kind == "STRING":
        return raw.decode(errors="replace")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(500, 50002, f"record is not JSON: {exc}") from exc


@dataclass(frozen=True)
class SchemaChoice:
    """How a request names the schema of its key or value."""

    kind: str  # AVRO, JSONSCHEMA or PROTOBUF; "" for the registered schema's type
    schema_id: int | None = None
    schema: str | None = None
    subject: str | None = None
    schema_version: int | None = None
    subject_name_strategy: str | None = None


@dataclass(frozen=True)
class Encoded:
    data: bytes | None
    schema_id: int | None = None
    subject: str | None = None
    kind: str | None = None  # the schema's type, when the request left it out


class SchemaSerdes:
    """Serializers and deserializers through one registry; resolved schemas are cached."""

    def __init__(self, registry_url: str | None) -> None:
        self._url = registry_url
        self._client: SchemaRegistryClient | None = None
        self._serializers: dict[tuple[str, int], Callable[[Any, SerializationContext], Any]] = {}
        self._deserializers: dict[str, Callable[[bytes, SerializationContext], Any]] = {}
        self._lock = threading.Lock()
        self._protobuf: ProtobufMessages | None = None
        self._avro_encodings: dict[int, avro_json.AvroJson] = {}

    def client(self) -> SchemaRegistryClient:
        if self._url is None:
            raise unprocessable(42207, "schema.registry.url is not set on this REST proxy")
        with self._lock:
            if self._client is None:
                self._client = SchemaRegistryClient({"url": self._url})
            return self._client

    def protobuf(self) -> ProtobufMessages:
        self.client()  # 42207 when no registry is set
        assert self._url is not None
        with self._lock:
            if self._protobuf is None:
                self._protobuf = ProtobufMessages(self._url)
            return self._protobuf

    def serialize(self, choice: SchemaChoice, topic: str, is_key: bool, data: Any) -> Encoded:
        """Resolve the schema (registering a given one), then serialize; blocking (HTTP)."""
        if data is None:
            return Encoded(None)
        if not choice.kind and choice.schema is not None:
            choice = replace(choice, kind="AVRO")  # a schema given without a type is Avro
        schema_id, subject = self._resolve(choice, topic, is_key)
        kind = choice.kind or self._kind_of(schema_id)
        serializer = self._serializer(kind, schema_id)
        field = MessageField.KEY if is_key else MessageField.VALUE
        try:
            raw = serializer(data, SerializationContext(topic, field))
        except Exception as exc:
            raise unprocessable(42207, f"cannot serialize with schema {schema_id}: {exc}") from exc
        return Encoded(raw, schema_id, subject, kind)

    def _kind_of(self, schema_id: int) -> str:
        """AVRO, JSONSCHEMA or PROTOBUF: the type of a registered schema."""
        try:
            schema_type = self.client().get_schema(schema_id).schema_type or "AVRO"
        except Exception as exc:
            raise unprocessable(42205, f"schema {schema_id} not usable: {exc}") from exc
        return {"JSON": "JSONSCHEMA"}.get(schema_type, schema_type)

    def _resolve(self, choice: SchemaChoice, topic: str, is_key: bool) -> tuple[int, str | None]:
        client = self.client()
        try:
            if choice.schema_id is not None:
                return choice.schema_id, choice.subject
            subject = choice.subject or _subject(choice, topic, is_key)
            if choice.schema is not None:
                schema = Schema(choice.schema, SCHEMA_TYPES[choice.kind])
                return client.register_schema(subject, schema), subject
            if choice.schema_version is not None:
                registered = client.get_version(subject, choice.schema_version)
            else:
                registered = client.get_latest_version(subject)
            assert registered.schema_id is not None
            return registered.schema_id, subject
        except ApiError:
            raise
        except Exception as exc:
            raise unprocessable(42205, f"schema not usable: {exc}") from exc

    def _serializer(self, kind: str, schema_id: int) -> Callable[[Any, SerializationContext], Any]:
        cached = self._serializers.get((kind, schema_id))
        if cached is not None:
            return cached
        client = self.client()
        conf = {"auto.register.schemas": False, "use.schema.id": schema_id}
        schema = client.get_schema(schema_id) if kind != "PROTOBUF" else None
        serializer: Callable[[Any, SerializationContext], Any]
        if kind == "AVRO":
            assert schema is not None
            avro = AvroSerializer(client, schema, conf=conf)
            serializer = _avro_json_serializer(client, schema, avro)
        elif kind == "PROTOBUF":
            try:
                serializer = self.protobuf().serializer(schema_id)
            except Exception as exc:
                raise unprocessable(42205, f"schema {schema_id}: {exc}") from exc
        else:
            serializer = JSONSerializer(schema, client, conf=conf)
        self._serializers[(kind, schema_id)] = serializer
        return serializer

    def deserialize(self, kind: str, topic: str, is_key: bool, raw: bytes | None) -> Any:
        """Wire-format bytes to JSON data, for v2 consumers of AVRO / JSONSCHEMA instances."""
        if raw is None:
            return None
        field = MessageField.KEY if is_key else MessageField.VALUE
        if kind == "PROTOBUF":
            try:
                return self.protobuf().deserialize(raw, SerializationContext(topic, field))
            except Exception as exc:
                raise ApiError(500, 50002, f"cannot deserialize a PROTOBUF record: {exc}") from exc
        deserializer = self._deserializers.get(kind)
        if deserializer is None:
            if kind == "AVRO":
                deserializer = AvroDeserializer(self.client())
            elif kind == "JSONSCHEMA":
                deserializer = JSONDeserializer(None, schema_registry_client=self.client())
            else:
                raise ApiError(406, 40601, f"{kind} records cannot be read by this proxy yet")
            self._deserializers[kind] = deserializer
        try:
            data = deserializer(raw, SerializationContext(topic, field))
            return self._avro_json(raw, data) if kind == "AVRO" else data
        except Exception as exc:
            raise ApiError(500, 50002, f"cannot deserialize a {kind} record: {exc}") from exc

    def _avro_json(self, raw: bytes, datum: Any) -> Any:
        """A deserialized AVRO datum in Avro's JSON encoding (`avro_json`)."""
        schema_id = avro_json.schema_id(raw)
        if schema_id is None:
            return datum
        encoding = self._avro_encodings.get(schema_id)
        if encoding is None:
            client = self.client()
            encoding = avro_json.AvroJson(client, client.get_schema(schema_id))
            self._avro_encodings[schema_id] = encoding
        return encoding.encode(datum)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._protobuf is not None:
            self._protobuf.close()


def _avro_json_serializer(
    client: SchemaRegistryClient,
    schema: Schema,
    serializer: Callable[[Any, SerializationContext], Any],
) -> Callable[[Any, SerializationContext], Any]:
    """`serializer` taking data in Avro's JSON encoding (`avro_json`)."""
    try:
        encoding = avro_json.AvroJson(client, schema)
    except Exception:  # noqa: BLE001 (the serializer reports a bad schema itself)
        return serializer

    def serialize(data: Any, context: SerializationContext) -> Any:
        return serializer(encoding.decode(data), context)

    return serialize


def _subject(choice: SchemaChoice, topic: str, is_key: bool) -> str:
    strategy = choice.subject_name_strategy or "TOPIC_NAME"
    if strategy not in SUBJECT_NAME_STRATEGIES:
        raise unprocessable(
            42206, f"subject_name_strategy must be one of {SUBJECT_NAME_STRATEGIES}"
        )
    if strategy == "TOPIC_NAME":
        return f"{topic}-{'key' if is_key else 'value'}"
    record = _record_name(choice)
    return record if strategy == "RECORD_NAME" else f"{topic}-{record}"


def _record_name(choice: SchemaChoice) -> str:
    """The full name of an Avro record schema (or a JSON Schema's title)."""
    try:
        parsed = json.loads(choice.schema or "")
    except ValueError as exc:
        raise unprocessable(42205, "RECORD_NAME strategies need the schema in the request") from exc
    name = parsed.get("name") or parsed.get("title") if isinstance(parsed, dict) else None
    if not name:
        raise unprocessable(42205, "the schema has no record name for the subject name strategy")
    namespace = parsed.get("namespace")
    return f"{namespace}.{name}" if namespace and "." not in name else str(name)
