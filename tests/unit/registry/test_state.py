"""The registry state replays `_schemas` records: versions, ids, deletes, configs, modes."""

from __future__ import annotations

from kaspar.registry.records import (
    Schema,
    SchemaId,
    SchemaVersion,
    Subject,
    config_key,
    delete_subject_key,
    mode_key,
    schema_key,
)
from kaspar.registry.state import RegistryState

SCHEMA = Schema('{"type": "string"}')


def version(subject: str, number: int, schema_id: int, deleted: bool = False) -> SchemaVersion:
    return SchemaVersion(Subject(subject), number, SchemaId(schema_id), SCHEMA, deleted)


def test_replay_rebuilds_subjects_ids_and_settings() -> None:
    state = RegistryState()
    for record in (version("a", 1, 1), version("a", 2, 1), version("b", 1, 1)):
        state.apply(schema_key(record.subject, record.version), record.to_record())
    state.apply(config_key("a"), {"compatibilityLevel": "NONE"})
    state.apply(mode_key(None), {"mode": "READONLY"})
    assert state.subjects() == ["a", "b"]
    assert state.max_id == 1
    assert state.id_of(Schema('"string"')) == 1  # Avro's own form: {"type": "string"} is "string"
    assert state.id_of(Schema('"int"')) is None
    assert state.config("a") == {"compatibilityLevel": "NONE"}
    assert state.mode(None) == "READONLY"
    state.apply(delete_subject_key("a"), {"subject": "a", "version": 2})
    assert state.subjects() == ["b"]
    assert state.subjects(deleted=True) == ["a", "b"]
    assert [v.version for v in state.versions("a", deleted=True)] == [1, 2]
    state.apply(schema_key("a", 1), None)
    state.apply(schema_key("a", 2), None)
    assert state.subjects(deleted=True) == ["b"]
    state.apply(config_key("a"), None)
    assert state.config("a") is None
