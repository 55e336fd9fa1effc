"""The registry's operations over its state and store: what each REST call does.

Reads answer from `RegistryState`. Writes (run on the leader only; `routes.forwarding` sends
them there) hold `write_lock` from their checks to the read-back of their record, so two
registrations never get the same id or version. Every method raises `RegistryError`s with
Confluent's codes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kaspar.registry import errors
from kaspar.registry.compatibility import Incompatibility, check_compatibility
from kaspar.registry.config import RegistryConfig
from kaspar.registry.formats import parse_schema
from kaspar.registry.kafka_store import KafkaStore
from kaspar.registry.records import (
    Schema,
    SchemaId,
    SchemaReference,
    SchemaVersion,
    Subject,
    delete_subject_key,
    schema_key,
)
from kaspar.registry.state import RegistryState, identity
from kaspar.registry.subjects import DEFAULT_CONTEXT, LATEST, context_of


class SchemaRegistry:
    """Register, look up, delete and check schemas; see the module docstring."""

    def __init__(self, config: RegistryConfig, state: RegistryState, store: KafkaStore) -> None:
        self.config, self.state, self.store = config, state, store
        self.write_lock = threading.Lock()
        self.is_leader: Callable[[], bool] = lambda: True  # the server sets its election's

    @contextmanager
    def leading(self) -> Iterator[None]:
        """`write_lock`, held only while this process still leads (else 50004: retry)."""
        with self.write_lock:
            if not self.is_leader():
                raise errors.unknown_leader()
            yield

    # -- reading ----------------------------------------------------------------------------

    def parse(self, schema: Schema) -> Any:
        """`schema` parsed with its references; raises 42201 if it or a reference is invalid."""
        try:
            return parse_schema(schema, self.resolve_reference)
        except ValueError as exc:
            message = str(exc)
            raise errors.invalid_schema(
                message if message.startswith("Invalid schema") else f"Invalid schema: {message}"
            ) from exc

    def resolve_reference(self, reference: SchemaReference) -> Schema:
        for version in self.state.versions(reference.subject, deleted=True):
            if version.version == reference.version:
                return version.schema
        raise ValueError(
            f"Invalid schema: reference {reference.name} to subject {reference.subject} "
            f"version {reference.version} not found"
        )

    def versions(self, subject: Subject, deleted: bool = False) -> list[SchemaVersion]:
        """The subject's versions; raises 40401 if it has none (counting deleted ones if asked)."""
        versions = self.state.versions(subject, deleted)
        if not versions:
            raise errors.subject_not_found(subject)
        return versions

    def version(self, subject: Subject, version: int, deleted: bool = False) -> SchemaVersion:
        """One version (LATEST: the newest); raises 40401 / 40402."""
        versions = self.versions(subject, deleted)
        if version == LATEST:
            return versions[-1]
        for found in versions:
            if found.version == version:
                return found
        raise errors.version_not_found(version)

    def schema_by_id(self, schema_id: int, context: str = DEFAULT_CONTEXT) -> Schema:
        """The schema with `schema_id` in `context`; raises 40403."""
        schema = self.state.schema(schema_id, context)
        if schema is None or not self.state.versions_with_id(schema_id, True, context):
            raise errors.schema_not_found(f"Schema {schema_id} not found")
        return schema

    def lookup(self, subject: Subject, schema: Schema, deleted: bool) -> SchemaVersion:
        """The subject's version holding `schema`; raises 40401 / 40403."""
        self.versions(subject, deleted)
        found = self.state.find(subject, schema, deleted)
        if found is not None:
            return found
        self.parse(schema)
        raise errors.schema_not_found()

    def registered(
        self, subject: Subject, schema: Schema, schema_id: int | None, version: int | None
    ) -> SchemaVersion | None:
        """The live version a registration of `schema` would just return: the subject holds it
        already (with the same id, if one is asked for). Any process answers so, before the
        mode check and without the leader, as Confluent's `registerOrForward` does."""
        if version is not None:
            return None
        existing = self.state.find(subject, schema)
        if existing is None or schema_id not in (None, existing.id):
            return None
        return existing

    def compatibility_level(self, subject: str | None) -> str:
        for scope in (subject, None) if subject is not None else (None,):
            config = self.state.config(scope)
            if config is not None and config.get("compatibilityLevel"):
                return str(config["compatibilityLevel"])
        return self.config.compatibility_level

    def mode(self, subject: str | None) -> str:
        for scope in (subject, None) if subject is not None else (None,):
            mode = self.state.mode(scope)
            if mode is not None:
                return mode
        return "READWRITE"

    def incompatibilities(
        self, subject: Subject, schema: Schema, against: list[SchemaVersion], level: str
    ) -> list[str]:
        """Messages saying why `schema` is incompatible with `against` under `level`."""
        new = self.parse(schema)
        previous = [self.parse(version.schema) for version in against]
        found = check_compatibility(level, new, previous)
        if not found:
            return []
        return describe(found, against[-1], level)

    # -- writing (leader only) --------------------------------------------------------------

    def register(
        self, subject: Subject, schema: Schema, schema_id: int | None, version: int | None
    ) -> SchemaVersion:
        """Steps: mode, parse, same schema already there, compatibility, id, version, write."""
        mode = self.mode(subject)
        if mode in ("READONLY", "READONLY_OVERRIDE"):
            raise errors.operation_not_permitted(
                f"Subject {subject} in context . is in read-only mode"
            )
        if (schema_id is not None or version is not None) and mode != "IMPORT":
            raise errors.operation_not_permitted(f"Subject {subject} is not in import mode")
        self.parse(schema)
        with self.leading():
            existing = self.state.find(subject, schema)
            if existing is not None and schema_id in (None, existing.id):
                return existing
            live = self.state.versions(subject)
            if mode != "IMPORT":
                messages = self.incompatibilities(
                    subject, schema, live, self.compatibility_level(subject)
                )
                if messages:
                    raise errors.incompatible_schema(
                        "Schema being registered is incompatible with an earlier schema for "
                        f'subject "{subject}", details: [{", ".join(messages)}]'
                    )
            new_id = self._id_for(schema, schema_id, context_of(subject))
            every = self.state.versions(subject, deleted=True)
            number = version or (every[-1].version + 1 if every else 1)
            registered = SchemaVersion(subject, number, new_id, schema)
            self.store.write(schema_key(subject, number), registered.to_record())
            return registered

    def _id_for(self, schema: Schema, schema_id: int | None, context: str) -> SchemaId:
        """The schema's id in `context`: the one it has there, the explicit one (IMPORT), or
        the context's next."""
        known = self.state.id_of(schema, context)
        if schema_id is None:
            return known if known is not None else SchemaId(self.state.max_id_in(context) + 1)
        holder = self.state.schema(schema_id, context)
        if holder is not None and identity(holder) != identity(schema):
            raise errors.operation_not_permitted(
                f"Overwrite new schema with id {schema_id} is not permitted."
            )
        return SchemaId(schema_id)

    def delete_subject(self, subject: Subject, permanent: bool) -> list[int]:
        """Soft delete (every live version), or permanent after soft; returns the versions."""
        with self.leading():
            every = self.versions(subject, deleted=True)
            live = [v for v in every if not v.deleted]
            if not permanent:
                if not live:
                    raise errors.subject_soft_deleted(subject)
                self._refuse_if_referenced(live)
                self.store.write(
                    delete_subject_key(subject), {"subject": subject, "version": live[-1].version}
                )
                return [v.version for v in live]
            if live:
                raise errors.subject_not_soft_deleted(subject)
            for version in every:
                self.store.write(schema_key(subject, version.version), None)
            return [v.version for v in every]

    def delete_version(self, subject: Subject, version: int, permanent: bool) -> int:
        """Soft delete one version, or permanently after a soft delete; returns its number."""
        with self.leading():
            every = self.versions(subject, deleted=True)
            if version == LATEST:
                live = [v for v in every if not v.deleted]
                found = live[-1] if live and not permanent else every[-1]
            else:
                found = next((v for v in every if v.version == version), None)  # type: ignore[assignment]
                if found is None:
                    raise errors.version_not_found(version)
            if not permanent:
                if found.deleted:
                    raise errors.version_soft_deleted(subject, found.version)
                self._refuse_if_referenced([found])
                deleted = SchemaVersion(subject, found.version, found.id, found.schema, True)
                self.store.write(schema_key(subject, found.version), deleted.to_record())
            elif not found.deleted:
                raise errors.version_not_soft_deleted(subject, found.version)
            else:
                self.store.write(schema_key(subject, found.version), None)
            return found.version

    def _refuse_if_referenced(self, versions: list[SchemaVersion]) -> None:
        for version in versions:
            if self.state.referenced_by(version.subject, version.version):
                raise errors.reference_exists(
                    "One or more references exist to the schema "
                    f"{{magic=1,keytype=SCHEMA,subject={version.subject},version={version.version}}}."
                )


def describe(found: list[Incompatibility], old: SchemaVersion, level: str) -> list[str]:
    """Confluent's verbose messages: each incompatibility, then the old version and level."""
    return [
        *(str(item) for item in found),
        f"{{oldSchemaVersion: {old.version}}}",
        f"{{oldSchema: '{old.schema.schema}'}}",
        f"{{compatibility: '{level}'}}",
    ]
