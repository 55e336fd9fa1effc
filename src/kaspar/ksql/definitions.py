"""What CREATE statements define: a stream or table from its column list and WITH properties
(``source_from``), the sink of a CREATE ... AS SELECT from its query (``sink_from``), and the
schema check of INSERT INTO ... SELECT."""

from __future__ import annotations

from typing import Any, Literal, cast

from kaspar.ksql import statements as st
from kaspar.ksql.errors import KsqlError
from kaspar.ksql.metastore import Source, check_format
from kaspar.ksql.query_parser import UNITS_MS


def source_from(statement: st.CreateSource, registry: str | None = None) -> Source:
    props = statement.properties
    topic = props.get("KAFKA_TOPIC")
    if topic is None:
        raise KsqlError('Missing required property "KAFKA_TOPIC" which has no default value.')
    value_format = props.get("VALUE_FORMAT", props.get("FORMAT"))
    if value_format is None:
        raise KsqlError(
            "Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either "
            "provide one or set a default via the 'ksql.persistence.default.format.value' config."
        )
    key_format = check_format("KEY_FORMAT", props.get("KEY_FORMAT", props.get("FORMAT", "KAFKA")))
    keys = [c for c in statement.columns if c.key]
    if statement.kind == "TABLE" and not keys:
        raise KsqlError("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.")
    return Source(
        statement.kind,
        statement.name,
        statement.columns,
        str(topic),
        key_format,
        check_format("VALUE_FORMAT", value_format),
        statement.text,
        _upper(props.get("TIMESTAMP")),
        None if props.get("TIMESTAMP_FORMAT") is None else str(props["TIMESTAMP_FORMAT"]),
        _delimiter(props.get("VALUE_DELIMITER")),
        window=_declared_window(props),
        schema_registry=registry,
        read_only=statement.read_only,
    )


def _declared_window(props: dict[str, str | int]) -> st.WindowSpec | None:
    """``WINDOW_TYPE`` / ``WINDOW_SIZE``: a topic whose keys are windowed (another query's
    windowed output)."""
    kind = props.get("WINDOW_TYPE")
    if kind is None:
        return None
    kind = str(kind).upper()
    if kind == "SESSION":  # a session's key holds its bounds: no size
        return st.WindowSpec("SESSION", 0)
    if kind not in ("TUMBLING", "HOPPING"):
        raise KsqlError(
            f"WINDOW_TYPE {kind} is not supported by kaspar.ksql (TUMBLING, HOPPING, SESSION)"
        )
    size = str(props.get("WINDOW_SIZE", ""))
    amount, _, unit = size.partition(" ")
    unit_ms = UNITS_MS.get(unit.strip().upper().removesuffix("S"))
    if not amount.isdigit() or unit_ms is None:
        raise KsqlError(f"WINDOW_SIZE must be like '10 SECONDS' for a {kind} window: {size!r}")
    return st.WindowSpec(cast(Literal["TUMBLING", "HOPPING"], kind), int(amount) * unit_ms)


def sink_from(statement: st.CreateAsSelect, compiled: Any, registry: str | None = None) -> Source:
    props = statement.properties
    source: Source = compiled.source
    value_format = props.get("VALUE_FORMAT", props.get("FORMAT", source.value_format))
    key_format = props.get("KEY_FORMAT", props.get("FORMAT", source.key_format))
    columns = tuple(compiled.columns)
    kind = "TABLE" if compiled.aggregate or source.kind == "TABLE" else "STREAM"
    if kind != statement.kind:
        raise KsqlError(
            f"Invalid result type. Your SELECT query produces a {kind}. Please use CREATE "
            f"{kind} AS SELECT statement instead."
        )
    return Source(
        statement.kind,
        statement.name,
        columns,
        str(props.get("KAFKA_TOPIC", statement.name)),
        check_format("KEY_FORMAT", key_format),
        check_format("VALUE_FORMAT", value_format),
        statement.text,
        value_delimiter=_delimiter(props.get("VALUE_DELIMITER")),
        window=compiled.window,
        schema_registry=registry,
    )


def check_key_projected(statement: st.CreateAsSelect, compiled: Any) -> None:
    """A CSAS / CTAS keeps its key: the source's key (or the grouping, or the join
    expression) must be projected, as ksqlDB requires."""
    if compiled.key_columns:
        return
    group = statement.query.select.args.get("group")
    if group is not None:
        wanted = ", ".join(g.sql() for g in group.expressions)
    elif compiled.source.key_columns and compiled.per_batch is None:
        wanted = ", ".join(c.name for c in compiled.source.key_columns)
    else:
        return
    raise KsqlError(
        f"Key missing from projection (ie, SELECT). The query used to build `{statement.name}` "
        f"must include the key columns {wanted} in its projection (eg, SELECT {wanted}...)."
    )


def check_insert_schema(sink: Source, compiled: Any) -> None:
    wanted = [(c.name, c.type.ksql, c.key) for c in sink.columns]
    got = [(c.name, c.type.ksql, c.key) for c in compiled.columns]
    if sorted(wanted) != sorted(got):
        raise KsqlError(
            f"Incompatible schema between results and sink.\nResult schema is "
            f"{compiled.schema_text(sink.kind == 'TABLE')}\nSink schema is {sink.schema_text()}"
        )


def _upper(value: object) -> str | None:
    return None if value is None else str(value).upper()


def _delimiter(value: object) -> str:
    special = {"TAB": "\t", "SPACE": " "}
    if value is None:
        return ","
    return special.get(str(value).upper(), str(value))
