"""``CREATE SOURCE|SINK CONNECTOR``, ``SHOW CONNECTORS``, ``DESCRIBE CONNECTOR`` and ``DROP
CONNECTOR``: forwarded to a Kafka Connect worker's REST API (``ksql.connect.url``, the one
``kaspar up`` runs), as ksqlDB forwards them; Connect keeps the connectors, so these statements
are not commands of the command topic. Answers are ksqlDB's ``connector_*`` entities."""

from __future__ import annotations

from typing import Any

import httpx

from kaspar.ksql import statements as st
from kaspar.ksql.errors import SERVER_ERROR, KsqlError

TIMEOUT_S = 30.0


class ConnectClient:
    def __init__(self, url: str | None) -> None:
        self.url = None if url is None else url.rstrip("/")

    def execute(self, statement: st.CreateConnector | st.ConnectorStatement) -> dict[str, Any]:
        if isinstance(statement, st.CreateConnector):
            return self._create(statement)
        if statement.action == "SHOW":
            return self._list(statement.text)
        assert statement.name is not None
        if statement.action == "DESCRIBE":
            return self._describe(statement.text, statement.name)
        return self._drop(statement)

    def _call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        if self.url is None:
            raise KsqlError(
                "Failed to execute the connector statement: 'ksql.connect.url' is not set",
                SERVER_ERROR,
            )
        try:
            return httpx.request(method, f"{self.url}{path}", json=body, timeout=TIMEOUT_S)
        except httpx.HTTPError as exc:
            raise KsqlError(f"Failed to reach Connect at {self.url}: {exc}", SERVER_ERROR) from None

    def _create(self, statement: st.CreateConnector) -> dict[str, Any]:
        answer = self._call(
            "POST", "/connectors", {"name": statement.name, "config": statement.config}
        )
        if answer.status_code == 409 and statement.if_not_exists:
            return self._describe(statement.text, statement.name)
        info = _ok(answer, statement.name)
        return {
            "@type": "connector_info",
            "statementText": statement.text,
            "info": {
                "name": info.get("name", statement.name),
                "config": info.get("config", statement.config),
                "tasks": info.get("tasks", []),
                "type": statement.kind.lower(),
            },
            "warnings": [],
        }

    def _list(self, text: str) -> dict[str, Any]:
        answer = _ok(self._call("GET", "/connectors?expand=status&expand=info"), "connectors")
        connectors = []
        for name, entry in sorted(answer.items()):
            info, status = entry.get("info", {}), entry.get("status", {})
            connectors.append(
                {
                    "name": name,
                    "type": str(info.get("type", status.get("type", ""))).upper(),
                    "className": info.get("config", {}).get("connector.class", ""),
                    "state": status.get("connector", {}).get("state", "UNKNOWN"),
                }
            )
        return {"@type": "connector_list", "statementText": text, "connectors": connectors,
                "warnings": []}  # fmt: skip

    def _describe(self, text: str, name: str) -> dict[str, Any]:
        status = _ok(self._call("GET", f"/connectors/{name}/status"), name)
        config = _ok(self._call("GET", f"/connectors/{name}/config"), name)
        return {
            "@type": "connector_description",
            "statementText": text,
            "connectorClass": config.get("connector.class", ""),
            "status": status,
            "sources": [],
            "topics": [],
            "warnings": [],
        }

    def _drop(self, statement: st.ConnectorStatement) -> dict[str, Any]:
        assert statement.name is not None
        answer = self._call("DELETE", f"/connectors/{statement.name}")
        if answer.status_code == 404 and statement.if_exists:
            return {
                "@type": "warning_entity",
                "statementText": statement.text,
                "message": f"Connector {statement.name} does not exist.",
                "warnings": [],
            }
        if answer.status_code >= 400:
            _ok(answer, statement.name)
        return {"@type": "drop_connector", "statementText": statement.text,
                "connectorName": statement.name, "warnings": []}  # fmt: skip


def _ok(answer: httpx.Response, what: str) -> Any:
    if answer.status_code >= 400:
        try:
            message = answer.json().get("message", answer.text)
        except ValueError:
            message = answer.text
        raise KsqlError(f"Failed to execute the connector statement on {what}: {message}")
    return answer.json()
