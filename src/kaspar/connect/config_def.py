"""Connect's `ConfigDef`: the keys a plugin accepts, how `/connector-plugins/{p}/config`
describes them and how `config/validate` reports each value (`ConfigInfos`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Validator = Callable[[str, str], str | None]
"""(name, value) -> an error message, or None when the value is accepted."""
NO_DEFAULT = object()
TYPES = ("BOOLEAN", "STRING", "INT", "SHORT", "LONG", "DOUBLE", "LIST", "CLASS", "PASSWORD")


@dataclass(frozen=True)
class ConfigKey:
    """One key: its type (Connect's names), default, importance and documentation."""

    name: str
    type: str = "STRING"
    default: Any = NO_DEFAULT
    importance: str = "MEDIUM"
    documentation: str = ""
    group: str | None = None
    order_in_group: int = -1
    display_name: str | None = None
    validator: Validator | None = None
    recommended_values: Sequence[str] = ()

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT

    def info(self, order: int) -> dict[str, Any]:
        """The key as `ConfigKeyInfo` JSON."""
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default_value": None if self.required else _text(self.default),
            "importance": self.importance,
            "documentation": self.documentation,
            "group": self.group,
            "order_in_group": self.order_in_group,
            "width": "NONE",
            "display_name": self.display_name or self.name,
            "dependents": [],
            "order": order,
        }

    def errors(self, value: str | None) -> list[str]:
        if value is None:
            if self.required:
                return [f'Missing required configuration "{self.name}" which has no default value.']
            return []
        problem = _type_error(self, value) or (self.validator and self.validator(self.name, value))
        return [problem] if problem else []


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _type_error(key: ConfigKey, value: str) -> str | None:
    kind = key.type
    bad = f"Invalid value {value} for configuration {key.name}: Not a number of type {kind}"
    if kind in ("INT", "SHORT", "LONG"):
        try:
            int(value.strip())
        except ValueError:
            return bad
    elif kind == "DOUBLE":
        try:
            float(value.strip())
        except ValueError:
            return bad
    elif kind == "BOOLEAN" and value.strip().lower() not in ("true", "false"):
        return (
            f"Invalid value {value} for configuration {key.name}:"
            " Expected value to be either true or false"
        )
    return None


def one_of(*accepted: str) -> Validator:
    """A validator accepting `accepted` (case-insensitive), as Connect's `ValidString`."""

    def check(name: str, value: str) -> str | None:
        if value.strip().lower() in (a.lower() for a in accepted):
            return None
        return (
            f"Invalid value {value} for configuration {name}:"
            f" String must be one of: {', '.join(accepted)}"
        )

    return check


def at_least(minimum: int) -> Validator:
    def check(name: str, value: str) -> str | None:
        try:
            if int(value) >= minimum:
                return None
        except ValueError:
            pass
        return f"Invalid value {value} for configuration {name}: Value must be at least {minimum}"

    return check


@dataclass(frozen=True)
class ConfigDef:
    """The keys of a plugin, in order."""

    keys: tuple[ConfigKey, ...] = ()
    groups: tuple[str, ...] = field(default=())

    def __add__(self, other: ConfigDef) -> ConfigDef:
        names = {k.name for k in other.keys}
        keys = tuple(k for k in self.keys if k.name not in names) + other.keys
        groups = tuple(dict.fromkeys((*self.groups, *other.groups)))
        return ConfigDef(keys, groups)

    def key(self, name: str) -> ConfigKey | None:
        return next((k for k in self.keys if k.name == name), None)

    def parse(self, props: Mapping[str, str]) -> dict[str, Any]:
        """Values by name with defaults applied and types converted; raises ValueError."""
        parsed: dict[str, Any] = {}
        for key in self.keys:
            raw = props.get(key.name)
            problems = key.errors(raw)
            if problems:
                raise ValueError(problems[0])
            parsed[key.name] = key.default if raw is None else _convert(key.type, raw)
        return parsed

    def validate(self, props: Mapping[str, str]) -> list[dict[str, Any]]:
        """One `ConfigInfo` (definition + value with its errors) per key."""
        infos = []
        for order, key in enumerate(self.keys, 1):
            raw = props.get(key.name)
            value = raw if raw is not None else (None if key.required else _text(key.default))
            infos.append(
                {
                    "definition": key.info(order),
                    "value": {
                        "name": key.name,
                        "value": value,
                        "recommended_values": list(key.recommended_values),
                        "errors": key.errors(raw),
                        "visible": True,
                    },
                }
            )
        return infos


def _convert(kind: str, raw: str) -> Any:
    text = raw.strip()
    if kind in ("INT", "SHORT", "LONG"):
        return int(text)
    if kind == "DOUBLE":
        return float(text)
    if kind == "BOOLEAN":
        return text.lower() == "true"
    if kind == "LIST":
        return [item.strip() for item in text.split(",") if item.strip()]
    return raw
