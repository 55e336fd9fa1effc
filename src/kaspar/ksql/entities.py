"""The JSON entities ``POST /ksql`` answers with, in ksqlDB's shapes (``@type`` first)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kaspar.ksql.metastore import Source
from kaspar.ksql.queries import PersistentQuery


def current_status(
    text: str, command_id: str, sequence: int, message: str, query_id: str | None = None
) -> dict[str, Any]:
    status: dict[str, Any] = {"status": "SUCCESS", "message": message}
    if query_id is not None:
        status["queryId"] = query_id
    return {
        "@type": "currentStatus",
        "statementText": text,
        "commandId": command_id,
        "commandStatus": status,
        "commandSequenceNumber": sequence,
        "warnings": [],
    }


def source_summary(source: Source) -> dict[str, Any]:
    return {
        "type": source.kind,
        "name": source.name,
        "topic": source.topic,
        "keyFormat": source.key_format,
        "valueFormat": source.value_format,
        "isWindowed": source.is_windowed,
    }


def source_list(text: str, kind: str, sources: Iterable[Source]) -> dict[str, Any]:
    plural = "streams" if kind == "STREAM" else "tables"
    found = sorted((s for s in sources if s.kind == kind), key=lambda s: s.name)
    return {
        "@type": plural,
        "statementText": text,
        plural: [source_summary(s) for s in found],
        "warnings": [],
    }


def query_summary(query: PersistentQuery) -> dict[str, Any]:
    return {
        "queryString": query.statement,
        "sinks": [query.sink],
        "sinkKafkaTopics": [query.sink_topic],
        "id": query.id,
        "statusCount": {query.state: 1},
        "queryType": "PERSISTENT",
        "state": query.state,
    }


def push_summary(query_id: str, statement: str) -> dict[str, Any]:
    return {
        "queryString": statement,
        "sinks": [],
        "sinkKafkaTopics": [],
        "id": query_id,
        "statusCount": {"RUNNING": 1},
        "queryType": "PUSH",
        "state": "RUNNING",
    }


def query_list(
    text: str, queries: Iterable[PersistentQuery], push: Mapping[str, str]
) -> dict[str, Any]:
    """Persistent queries, then the push queries running (id -> statement)."""
    return {
        "@type": "queries",
        "statementText": text,
        "queries": [query_summary(q) for q in queries]
        + [push_summary(i, s) for i, s in push.items()],
        "warnings": [],
    }


def topic_list(text: str, topics: Mapping[str, int]) -> dict[str, Any]:
    return {
        "@type": "kafka_topics",
        "statementText": text,
        "topics": [
            {"name": name, "replicaInfo": [1] * count}
            for name, count in sorted(topics.items())
            if not name.startswith(("_", "__"))
        ],
        "warnings": [],
    }


def property_list(
    text: str, properties: Mapping[str, str], overridden: Iterable[str]
) -> dict[str, Any]:
    return {
        "@type": "properties",
        "statementText": text,
        "properties": [
            {"name": k, "scope": "KSQL", "value": str(v)} for k, v in sorted(properties.items())
        ],
        "overwrittenProperties": sorted(overridden),
        "defaultProperties": [],
        "warnings": [],
    }


def field_list(source: Source) -> list[dict[str, Any]]:
    fields = []
    for column in source.columns:
        entry: dict[str, Any] = {"name": column.name, "schema": schema_of(column.type.ksql)}
        if column.key:
            entry["type"] = "KEY"
        fields.append(entry)
    return fields


def schema_of(ksql_type: str) -> dict[str, Any]:
    base = ksql_type.split("<", 1)[0].split("(", 1)[0]
    return {"type": base, "fields": None, "memberSchema": None}


def source_description(
    text: str, source: Source, queries: Iterable[PersistentQuery], extended: bool
) -> dict[str, Any]:
    queries = list(queries)
    reads = [q for q in queries if source.name in q.sources]
    writes = [q for q in queries if q.sink == source.name]
    description = {
        "name": source.name,
        "windowType": None if source.window is None else source.window.kind,
        "readQueries": [query_summary(q) for q in reads],
        "writeQueries": [query_summary(q) for q in writes],
        "fields": field_list(source),
        "type": source.kind,
        "timestamp": source.timestamp or "",
        "statistics": "",
        "errorStats": "",
        "extended": extended,
        "keyFormat": source.key_format,
        "valueFormat": source.value_format,
        "topic": source.topic,
        "partitions": source.partitions,
        "replication": 1,
        "statement": source.statement,
        "queryOffsetSummaries": [],
        "sourceConstraints": [],
    }
    return {
        "@type": "sourceDescription",
        "statementText": text,
        "sourceDescription": description,
        "warnings": [],
    }


def query_description(
    text: str, query: PersistentQuery | None, compiled: Any, statement: str, sinks: list[str]
) -> dict[str, Any]:
    """EXPLAIN of a running query (``query``) or of a statement not run (``query`` None)."""
    plan = str(compiled.frame._plan)
    fields = [
        {"name": c.name, "schema": schema_of(c.type.ksql), **({"type": "KEY"} if c.key else {})}
        for c in compiled.columns
    ]
    return {
        "@type": "queryDescription",
        "statementText": text,
        "queryDescription": {
            "id": "" if query is None else query.id,
            "statementText": statement,
            "windowType": None if compiled.window is None else compiled.window.kind,
            "fields": fields,
            "sources": compiled.sources,
            "sinks": sinks,
            "topology": plan,
            "executionPlan": plan,
            "overriddenProperties": {} if query is None else query.properties,
            "queryType": "PERSISTENT" if sinks else "PUSH",
            "state": "NOT_RUNNING" if query is None else query.state,
        },
        "warnings": [],
    }


def variables(text: str, variables: dict[str, str]) -> dict[str, Any]:
    return {
        "@type": "variables",
        "statementText": text,
        "variables": [{"name": k, "value": v} for k, v in sorted(variables.items())],
        "warnings": [],
    }


def property_set(text: str, name: str, value: str | None) -> dict[str, Any]:
    return {
        "@type": "warning_entity" if value is None else "property_set",
        "statementText": text,
        "message": f"Unset property {name}" if value is None else f"Set property {name}={value}",
        "warnings": [],
    }
