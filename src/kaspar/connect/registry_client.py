"""A small client of a Confluent-compatible schema registry, for the registry converters:
register a subject's schema (or look it up when auto-registration is off) and fetch a schema by
id, each answer cached."""

from __future__ import annotations

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

    def register(self, subject: str, schema: str, auto_register: bool) -> int:
        """The id of `schema` under `subject`, registering it when `auto_register`."""
        key = (subject, schema)
        if key not in self._ids:
            path = f"/subjects/{quote(subject, safe='')}"
            if auto_register:
                path += "/versions"
            response = self._http.post(
                path, json={"schema": schema}, headers={"content-type": CONTENT_TYPE}
            )
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
