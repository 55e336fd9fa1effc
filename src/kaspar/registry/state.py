"""The registry's in-memory state, rebuilt by replaying the `_schemas` topic.

The reader thread of `KafkaStore` calls `apply` for every record in offset order; request
handlers read through the query methods, which hold the lock so they never see a record half
applied. Nothing here writes: writes are records, and they come back through `apply`.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from kaspar.registry.formats import canonical_form
from kaspar.registry.records import Schema, SchemaId, SchemaVersion, Subject
from kaspar.registry.subjects import DEFAULT_CONTEXT, context_of

IdInContext = tuple[str, int]
"""Schema ids are numbered per context (`subjects.context_of`): (context, id)."""


class RegistryState:
    """Subjects with their versions, ids by canonical schema (per context), configs and modes."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._subjects: dict[str, dict[int, SchemaVersion]] = {}
        self._ids_by_canonical: dict[tuple[str, str], SchemaId] = {}
        self._identities: dict[tuple[str, int], str] = {}
        self._versions_by_id: dict[IdInContext, set[tuple[str, int]]] = {}
        self._schemas_by_id: dict[IdInContext, Schema] = {}
        self._max_ids: dict[str, int] = {}
        self._configs: dict[str | None, dict[str, Any]] = {}
        self._modes: dict[str | None, str] = {}
        self.leader_url: str | None = None
        self.generation = 0
        """Bumped by every record applied: rendered answers name the generation they show."""

    # -- applying records -------------------------------------------------------------------

    def apply(self, key: dict[str, Any], value: Any) -> None:
        """One `_schemas` record (key and value decoded from JSON; value None: tombstone)."""
        keytype = key.get("keytype")
        subject = key.get("subject")
        with self._lock:
            self.generation += 1
            if keytype == "SCHEMA":
                self._apply_schema(key, value)
            elif keytype == "CONFIG":
                self._set(self._configs, subject, value)
            elif keytype == "MODE":
                self._set(self._modes, subject, None if value is None else value["mode"])
            elif keytype == "DELETE_SUBJECT" and value is not None:
                versions = self._subjects.get(subject or "", {})
                for number, version in list(versions.items()):
                    if number <= int(value["version"]):
                        versions[number] = _soft_deleted(version)
            elif keytype == "CLEAR_SUBJECT" and value is not None:
                for version in self.versions(subject or "", deleted=True):
                    if version.deleted:
                        self._apply_schema({"subject": subject, "version": version.version}, None)

    def _apply_schema(self, key: dict[str, Any], value: Any) -> None:
        subject, number = str(key["subject"]), int(key["version"])
        context = context_of(subject)
        previous = self._subjects.get(subject, {}).pop(number, None)
        if previous is not None:
            self._versions_by_id[(context, previous.id)].discard((subject, number))
            del self._identities[(subject, number)]
        if value is None:
            self._drop_if_empty(subject)
            return
        version = SchemaVersion.from_record(value)
        self._subjects.setdefault(subject, {})[number] = version
        self._identities[(subject, number)] = found = identity(version.schema)
        self._versions_by_id.setdefault((context, version.id), set()).add((subject, number))
        self._schemas_by_id.setdefault((context, version.id), version.schema)
        self._ids_by_canonical.setdefault((context, found), version.id)
        self._max_ids[context] = max(self._max_ids.get(context, 0), version.id)

    def _drop_if_empty(self, subject: str) -> None:
        if not self._subjects.get(subject, True):
            del self._subjects[subject]

    @staticmethod
    def _set(table: dict[str | None, Any], subject: str | None, value: Any) -> None:
        if value is None:
            table.pop(subject, None)
        else:
            table[subject] = value

    # -- queries ----------------------------------------------------------------------------

    @property
    def max_id(self) -> int:
        return self.max_id_in(DEFAULT_CONTEXT)

    def max_id_in(self, context: str) -> int:
        """The highest id the context has assigned (0: none yet)."""
        with self._lock:
            return self._max_ids.get(context, 0)

    def contexts(self) -> list[str]:
        """The default context and every context with a subject."""
        with self._lock:
            return sorted({DEFAULT_CONTEXT, *(context_of(s) for s in self._subjects)})

    def subjects(self, deleted: bool = False, deleted_only: bool = False) -> list[Subject]:
        with self._lock:
            found = []
            for subject, versions in self._subjects.items():
                live = any(not v.deleted for v in versions.values())
                if (deleted_only and not live) or (not deleted_only and (live or deleted)):
                    found.append(Subject(subject))
            return sorted(found)

    def versions(self, subject: str, deleted: bool = False) -> list[SchemaVersion]:
        """The subject's versions in order; soft-deleted ones only if `deleted`."""
        with self._lock:
            versions = self._subjects.get(subject, {})
            return [versions[n] for n in sorted(versions) if deleted or not versions[n].deleted]

    def schema(self, schema_id: int, context: str = DEFAULT_CONTEXT) -> Schema | None:
        with self._lock:
            return self._schemas_by_id.get((context, schema_id))

    def versions_with_id(
        self, schema_id: int, deleted: bool = False, context: str = DEFAULT_CONTEXT
    ) -> list[SchemaVersion]:
        with self._lock:
            held = self._versions_by_id.get((context, schema_id), ())
            found = [self._subjects[s][v] for s, v in held]
        found.sort(key=lambda version: (version.subject, version.version))
        return [version for version in found if deleted or not version.deleted]

    def find(self, subject: str, schema: Schema, deleted: bool = False) -> SchemaVersion | None:
        """The subject's newest version holding `schema` (same identity), if any."""
        wanted = identity(schema)
        with self._lock:
            versions = self._subjects.get(subject, {})
            for number in sorted(versions, reverse=True):
                version = versions[number]
                if self._identities[(subject, number)] == wanted and (
                    deleted or not version.deleted
                ):
                    return version
        return None

    def id_of(self, schema: Schema, context: str = DEFAULT_CONTEXT) -> SchemaId | None:
        """The id this schema (by canonical form and references) was registered with in
        `context`, if any."""
        with self._lock:
            return self._ids_by_canonical.get((context, identity(schema)))

    def referenced_by(self, subject: str, version: int) -> list[SchemaId]:
        with self._lock:
            return sorted(
                {
                    v.id
                    for versions in self._subjects.values()
                    for v in versions.values()
                    if not v.deleted
                    and any(
                        r.subject == subject and r.version == version for r in v.schema.references
                    )
                }
            )

    def config(self, subject: str | None) -> dict[str, Any] | None:
        with self._lock:
            return self._configs.get(subject)

    def mode(self, subject: str | None) -> str | None:
        with self._lock:
            return self._modes.get(subject)


def identity(schema: Schema) -> str:
    """What makes two registrations the same schema: type, canonical form, references, and
    the data contract (`metadata`, `ruleSet`), as in Confluent."""
    references = ",".join(f"{r.name}={r.subject}:{r.version}" for r in schema.references)
    contract = json.dumps([schema.metadata, schema.rule_set], sort_keys=True)
    return f"{schema.schema_type}\n{canonical_form(schema)}\n{references}\n{contract}"


def _soft_deleted(version: SchemaVersion) -> SchemaVersion:
    return SchemaVersion(version.subject, version.version, version.id, version.schema, True)
