"""Typed model of the upstream Kafka message JSON specs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPEN_END = 0x7FFF
"""Upper bound used for open-ended version ranges such as ``"3+"``."""

PRIMITIVES = frozenset(
    {
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint16",
        "uint32",
        "float64",
        "string",
        "bytes",
        "records",
        "uuid",
    }
)

VersionRange = tuple[int, int]


def parse_versions(text: str | None) -> VersionRange | None:
    """Parse ``"3+"``, ``"1-4"``, ``"5"`` or ``"none"`` into an inclusive range."""
    if text is None or text == "none":
        return None
    if text.endswith("+"):
        return (int(text[:-1]), OPEN_END)
    if "-" in text:
        lo, hi = text.split("-", 1)
        return (int(lo), int(hi))
    return (int(text), int(text))


def snake_case(name: str) -> str:
    """``TopicData`` -> ``topic_data``, ``KRaftVersion`` -> ``k_raft_version``."""
    step = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    step = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", step)
    return step.lower()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str
    versions: VersionRange | None
    nullable_versions: VersionRange | None
    tagged_versions: VersionRange | None
    tag: int | None
    default: Any
    has_default: bool
    ignorable: bool
    about: str
    fields: tuple[FieldSpec, ...] | None

    @property
    def is_array(self) -> bool:
        return self.type.startswith("[]")

    @property
    def element_type(self) -> str:
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self) -> bool:
        return self.element_type not in PRIMITIVES


@dataclass(frozen=True, slots=True)
class StructSpec:
    name: str
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True, slots=True)
class MessageSpec:
    name: str
    kind: str
    api_key: int | None
    valid_versions: VersionRange
    flexible_versions: VersionRange | None
    latest_unstable: bool
    fields: tuple[FieldSpec, ...]
    common_structs: tuple[StructSpec, ...]

    @property
    def flexible_from(self) -> int | None:
        return None if self.flexible_versions is None else self.flexible_versions[0]


def _field(raw: dict[str, Any]) -> FieldSpec:
    nested = raw.get("fields")
    return FieldSpec(
        name=raw["name"],
        type=raw["type"],
        # a tagged field may leave out "versions": it then exists in its tagged versions
        versions=parse_versions(raw.get("versions", raw.get("taggedVersions"))),
        nullable_versions=parse_versions(raw.get("nullableVersions")),
        tagged_versions=parse_versions(raw.get("taggedVersions")),
        tag=raw.get("tag"),
        default=raw.get("default"),
        has_default="default" in raw,
        ignorable=bool(raw.get("ignorable", False)),
        about=str(raw.get("about", "")),
        fields=None if nested is None else tuple(_field(f) for f in nested),
    )


def load_json(path: Path) -> dict[str, Any]:
    """Read one spec, dropping the ``//`` comment lines upstream keeps in them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.lstrip().startswith("//")]
    data: dict[str, Any] = json.loads("\n".join(kept))
    return data


def load_message(path: Path) -> MessageSpec:
    raw = load_json(path)
    valid = parse_versions(raw["validVersions"])
    if valid is None:
        raise ValueError(f"{path}: no valid versions")
    return MessageSpec(
        name=raw["name"],
        kind=raw["type"],
        api_key=raw.get("apiKey"),
        valid_versions=valid,
        flexible_versions=parse_versions(raw.get("flexibleVersions")),
        latest_unstable=bool(raw.get("latestVersionUnstable", False)),
        fields=tuple(_field(f) for f in raw["fields"]),
        common_structs=tuple(
            StructSpec(cs["name"], tuple(_field(f) for f in cs["fields"]))
            for cs in raw.get("commonStructs", [])
        ),
    )


def load_all(spec_dir: Path) -> list[MessageSpec]:
    return [load_message(p) for p in sorted(spec_dir.glob("*.json"))]
