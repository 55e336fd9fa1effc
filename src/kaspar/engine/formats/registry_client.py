"""A Confluent Schema Registry client for the engine: schemas by id and by subject, cached.

Any Confluent-compatible registry answers it (kaspar's, Confluent's, Karapace, Apicurio's
compatibility API). It is a small httpx client rather than ``kaspar.registry`` (the engine never
imports the registry service) or confluent-kafka's ``SchemaRegistryClient`` (an optional extra
of confluent-kafka, and it caches Protobuf schemas as ``.proto`` text, which the engine cannot
turn into descriptors: it asks for ``format=serialized`` instead).

Schemas by id never change, so they are cached for the life of the process; the latest version
of a subject and a register/lookup answer are cached per (subject, schema) for one client.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from kaspar.errors import SparkException

_TIMEOUT_S = 30.0
_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class SchemaNotFoundError(LookupError):
    """The registry has no schema under that id (Confluent's 40403) or subject (40401)."""


@dataclass(frozen=True)
class RegisteredSchema:
    """A schema as the registry returns it: its id, type, text and references."""

    schema_id: int
    schema_type: str  # AVRO, PROTOBUF, JSON
    schema: str  # Avro JSON; Protobuf: a base64 FileDescriptorProto (format=serialized)
    references: tuple[tuple[str, str, int], ...] = ()  # (name, subject, version)


@dataclass
class RegistryClient:
    """The registry at ``url`` (several comma-separated URLs: the first that answers)."""

    url: str
    auth: tuple[str, str] | None = None
    _by_id: dict[int, RegisteredSchema] = field(default_factory=dict)
    _versions: dict[tuple[str, str], RegisteredSchema] = field(default_factory=dict)
    _ids: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def schema_by_id(self, schema_id: int) -> RegisteredSchema:
        """The schema registered under ``schema_id`` (cached; raises ``SchemaNotFoundError``)."""
        cached = self._by_id.get(schema_id)
        if cached is None:
            body = self._get(f"/schemas/ids/{schema_id}?format=serialized")
            cached = _registered(schema_id, body)
            with self._lock:
                self._by_id[schema_id] = cached
        return cached

    def version(self, subject: str, version: str | int = "latest") -> RegisteredSchema:
        """A version of ``subject`` (``latest``, cached for this client)."""
        key = (subject, str(version))
        cached = self._versions.get(key)
        if cached is None:
            path = f"/subjects/{quote(subject, safe='')}/versions/{version}?format=serialized"
            body = self._get(path)
            cached = _registered(int(body["id"]), body)
            with self._lock:
                self._versions[key] = cached
        return cached

    def register(self, subject: str, schema: str, schema_type: str = "AVRO") -> int:
        """The id of ``schema`` under ``subject``, registering it if it is new there."""
        key = (subject, schema_type, schema)
        cached = self._ids.get(key)
        if cached is None:
            body: dict[str, Any] = {"schema": schema}
            if schema_type != "AVRO":
                body["schemaType"] = schema_type
            answer = self._request("POST", f"/subjects/{quote(subject, safe='')}/versions", body)
            cached = int(answer["id"])
            with self._lock:
                self._ids[key] = cached
        return cached

    def _get(self, path: str) -> dict[str, Any]:
        return self._request("GET", path, None)

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        errors: list[str] = []
        for base in self.url.split(","):
            try:
                response = httpx.request(
                    method,
                    base.strip().rstrip("/") + path,
                    json=body,
                    headers={"Accept": _CONTENT_TYPE, "Content-Type": _CONTENT_TYPE},
                    auth=self.auth,
                    timeout=_TIMEOUT_S,
                )
            except httpx.HTTPError as e:
                errors.append(f"{base}: {e}")
                continue
            return _answer(response, method, path)
        raise SparkException(
            f"The schema registry at {self.url} cannot be reached: {'; '.join(errors)}"
        )


def _answer(response: httpx.Response, method: str, path: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = {"message": response.text}
    if response.status_code == httpx.codes.OK:
        return dict(body)
    code = body.get("error_code", response.status_code) if isinstance(body, dict) else ""
    message = body.get("message", "") if isinstance(body, dict) else str(body)
    if response.status_code == httpx.codes.NOT_FOUND:
        raise SchemaNotFoundError(f"{message} (error code {code})")
    resource = path.split("?", maxsplit=1)[0]
    raise SparkException(
        f"The schema registry refused {method} {resource}: {message} (error code {code})"
    )


def _registered(schema_id: int, body: dict[str, Any]) -> RegisteredSchema:
    references = tuple(
        (str(r["name"]), str(r["subject"]), int(r["version"])) for r in body.get("references", [])
    )
    return RegisteredSchema(
        schema_id, str(body.get("schemaType", "AVRO")), str(body["schema"]), references
    )


_CLIENTS: dict[tuple[str, tuple[str, str] | None], RegistryClient] = {}


def registry_client(url: str, auth: tuple[str, str] | None = None) -> RegistryClient:
    """One client per registry URL in the process, so schemas by id are fetched once."""
    key = (url, auth)
    client = _CLIENTS.get(key)
    if client is None:
        client = _CLIENTS.setdefault(key, RegistryClient(url, auth))
    return client
