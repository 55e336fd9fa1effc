"""A small client of a Confluent-compatible schema registry, for the registry converters:
register a subject's schema (or look it up when auto-registration is off) and fetch a schema by
id, each answer cached."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import ClassVar
from urllib.parse import quote

import httpx

from kaspar.connect.data import DataError

TIMEOUT_S = 30.0
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class RegistryClient:
    def __init__(self, url: str) -> None:
        self.url = url.split(",", maxsplit=1)[0].rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=TIMEOUT_S)
        self._ids: dict[tuple[str, str], int] = {}
        self._schemas: dict[int, str] = {}

    def register(
        self, subject: str, schema: str, auto_register: bool, schema_type: str = "AVRO"
    ) -> int:
        """The id of `schema` under `subject`, registering it when `auto_register`."""
        key = (subject, schema)
        if key not in self._ids:
            path = f"/subjects/{quote(subject, safe='')}"
            if auto_register:
                path += "/versions"
            body = {"schema": schema}
            if schema_type != "AVRO":
                body["schemaType"] = schema_type
            response = self._http.post(path, json=body, headers={"content-type": CONTENT_TYPE})
            if response.status_code != 200:
                raise DataError(f"Failed to register the schema of {subject}: {response.text}")
            self._ids[key] = int(response.json()["id"])
        return self._ids[key]

    def schema(self, schema_id: int) -> str:
        if schema_id not in self._schemas:
            response = self._http.get(f"/schemas/ids/{schema_id}")
            if response.status_code != 200:
                raise DataError(f"Failed to fetch schema {schema_id}: {response.text}")
            self._schemas[schema_id] = str(response.json()["schema"])
        return self._schemas[schema_id]

    def close(self) -> None:
        self._http.close()


class RegistryConverter:
    """What the registry converters share: `schema.registry.url`, `auto.register.schemas`,
    TopicNameStrategy subjects, and Confluent's framing (magic byte 0, the 4-byte schema id).
    A subclass gives `schema_type` and writes/reads the body."""

    schema_type: ClassVar[str] = "AVRO"
    HEADER: ClassVar[struct.Struct] = struct.Struct(">bI")

    def configure(self, props: Mapping[str, str], is_key: bool) -> None:
        url = props.get("schema.registry.url")
        if not url:
            raise DataError(
                'Missing required configuration "schema.registry.url" which has no default value.'
            )
        self.registry = RegistryClient(url)
        self.suffix = "key" if is_key else "value"
        self.auto_register = props.get("auto.register.schemas", "true").lower() == "true"

    def schema_id(self, topic: str, text: str) -> int:
        subject = f"{topic}-{self.suffix}"
        return self.registry.register(subject, text, self.auto_register, self.schema_type)

    def frame(self, schema_id: int, body: bytes) -> bytes:
        return self.HEADER.pack(0, schema_id) + body

    def unframe(self, data: bytes) -> tuple[int, bytes]:
        if len(data) < self.HEADER.size or data[0] != 0:
            raise DataError("Unknown magic byte!")
        _, schema_id = self.HEADER.unpack_from(data)
        return int(schema_id), data[self.HEADER.size :]

    def close(self) -> None:
        self.registry.close()
