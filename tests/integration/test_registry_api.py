"""The registry's REST surface with a real HTTP client: every endpoint, content types, errors."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.integration import registry_fixture

registry_broker, registry_url = registry_fixture.registry_broker, registry_fixture.registry_url
http, subject = registry_fixture.http, registry_fixture.subject

V1 = "application/vnd.schemaregistry.v1+json"
RECORD = {"type": "record", "name": "User", "namespace": "kaspar.test", "fields": []}


def avro(*fields: dict[str, object]) -> str:
    return json.dumps(RECORD | {"fields": list(fields)})


def register(http: httpx.Client, subject: str, schema: str, **body: object) -> httpx.Response:
    return http.post(f"/subjects/{subject}/versions", json={"schema": schema, **body})


def error(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code, response.text
    return str(response.json()["message"])


NAME = {"name": "name", "type": "string"}
AGE = {"name": "age", "type": "int"}


def test_root_types_metadata_and_contexts(http: httpx.Client) -> None:
    assert http.get("/").json() == {}
    assert http.get("/schemas/types").json() == ["JSON", "PROTOBUF", "AVRO"]
    clusters = http.get("/v1/metadata/id").json()["scope"]["clusters"]
    assert clusters["kafka-cluster"]
    assert http.get("/contexts").json()[0] == "."  # then any context a test registered in


def test_register_get_and_same_schema_same_id(http: httpx.Client, subject: str) -> None:
    first = register(http, subject, avro(NAME))
    assert first.status_code == 200
    schema_id = first.json()["id"]
    assert register(http, subject, avro(NAME)).json()["id"] == schema_id
    spaced = json.dumps(json.loads(avro(NAME)), indent=2)
    assert register(http, f"other-{subject}", spaced).json()["id"] == schema_id
    assert http.get(f"/schemas/ids/{schema_id}").json() == {"schema": avro(NAME)}
    assert http.get(f"/schemas/ids/{schema_id}/schema").json() == json.loads(avro(NAME))
    assert http.get(f"/schemas/ids/{schema_id}/subjects").json() == sorted(
        [subject, f"other-{subject}"]
    )
    assert {"subject": subject, "version": 1} in http.get(
        f"/schemas/ids/{schema_id}/versions"
    ).json()
    version = http.get(f"/subjects/{subject}/versions/1").json()
    assert version == {"subject": subject, "version": 1, "id": schema_id, "schema": avro(NAME)}
    for alias in ("latest", "-1"):
        assert http.get(f"/subjects/{subject}/versions/{alias}").json() == version
    assert http.get(f"/subjects/{subject}/versions/1/schema").json() == json.loads(avro(NAME))
    assert http.get(f"/subjects/{subject}/versions").json() == [1]
    assert subject in http.get("/subjects").json()
    assert http.get("/subjects", params={"subjectPrefix": "other-"}).json() == [f"other-{subject}"]


def test_content_types(http: httpx.Client, subject: str) -> None:
    body = json.dumps({"schema": avro(NAME)})
    for content_type in (V1, "application/vnd.schemaregistry+json", "application/json"):
        response = http.post(
            f"/subjects/{subject}/versions",
            content=body,
            headers={"Content-Type": content_type, "Accept": content_type},
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(content_type)
    assert http.get("/subjects").headers["content-type"].startswith(V1)
    refused = http.post(
        f"/subjects/{subject}/versions", content=body, headers={"Content-Type": "text/plain"}
    )
    error(refused, 415, 415)


def test_lookup(http: httpx.Client, subject: str) -> None:
    schema_id = register(http, subject, avro(NAME)).json()["id"]
    found = http.post(f"/subjects/{subject}", json={"schema": avro(NAME)}).json()
    assert found == {"subject": subject, "version": 1, "id": schema_id, "schema": avro(NAME)}
    error(http.post(f"/subjects/{subject}", json={"schema": avro(AGE)}), 404, 40403)
    error(http.post(f"/subjects/none-{subject}", json={"schema": avro(NAME)}), 404, 40401)


def test_not_found_and_invalid(http: httpx.Client, subject: str) -> None:
    error(http.get("/schemas/ids/987654"), 404, 40403)
    error(http.get(f"/subjects/{subject}/versions"), 404, 40401)
    register(http, subject, avro(NAME))
    error(http.get(f"/subjects/{subject}/versions/7"), 404, 40402)
    error(http.get(f"/subjects/{subject}/versions/0"), 422, 42202)
    error(http.get(f"/subjects/{subject}/versions/abc"), 422, 42202)
    error(register(http, subject, "{not json"), 422, 42201)
    error(register(http, subject, json.dumps({"type": "nope"})), 422, 42201)
    error(register(http, subject, avro({"name": "n", "type": "int", "default": "x"})), 422, 42201)
    error(register(http, subject, "{}", schemaType="XML"), 422, 42201)
    error(http.post(f"/subjects/{subject}/versions", json={}), 422, 42201)
    error(http.get("/no/such/path"), 404, 404)


def test_incompatible_is_409_naming_the_field(http: httpx.Client, subject: str) -> None:
    register(http, subject, avro(NAME))
    message = error(register(http, subject, avro(NAME, AGE)), 409, 409)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in message
    assert "'age'" in message
    with_default = AGE | {"default": 0}
    assert register(http, subject, avro(NAME, with_default)).json()["version"] == 2


def test_compatibility_endpoint(http: httpx.Client, subject: str) -> None:
    register(http, subject, avro(NAME))
    path = f"/compatibility/subjects/{subject}/versions"
    assert http.post(f"{path}/latest", json={"schema": avro(NAME, AGE)}).json() == {
        "is_compatible": False
    }
    verbose = http.post(
        f"{path}/1", params={"verbose": "true"}, json={"schema": avro(NAME, AGE)}
    ).json()
    assert verbose["is_compatible"] is False
    assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m for m in verbose["messages"])
    assert http.post(path, json={"schema": avro()}).json() == {"is_compatible": True}
    error(http.post(f"{path}/9", json={"schema": avro()}), 404, 40402)
    error(
        http.post(f"/compatibility/subjects/x{subject}/versions/1", json={"schema": avro()}),
        404,
        40401,
    )
    assert http.post(
        f"/compatibility/subjects/x{subject}/versions", json={"schema": avro()}
    ).json() == {"is_compatible": True}


def test_config(http: httpx.Client, subject: str) -> None:
    assert http.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    error(http.get(f"/config/{subject}"), 404, 40408)
    assert http.get(f"/config/{subject}", params={"defaultToGlobal": "true"}).json() == {
        "compatibilityLevel": "BACKWARD"
    }
    put = http.put(f"/config/{subject}", json={"compatibility": "NONE"})
    assert put.json() == {"compatibility": "NONE"}
    assert http.get(f"/config/{subject}").json() == {"compatibilityLevel": "NONE"}
    register(http, subject, avro(NAME))
    assert register(http, subject, avro(AGE)).status_code == 200  # NONE: anything goes
    error(http.put(f"/config/{subject}", json={"compatibility": "SIDEWAYS"}), 422, 42203)
    assert http.delete(f"/config/{subject}").json() == {"compatibilityLevel": "NONE"}
    error(http.get(f"/config/{subject}"), 404, 40408)


def test_soft_and_permanent_deletes(http: httpx.Client, subject: str) -> None:
    register(http, subject, avro(NAME))
    register(http, subject, avro(NAME, AGE | {"default": 1}))
    error(http.delete(f"/subjects/{subject}/versions/1", params={"permanent": "true"}), 404, 40407)
    assert http.delete(f"/subjects/{subject}/versions/1").json() == 1
    error(http.delete(f"/subjects/{subject}/versions/1"), 404, 40406)
    error(http.get(f"/subjects/{subject}/versions/1"), 404, 40402)
    assert (
        http.get(f"/subjects/{subject}/versions/1", params={"deleted": "true"}).status_code == 200
    )
    assert http.get(f"/subjects/{subject}/versions").json() == [2]
    assert http.get(f"/subjects/{subject}/versions", params={"deleted": "true"}).json() == [1, 2]
    assert http.delete(f"/subjects/{subject}/versions/1", params={"permanent": "true"}).json() == 1
    error(http.delete(f"/subjects/{subject}", params={"permanent": "true"}), 404, 40405)
    assert http.delete(f"/subjects/{subject}").json() == [2]
    error(http.delete(f"/subjects/{subject}"), 404, 40404)
    assert subject not in http.get("/subjects").json()
    assert subject in http.get("/subjects", params={"deleted": "true"}).json()
    assert http.delete(f"/subjects/{subject}", params={"permanent": "true"}).json() == [2]
    error(http.get(f"/subjects/{subject}/versions", params={"deleted": "true"}), 404, 40401)
    error(http.delete(f"/subjects/{subject}"), 404, 40401)


def test_references_and_referenced_by(http: httpx.Client, subject: str) -> None:
    address = json.dumps(
        {"type": "record", "name": "Address", "namespace": "kaspar.test", "fields": [NAME]}
    )
    register(http, f"address-{subject}", address)
    user = avro({"name": "home", "type": "kaspar.test.Address"})
    reference = {"name": "kaspar.test.Address", "subject": f"address-{subject}", "version": 1}
    error(register(http, subject, user), 422, 42201)
    registered = register(http, subject, user, references=[reference])
    assert registered.status_code == 200, registered.text
    schema_id = registered.json()["id"]
    assert http.get(f"/schemas/ids/{schema_id}").json()["references"] == [reference]
    assert http.get(f"/subjects/address-{subject}/versions/1/referencedby").json() == [schema_id]
    error(http.delete(f"/subjects/address-{subject}/versions/1"), 422, 42206)


def test_metadata_and_rule_set_kept(http: httpx.Client, subject: str) -> None:
    metadata = {"properties": {"owner": "kaspar"}}
    rule_set = {"domainRules": [{"name": "r", "kind": "CONDITION", "type": "CEL", "expr": "1"}]}
    schema_id = register(http, subject, avro(NAME), metadata=metadata, ruleSet=rule_set).json()[
        "id"
    ]
    version = http.get(f"/subjects/{subject}/versions/latest").json()
    assert (version["metadata"], version["ruleSet"]) == (metadata, rule_set)
    assert http.get(f"/schemas/ids/{schema_id}").json()["metadata"] == metadata


def test_json_schema_and_protobuf(http: httpx.Client, subject: str) -> None:
    document = {"type": "object", "properties": {"a": {"type": "string"}}}
    registered = register(http, f"json-{subject}", json.dumps(document), schemaType="JSON")
    assert registered.status_code == 200
    got = http.get(f"/schemas/ids/{registered.json()['id']}").json()
    assert got["schemaType"] == "JSON"
    error(register(http, f"json-{subject}", '{"type": 12}', schemaType="JSON"), 422, 42201)
    proto = 'syntax = "proto3";\npackage t;\nmessage M { string a = 1; }\n'
    registered = register(http, f"proto-{subject}", proto, schemaType="PROTOBUF")
    assert registered.status_code == 200, registered.text
    schema_id = registered.json()["id"]
    assert http.get(f"/schemas/ids/{schema_id}").json()["schema"] == proto
    serialized = http.get(f"/schemas/ids/{schema_id}", params={"format": "serialized"})
    assert serialized.json()["schema"] != proto
    changed = proto.replace("string a = 1", "int32 a = 1")
    message = error(register(http, f"proto-{subject}", changed, schemaType="PROTOBUF"), 409, 409)
    assert "FIELD_SCALAR_KIND_CHANGED" in message
    error(register(http, f"proto-{subject}", "message {", schemaType="PROTOBUF"), 422, 42201)


def test_contexts_are_parsed(http: httpx.Client, subject: str) -> None:
    schema_id = register(http, f":.:{subject}", avro(NAME)).json()["id"]
    assert http.get(f"/subjects/{subject}/versions/1").json()["id"] == schema_id
    error(register(http, ":.broken", avro(NAME)), 422, 42208)


def test_a_registered_schema_is_answered_in_any_mode(http: httpx.Client, subject: str) -> None:
    """As Confluent's registerOrForward: a schema the subject holds is answered before the mode
    check (and on any process); a new one is refused in READONLY."""
    schema_id = register(http, subject, avro(NAME)).json()["id"]
    assert http.put(f"/mode/{subject}", json={"mode": "READONLY"}).status_code == 200
    for _ in range(2):
        again = register(http, subject, avro(NAME))
        assert again.json() == {"id": schema_id, "version": 1, "schema": avro(NAME)}
    error(register(http, subject, avro(NAME, AGE)), 422, 42205)
    error(register(http, subject, avro(NAME), version=2), 422, 42205)


def test_a_context_numbers_its_own_ids(http: httpx.Client, subject: str) -> None:
    context = f".{subject.split('-')[1]}"
    first, second = f":{context}:{subject}", f":{context}:other-{subject}"
    in_default = register(http, subject, avro(NAME)).json()["id"]
    assert register(http, first, avro(AGE)).json()["id"] == 1
    assert register(http, second, avro(NAME)).json()["id"] == 2  # not the default context's id
    assert register(http, subject, avro(NAME)).json()["id"] == in_default
    assert context in http.get("/contexts").json()
    in_context = {"subject": f":{context}:"}
    assert http.get("/schemas/ids/2", params=in_context).json() == {"schema": avro(NAME)}
    assert http.get("/schemas/ids/1/subjects", params=in_context).json() == [first]
    fetched = http.get("/schemas/ids/1", params={"subject": first, "fetchMaxId": "true"}).json()
    assert fetched == {"schema": avro(AGE), "maxId": 2}
    assert http.get(f"/subjects/{second}/versions/1").json()["id"] == 2
    assert {first, second} <= set(http.get("/subjects").json())


def test_modes(http: httpx.Client, subject: str) -> None:
    assert http.get("/mode").json() == {"mode": "READWRITE"}
    error(http.get(f"/mode/{subject}"), 404, 40409)
    error(http.put(f"/mode/{subject}", json={"mode": "SIDEWAYS"}), 422, 42204)
    error(register(http, subject, avro(NAME), id=4242), 422, 42205)
    assert http.put(f"/mode/{subject}", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    imported = register(http, subject, avro(NAME, AGE), id=4242, version=3)
    assert imported.json()["id"] == 4242, imported.text
    assert http.get("/schemas/ids/4242").json()["schema"] == avro(NAME, AGE)
    assert http.get(f"/subjects/{subject}/versions").json() == [3]
    error(register(http, subject, avro(AGE), id=4242), 422, 42205)
    assert http.put(f"/mode/{subject}", json={"mode": "READONLY"}).status_code == 200
    error(register(http, subject, avro(NAME)), 422, 42205)
    assert http.delete(f"/mode/{subject}").json() == {"mode": "READONLY"}
    assert http.get(f"/mode/{subject}", params={"defaultToGlobal": "true"}).json() == {
        "mode": "READWRITE"
    }
    error(http.put("/mode", json={"mode": "IMPORT"}), 422, 42205)


@pytest.mark.parametrize("path", ["/subjects/{s}/versions", "/config/{s}"])
def test_malformed_body_is_400(http: httpx.Client, subject: str, path: str) -> None:
    method = "POST" if "versions" in path else "PUT"
    response = http.request(
        method, path.format(s=subject), content=b"{oops", headers={"Content-Type": V1}
    )
    error(response, 400, 400)
