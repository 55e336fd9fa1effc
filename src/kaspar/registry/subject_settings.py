"""The compatibility config and the mode, global (`subject=None`) or per subject.

Both are records of `_schemas` (CONFIG and MODE keys; a tombstone deletes one). Reading a
subject's setting without `defaultToGlobal` answers 40408 / 40409 when only the global one is set.
"""

from __future__ import annotations

from typing import Any

from kaspar.registry import errors
from kaspar.registry.config import COMPATIBILITY_LEVELS, MODES
from kaspar.registry.records import config_key, mode_key
from kaspar.registry.schema_registry import SchemaRegistry


class SubjectSettings:
    """GET/PUT/DELETE of `/config[/{subject}]` and `/mode[/{subject}]`."""

    def __init__(self, registry: SchemaRegistry) -> None:
        self.registry = registry
        self.state, self.store = registry.state, registry.store

    def get_config(self, subject: str | None, default_to_global: bool) -> dict[str, Any]:
        config = self.state.config(subject)
        if config is None and subject is not None and not default_to_global:
            raise errors.subject_level_compatibility_not_configured(subject)
        if config is None:
            config = self.state.config(None) if subject is not None else None
        return dict(config or {"compatibilityLevel": self.registry.config.compatibility_level})

    def put_config(self, subject: str | None, body: dict[str, Any]) -> dict[str, Any]:
        level = body.get("compatibility", body.get("compatibilityLevel"))
        if not isinstance(level, str) or level.upper() not in COMPATIBILITY_LEVELS:
            raise errors.invalid_compatibility_level(level)
        value = {k: v for k, v in body.items() if k not in ("compatibility", "compatibilityLevel")}
        value["compatibilityLevel"] = level.upper()
        self.store.write(config_key(subject), value)
        answer = {k: v for k, v in value.items() if k != "compatibilityLevel"}
        return {"compatibility": level.upper(), **answer}

    def delete_config(self, subject: str | None) -> dict[str, Any]:
        if subject is not None and not self.state.versions(subject, deleted=True):
            raise errors.subject_not_found(subject)
        previous = self.get_config(subject, default_to_global=subject is None)
        self.store.write(config_key(subject), None)
        return previous

    def get_mode(self, subject: str | None, default_to_global: bool) -> dict[str, Any]:
        mode = self.state.mode(subject)
        if mode is None and subject is not None and not default_to_global:
            raise errors.subject_level_mode_not_configured(subject)
        return {"mode": self.registry.mode(subject)}

    def put_mode(self, subject: str | None, body: dict[str, Any], force: bool) -> dict[str, Any]:
        mode = body.get("mode")
        if not isinstance(mode, str) or mode.upper() not in MODES:
            raise errors.invalid_mode(mode)
        mode = mode.upper()
        if not self.registry.config.mode_mutability:
            raise errors.operation_not_permitted("Mode changes are not allowed")
        if mode == "IMPORT" and not force:
            existing = self.state.versions(subject) if subject else self.state.subjects()
            if existing:
                raise errors.operation_not_permitted("Cannot import since found existing subjects")
        self.store.write(mode_key(subject), {"mode": mode})
        return {"mode": mode}

    def delete_mode(self, subject: str | None) -> dict[str, Any]:
        previous = {"mode": self.registry.mode(subject)}
        self.store.write(mode_key(subject), None)
        return previous
