"""The streams and tables the server knows: columns, keys, topic and formats of each.

Built only by executing statements (``CREATE`` and ``DROP``, from requests or replayed from the
command topic), so every server that read the same commands has the same metastore.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kaspar.ksql.errors import KsqlError
from kaspar.ksql.statements import ColumnDef, SourceKind, WindowSpec

FORMATS = ("JSON", "DELIMITED", "KAFKA", "AVRO", "JSON_SR", "PROTOBUF", "NONE")
PSEUDO_COLUMNS = ("ROWTIME", "ROWPARTITION", "ROWOFFSET")
WINDOW_BOUNDS = ("WINDOWSTART", "WINDOWEND")


@dataclass(frozen=True)
class Source:
    """A stream or a table over a topic."""

    kind: SourceKind
    name: str
    columns: tuple[ColumnDef, ...]
    topic: str
    key_format: str
    value_format: str
    statement: str
    timestamp: str | None = None
    timestamp_format: str | None = None
    value_delimiter: str = ","
    window: WindowSpec | None = None
    partitions: int = 1
    schema_registry: str | None = None  # ksql.schema.registry.url, for AVRO
    read_only: bool = False  # CREATE SOURCE STREAM/TABLE: no INSERT into it

    @property
    def key_columns(self) -> tuple[ColumnDef, ...]:
        return tuple(c for c in self.columns if c.key)

    @property
    def value_columns(self) -> tuple[ColumnDef, ...]:
        return tuple(c for c in self.columns if not c.key and c.header is None)

    @property
    def header_columns(self) -> tuple[ColumnDef, ...]:
        return tuple(c for c in self.columns if c.header is not None)

    @property
    def is_windowed(self) -> bool:
        return self.window is not None

    def schema_text(self) -> str:
        """ksqlDB's schema string: ```ID` STRING KEY, `N` BIGINT``."""
        marker = "PRIMARY KEY" if self.kind == "TABLE" else "KEY"

        def suffix(c: ColumnDef) -> str:
            if c.key:
                return f" {marker}"
            if c.header is not None:
                return f" HEADER('{c.header}')" if c.header else " HEADERS"
            return ""

        return ", ".join(f"`{c.name}` {c.type.ksql}{suffix(c)}" for c in self.columns)


@dataclass
class Metastore:
    sources: dict[str, Source] = field(default_factory=dict)

    def get(self, name: str) -> Source:
        found = self.sources.get(name)
        if found is None:
            raise KsqlError(f"{name} does not exist.")
        return found

    def add(self, source: Source, or_replace: bool = False) -> None:
        existing = self.sources.get(source.name)
        if existing is not None and not or_replace:
            kind = existing.kind.capitalize()
            raise KsqlError(
                f"Cannot add {source.kind.lower()} '{source.name}': A {kind.lower()} with the "
                "same name already exists"
            )
        self.sources[source.name] = source

    def remove(self, name: str) -> Source:
        return self.sources.pop(name)

    def writable(self, name: str) -> Source:
        """The source ``name``, refused if it was created with CREATE SOURCE."""
        found = self.get(name)
        if found.read_only:
            raise KsqlError(f"Cannot insert into read-only {found.kind.lower()}: {found.name}")
        return found


def check_format(name: str, value: object) -> str:
    text = str(value).upper()
    if text not in FORMATS:
        raise KsqlError(
            f"Unknown format: {value} ({name}). kaspar supports {', '.join(FORMATS)} so far"
        )
    return text
