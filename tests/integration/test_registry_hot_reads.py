"""The hot reads (`kaspar.registry.hot_reads`): a cached answer is byte for byte the route's
answer, and a write to the state is seen by the next read."""

from __future__ import annotations

import json

import httpx

from tests.integration import registry_fixture

registry_broker, registry_url = registry_fixture.registry_broker, registry_fixture.registry_url
http, subject = registry_fixture.http, registry_fixture.subject

FIRST = json.dumps({"type": "record", "name": "Hot", "fields": [{"name": "a", "type": "int"}]})
SECOND = json.dumps({"type": "record", "name": "Hot", "fields": []})
ACCEPTS = (
    {},
    {"accept": "application/json"},
    {"accept": "text/html, application/vnd.schemaregistry+json"},
)


def shape(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "date"]
    return response.status_code, headers, response.content


def test_cached_answers_are_the_routes_answers(http: httpx.Client, subject: str) -> None:
    schema_id = http.post(f"/subjects/{subject}/versions", json={"schema": FIRST}).json()["id"]
    lookup = {"schema": FIRST}
    for headers in ACCEPTS:
        requests = [
            ("GET", f"/schemas/ids/{schema_id}", None),
            ("GET", f"/subjects/{subject}/versions/latest", None),
            ("POST", f"/subjects/{subject}", lookup),
            ("POST", f"/subjects/{subject}/versions", lookup),
        ]
        for method, path, body in requests:
            # the route's answer, then the cached one
            first, again = (http.request(method, path, json=body, headers=headers) for _ in "12")
            assert first.status_code == 200, first.text
            assert shape(again) == shape(first)


def test_a_write_is_seen_by_the_next_read(http: httpx.Client, subject: str) -> None:
    http.put(f"/config/{subject}", json={"compatibility": "NONE"})
    http.post(f"/subjects/{subject}/versions", json={"schema": FIRST})
    for _ in range(2):
        assert http.get(f"/subjects/{subject}/versions/latest").json()["version"] == 1
        assert http.post(f"/subjects/{subject}", json={"schema": FIRST}).status_code == 200
        again = http.post(f"/subjects/{subject}/versions", json={"schema": FIRST})
        assert again.json()["version"] == 1
    http.post(f"/subjects/{subject}/versions", json={"schema": SECOND})
    assert http.get(f"/subjects/{subject}/versions/latest").json()["version"] == 2
    http.delete(f"/subjects/{subject}/versions/1")
    answer = http.post(f"/subjects/{subject}", json={"schema": FIRST})
    assert answer.status_code == 404, answer.text
    assert answer.json()["error_code"] == 40403
    again = http.post(f"/subjects/{subject}/versions", json={"schema": FIRST})
    assert again.json()["version"] == 3  # a soft-deleted schema registered again: a new version
    bad_type = http.post(f"/subjects/{subject}", content=b"{}", headers={"content-type": "text/x"})
    assert bad_type.status_code == 415
