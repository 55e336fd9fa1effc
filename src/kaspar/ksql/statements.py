"""The statements of ksqlDB's language, as the front-end (``parser.py``) reads them.

Expressions inside are sqlglot trees in kaspar's Spark dialect (``expressions.py`` rewrites
ksqlDB's names into Spark's); every statement keeps its text for responses and the command
topic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp

from kaspar.ksql.types import KsqlType

SourceKind = Literal["STREAM", "TABLE"]
Showable = Literal["STREAMS", "TABLES", "TOPICS", "QUERIES", "PROPERTIES", "FUNCTIONS"]


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type: KsqlType
    key: bool = False
    header: str | None = None  # HEADERS: "", HEADER('k'): "k"


@dataclass(frozen=True)
class WindowSpec:
    """``WINDOW TUMBLING (SIZE ...)``, ``HOPPING (SIZE ..., ADVANCE BY ...)``, ``SESSION (...)``;
    durations in ms; ``grace_ms`` None: ksqlDB's default (24 hours)."""

    kind: Literal["TUMBLING", "HOPPING", "SESSION"]
    size_ms: int
    advance_ms: int | None = None
    grace_ms: int | None = None
    retention_ms: int | None = None


@dataclass(frozen=True)
class JoinWindow:
    """A stream-stream join's ``WITHIN before_ms`` (or ``(before, after)``) and grace period:
    the right record's time within ``[left - before, left + after]``."""

    before_ms: int
    after_ms: int
    grace_ms: int | None = None


@dataclass(frozen=True)
class Query:
    """A ``SELECT``: the SQL part as a sqlglot tree, ksqlDB's own clauses beside it."""

    select: exp.Select
    window: WindowSpec | None = None
    emit: Literal["CHANGES", "FINAL"] | None = None
    partition_by: exp.Expr | None = None
    limit: int | None = None
    within: JoinWindow | None = None

    @property
    def is_push(self) -> bool:
        return self.emit is not None


@dataclass(frozen=True)
class Statement:
    text: str


@dataclass(frozen=True)
class CreateSource(Statement):
    kind: SourceKind
    name: str
    columns: tuple[ColumnDef, ...]
    properties: dict[str, str | int]
    or_replace: bool = False
    if_not_exists: bool = False
    read_only: bool = False


@dataclass(frozen=True)
class CreateAsSelect(Statement):
    kind: SourceKind
    name: str
    properties: dict[str, str | int]
    query: Query
    or_replace: bool = False
    if_not_exists: bool = False


@dataclass(frozen=True)
class InsertSelect(Statement):
    target: str
    query: Query
    properties: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class InsertValues(Statement):
    target: str
    columns: tuple[str, ...] | None
    values: tuple[exp.Expr, ...]


@dataclass(frozen=True)
class Select(Statement):
    query: Query


@dataclass(frozen=True)
class DropSource(Statement):
    kind: SourceKind
    name: str
    if_exists: bool = False
    delete_topic: bool = False


@dataclass(frozen=True)
class Terminate(Statement):
    query_id: str | None  # None: ALL


@dataclass(frozen=True)
class CreateConnector(Statement):
    kind: Literal["SOURCE", "SINK"]
    name: str
    config: dict[str, str]
    if_not_exists: bool = False


@dataclass(frozen=True)
class ConnectorStatement(Statement):
    """``SHOW CONNECTORS`` (name None), ``DESCRIBE CONNECTOR name``, ``DROP CONNECTOR``."""

    action: Literal["SHOW", "DESCRIBE", "DROP"]
    name: str | None = None
    if_exists: bool = False


@dataclass(frozen=True)
class PauseResume(Statement):
    action: Literal["PAUSE", "RESUME"]
    query_id: str | None  # None: ALL


@dataclass(frozen=True)
class Show(Statement):
    what: Showable
    extended: bool = False


@dataclass(frozen=True)
class Describe(Statement):
    name: str
    extended: bool = False


@dataclass(frozen=True)
class DescribeFunction(Statement):
    name: str


@dataclass(frozen=True)
class Explain(Statement):
    query_id: str | None
    statement: Statement | None = None


@dataclass(frozen=True)
class SetProperty(Statement):
    name: str
    value: str


@dataclass(frozen=True)
class UnsetProperty(Statement):
    name: str


@dataclass(frozen=True)
class Print(Statement):
    topic: str
    from_beginning: bool = False
    limit: int | None = None
    interval: int = 1
