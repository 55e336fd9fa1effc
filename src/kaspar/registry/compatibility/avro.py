"""Avro compatibility: can a reader schema read data written with a writer schema?

Avro's schema resolution rules (the specification's "Schema Resolution"), checked on
fastavro-parsed schemas as Avro's own `SchemaCompatibility` does:

1. A writer union: every branch must be readable by the reader.
2. A reader union (writer not a union): some branch must read the writer's type.
3. Same kind: records match by full name (or a reader alias); each reader field is found in the
   writer by name or alias and checked recursively, or has a default; enums need the writer's
   symbols or a reader default; fixed need the same size; arrays and maps check items/values.
4. Different kinds: only the promotions int->long->float->double and string<->bytes.
"""

from __future__ import annotations

from typing import Any

from kaspar.registry.compatibility.incompatibility import Incompatibility
from kaspar.registry.formats.avro import AvroSchema

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}


class _Check:
    def __init__(self, reader: AvroSchema, writer: AvroSchema, reader_is_new: bool) -> None:
        self.reader_named, self.writer_named = reader.named, writer.named
        self.new_old = ("new", "old") if reader_is_new else ("old", "new")
        self.seen: set[tuple[str, str]] = set()
        self.found: list[Incompatibility] = []

    def resolve(self, schema: Any, named: dict[str, Any]) -> Any:
        if isinstance(schema, str) and schema not in PRIMITIVES:
            return named.get(schema, schema)
        return schema

    def check(self, reader: Any, writer: Any, path: str) -> None:
        reader = self.resolve(reader, self.reader_named)
        writer = self.resolve(writer, self.writer_named)
        if isinstance(writer, list):
            for index, branch in enumerate(writer):
                if not self.readable(reader, branch):
                    self.add(
                        "MISSING_UNION_BRANCH",
                        f"{path}/{index}",
                        f"The {self.new_old[0]} schema is missing a type inside a union field "
                        f"at path '{path}/{index}' in the {self.new_old[1]} schema",
                        f"reader union lacking writer type: {kind(branch, self.writer_named)}",
                    )
            return
        if isinstance(reader, list):
            if not any(self.readable(branch, writer) for branch in reader):
                self.add(
                    "MISSING_UNION_BRANCH",
                    path,
                    f"The {self.new_old[0]} schema is missing a type inside a union field at "
                    f"path '{path}' in the {self.new_old[1]} schema",
                    f"reader union lacking writer type: {kind(writer, self.writer_named)}",
                )
            return
        self.check_same_kind(reader, writer, path)

    def readable(self, reader: Any, writer: Any) -> bool:
        """Whether reader reads writer, without recording why not."""
        saved, self.found = self.found, []
        self.check(reader, writer, "")
        ok, self.found = not self.found, saved
        return ok

    def check_same_kind(self, reader: Any, writer: Any, path: str) -> None:
        reader_kind, writer_kind = kind(reader, {}), kind(writer, {})
        if reader_kind != writer_kind:
            if reader_kind not in PROMOTIONS.get(writer_kind, ()):
                self.add(
                    "TYPE_MISMATCH",
                    path,
                    f"The type (path '{path}') of a field in the {self.new_old[0]} schema does "
                    f"not match with the {self.new_old[1]} schema",
                    f"reader type: {reader_kind.upper()} not compatible with writer type: "
                    f"{writer_kind.upper()}",
                )
            return
        if reader_kind in ("record", "enum", "fixed") and not names_match(reader, writer):
            self.add(
                "NAME_MISMATCH",
                f"{path}/name",
                f"The name of the schema has changed (path '{path}/name')",
                f"expected: {writer['name']}",
            )
            return
        if reader_kind == "record":
            pair = (reader["name"], writer["name"])
            if pair not in self.seen:  # a recursive record: checked once per descent
                self.seen.add(pair)
                self.check_record(reader, writer, path)
                self.seen.discard(pair)
        elif reader_kind == "enum":
            self.check_enum(reader, writer, path)
        elif reader_kind == "fixed" and reader["size"] != writer["size"]:
            self.add(
                "FIXED_SIZE_MISMATCH",
                f"{path}/size",
                f"The size of FIXED type field at path '{path}/size' in the {self.new_old[0]} "
                f"schema does not match with the {self.new_old[1]} schema",
                f"expected: {writer['size']}, found: {reader['size']}",
            )
        elif reader_kind == "array":
            self.check(reader["items"], writer["items"], f"{path}/items")
        elif reader_kind == "map":
            self.check(reader["values"], writer["values"], f"{path}/values")

    def check_record(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        writer_fields = {field["name"]: field for field in writer["fields"]}
        for index, field in enumerate(reader["fields"]):
            names = [field["name"], *field.get("aliases", ())]
            written = next((writer_fields[n] for n in names if n in writer_fields), None)
            if written is not None:
                self.check(field["type"], written["type"], f"{path}/fields/{index}/type")
            elif "default" not in field:
                self.add(
                    "READER_FIELD_MISSING_DEFAULT_VALUE",
                    f"{path}/fields/{index}",
                    f"The field '{field['name']}' at path '{path}/fields/{index}' in the "
                    f"{self.new_old[0]} schema has no default value and is missing in the "
                    f"{self.new_old[1]} schema",
                    field["name"],
                )

    def check_enum(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        missing = [s for s in writer["symbols"] if s not in reader["symbols"]]
        if missing and reader.get("default") is None:
            self.add(
                "MISSING_ENUM_SYMBOLS",
                f"{path}/symbols",
                f"The {self.new_old[0]} schema is missing enum symbols '{missing}' at path "
                f"'{path}/symbols' in the {self.new_old[1]} schema",
                f"[{', '.join(missing)}]",
            )

    def add(self, error_type: str, path: str, description: str, info: str) -> None:
        self.found.append(Incompatibility(error_type, path or "/", description, info))


def kind(schema: Any, named: dict[str, Any]) -> str:
    """The Avro type of a parsed schema: a primitive name, record, enum, ..., or union."""
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, str):
        if schema in PRIMITIVES:
            return schema
        return kind(named[schema], named) if schema in named else schema
    type_name = schema["type"]
    return type_name if isinstance(type_name, str) else kind(type_name, named)


def names_match(reader: dict[str, Any], writer: dict[str, Any]) -> bool:
    """Same full name, or the writer's name among the reader's aliases (full or short)."""
    short = writer["name"].rsplit(".", 1)[-1]
    candidates = {reader["name"], *reader.get("aliases", ())}
    return writer["name"] in candidates or short in {c.rsplit(".", 1)[-1] for c in candidates}


def check_avro(
    reader: AvroSchema, writer: AvroSchema, reader_is_new: bool
) -> list[Incompatibility]:
    """Every reason `reader` cannot read data written with `writer` (empty: compatible)."""
    check = _Check(reader, writer, reader_is_new)
    check.check(reader.parsed, writer.parsed, "")
    return check.found
