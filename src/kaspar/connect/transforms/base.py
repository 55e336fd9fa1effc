"""Single message transforms: the interface, the key/value variants, and the chain a connector's
`transforms` / `predicates` config builds.

A transform takes a record and returns a record, or None to drop it. With
`transforms.<alias>.predicate=<p>` it applies only to records the predicate matches (or, with
`negate=true`, to those it does not).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, ClassVar, Protocol

from kaspar.connect.data import ConnectRecord, DataError, Schema


class Transformation(Protocol):
    def configure(self, props: Mapping[str, str]) -> None: ...

    def apply(self, record: ConnectRecord) -> ConnectRecord | None: ...


class Predicate(Protocol):
    def configure(self, props: Mapping[str, str]) -> None: ...

    def test(self, record: ConnectRecord) -> bool: ...


class RecordPart:
    """The part of the record a `$Key` / `$Value` variant works on."""

    part: ClassVar[str] = "value"

    def schema_of(self, record: ConnectRecord) -> Schema | None:
        schema: Schema | None = getattr(record, f"{self.part}_schema")
        return schema

    def value_of(self, record: ConnectRecord) -> Any:
        return getattr(record, self.part)

    def with_part(self, record: ConnectRecord, schema: Schema | None, value: Any) -> ConnectRecord:
        return replace(record, **{f"{self.part}_schema": schema, self.part: value})


def require_map(value: Any, purpose: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DataError(
            f"Only Struct objects supported for [{purpose}], found: {type(value).__name__}"
        )
    return value


class ConditionalTransform:
    """A transform applied only where its predicate says (`predicate` / `negate`)."""

    def __init__(self, transform: Transformation, predicate: Predicate | None, negate: bool):
        self.transform, self.predicate, self.negate = transform, predicate, negate

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        if self.predicate is not None and self.predicate.test(record) == self.negate:
            return record
        return self.transform.apply(record)


def sub_config(props: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {k.removeprefix(prefix): v for k, v in props.items() if k.startswith(prefix)}


def aliases(props: Mapping[str, str], key: str) -> list[str]:
    return [a.strip() for a in props.get(key, "").split(",") if a.strip()]


def configured(
    props: Mapping[str, str], kind: str, factories: Mapping[str, Callable[[], Any]]
) -> dict[str, tuple[Any, dict[str, str]]]:
    """alias -> (configured plugin, its settings) for `transforms` or `predicates`."""
    built = {}
    for alias in aliases(props, kind):
        conf = sub_config(props, f"{kind}.{alias}.")
        factory = factories.get(conf.get("type", ""))
        if factory is None:
            raise DataError(
                f"Invalid value {conf.get('type')} for configuration {kind}.{alias}.type"
            )
        plugin = factory()
        plugin.configure(conf)
        built[alias] = (plugin, conf)
    return built


def build_chain(
    props: Mapping[str, str],
    transforms: Mapping[str, Callable[[], Transformation]],
    predicates: Mapping[str, Callable[[], Predicate]],
) -> list[ConditionalTransform]:
    """The transforms of a connector config, in order; raises DataError naming a bad key."""
    built_predicates = {a: p for a, (p, _) in configured(props, "predicates", predicates).items()}
    chain = []
    for alias, (transform, conf) in configured(props, "transforms", transforms).items():
        predicate_alias = conf.get("predicate")
        if predicate_alias and predicate_alias not in built_predicates:
            raise DataError(
                f"Invalid value {predicate_alias} for configuration transforms.{alias}.predicate"
            )
        negate = conf.get("negate", "false").lower() == "true"
        predicate = built_predicates.get(predicate_alias or "")
        chain.append(ConditionalTransform(transform, predicate, negate))
    return chain


def apply_chain(chain: list[ConditionalTransform], record: ConnectRecord) -> ConnectRecord | None:
    current: ConnectRecord | None = record
    for step in chain:
        if current is None:
            return None
        current = step.apply(current)
    return current
