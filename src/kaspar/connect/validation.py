"""`PUT /connector-plugins/{plugin}/config/validate` and the check before a config is stored:
the common keys (Connect's `ConnectorConfig`), the sink's `topics` / `topics.regex`, the
transforms and predicates, and the connector's own `config_def()`, as `ConfigInfos`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaspar.connect.config_def import ConfigDef, ConfigKey, at_least, one_of
from kaspar.connect.connector import Connector
from kaspar.connect.converters import CONVERTERS, REGISTRY_NAMES
from kaspar.connect.errors import bad_request, rest_error
from kaspar.connect.plugins import connector_plugins, find_connector
from kaspar.connect.transforms import PREDICATES, TRANSFORMS, build_chain


def _class_of(kinds: Mapping[str, Any], what: str) -> Any:
    def check(name: str, value: str) -> str | None:
        if value.strip() in kinds:
            return None
        return f"Invalid value {value} for configuration {name}: Class {value} could not be found."

    return check


def _converter_key(name: str, order: int) -> ConfigKey:
    validator = _class_of({**CONVERTERS, **dict.fromkeys(REGISTRY_NAMES)}, "converter")
    return ConfigKey(
        name, "CLASS", None, "LOW", CONVERTER_DOC, "Common", order, validator=validator
    )


CONVERTER_DOC = (
    "Converter class used to convert between Kafka Connect format and the serialized form that"
    " is written to Kafka."
)
COMMON = ConfigDef(
    (
        ConfigKey(
            "name",
            documentation="Globally unique name to use for this connector.",
            importance="HIGH",
            group="Common",
            order_in_group=1,
        ),
        ConfigKey(
            "connector.class",
            documentation="Name or alias of the class for this connector.",
            importance="HIGH",
            group="Common",
            order_in_group=2,
        ),
        ConfigKey(
            "tasks.max",
            "INT",
            1,
            "HIGH",
            "Maximum number of tasks to use for this connector.",
            "Common",
            3,
            validator=at_least(1),
        ),
        _converter_key("key.converter", 4),
        _converter_key("value.converter", 5),
        ConfigKey(
            "transforms",
            "LIST",
            "",
            "LOW",
            "Aliases for the transformations to be applied to records.",
            "Transforms",
            6,
        ),
        ConfigKey(
            "predicates",
            "LIST",
            "",
            "LOW",
            "Aliases for the predicates used by transformations.",
            "Predicates",
            7,
        ),
        ConfigKey(
            "errors.tolerance",
            "STRING",
            "none",
            "MEDIUM",
            "Behavior for tolerating errors during connector operation.",
            "Error Handling",
            1,
            validator=one_of("none", "all"),
        ),
        ConfigKey(
            "errors.log.enable",
            "BOOLEAN",
            False,
            "MEDIUM",
            "If true, write each error to the worker's log.",
            "Error Handling",
            2,
        ),
    ),
    ("Common", "Transforms", "Predicates", "Error Handling"),
)
SINK = ConfigDef(
    (
        ConfigKey(
            "topics",
            "LIST",
            "",
            "HIGH",
            "List of topics to consume, separated by commas",
            "Common",
            4,
        ),
        ConfigKey(
            "topics.regex",
            "STRING",
            "",
            "HIGH",
            "Regular expression giving topics to consume.",
            "Common",
            4,
        ),
        ConfigKey(
            "errors.deadletterqueue.topic.name",
            "STRING",
            "",
            "MEDIUM",
            "The name of the topic to be used as the dead letter queue (DLQ) for messages that"
            " result in an error when processed by this sink connector.",
            "Error Handling",
            3,
        ),
        ConfigKey(
            "errors.deadletterqueue.context.headers.enable",
            "BOOLEAN",
            False,
            "MEDIUM",
            "If true, add headers containing error context to the messages written to the dead"
            " letter queue.",
            "Error Handling",
            4,
        ),
    ),
)


def connector_class(props: Mapping[str, str]) -> type[Connector]:
    """The class named by `connector.class`; raises Connect's 400 / 500 errors."""
    name = props.get("connector.class")
    if not name:
        raise bad_request(f"Connector config {dict(props)} contains no connector type")
    cls = find_connector(name)
    if cls is None:
        available = ", ".join(p.class_name for p in connector_plugins())
        raise rest_error(
            500,
            f"Failed to find any class that implements Connector and which name matches {name},"
            f" available connectors are: {available}",
        )
    return cls


def _sink_errors(props: Mapping[str, str], configs: list[dict[str, Any]]) -> None:
    has_topics = bool(props.get("topics", "").strip())
    has_regex = bool(props.get("topics.regex", "").strip())
    if has_topics == has_regex:
        problem = (
            "Must configure one of topics or topics.regex"
            if not has_topics
            else "topics and topics.regex are mutually exclusive options, but both are set."
        )
        for info in configs:
            if info["value"]["name"] in ("topics", "topics.regex"):
                info["value"]["errors"].append(problem)


def _transform_errors(props: Mapping[str, str], configs: list[dict[str, Any]]) -> None:
    try:
        build_chain(props, TRANSFORMS, PREDICATES)
    except Exception as exc:  # noqa: BLE001 (any problem of a transform's config is reported)
        for info in configs:
            if info["value"]["name"] == "transforms":
                info["value"]["errors"].append(str(exc))


def validate(props: Mapping[str, str]) -> dict[str, Any]:
    """`ConfigInfos` for `props`."""
    cls = connector_class(props)
    framework = COMMON + (SINK if cls.plugin_type == "sink" else ConfigDef())
    definition = framework + cls.config_def()
    configs = framework.validate(props) + cls().validate(props)
    if cls.plugin_type == "sink":
        _sink_errors(props, configs)
    _transform_errors(props, configs)
    groups = list(
        dict.fromkeys(g for g in (*definition.groups, *(k.group for k in definition.keys)) if g)
    )
    return {
        "name": props.get("connector.class"),
        "error_count": sum(len(info["value"]["errors"]) for info in configs),
        "groups": groups,
        "configs": configs,
    }


def check_config(props: Mapping[str, str]) -> None:
    """Raises Connect's 400 naming every error when `props` cannot be stored."""
    infos = validate(props)
    errors = [e for info in infos["configs"] for e in info["value"]["errors"]]
    if errors:
        raise bad_request(
            f"Connector configuration is invalid and contains the following {len(errors)}"
            " error(s):\n" + "\n".join(errors) + "\nYou can also find the above list of errors at"
            " the endpoint `/connector-plugins/{connectorType}/config/validate`"
        )
