"""XML files as their record elements, parsed by libxml2 (lxml).

A document without namespaces is parsed incrementally (``iterparse`` reporting only the record
tag's events, in C), each record cleared once read, so memory holds the file's bytes and one
record's tree; a document with namespaces is parsed whole (its tree is about 17 times the
file's size) and its records found by one compiled XPath comparing written names.

A record is an element named ``rowTag`` (as written, ``prefix:name``) at any depth that is not
inside another such element. A file that is not well-formed (a second top-level element is an
error too, as in Spark's reader) gives the records before the error (read again incrementally
with a pull parser) and then one malformed record, the file's text, after which the rest of the
file is skipped, as Spark's reader does. Files ending ``.gz`` are
gunzipped; an empty file has no records.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from kaspar.engine.xml.element_records import element_name

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_OUTERMOST = etree.XPath("//*[name()=$tag][not(ancestor::*[name()=$tag])]")
_NAME = re.compile(r"[A-Za-z_][\w.-]*")
_CHUNK = 1 << 16


@functools.cache
def _outermost_named(tag: str) -> Any:
    """The records of a plain tag in a document without namespaces: a name test, which libxml2
    matches much faster than comparing ``name()`` on every element."""
    return etree.XPath(f"//{tag}[not(ancestor::{tag})]")


def _records_of(root: Any, data: bytes, row_tag: str) -> list[Any]:
    if b"xmlns" not in data and _NAME.fullmatch(row_tag):
        found: list[Any] = _outermost_named(row_tag)(root)
        return found
    found = _OUTERMOST(root, tag=row_tag)
    return found


class Malformed:
    """The malformed end of a document (Spark's corrupt record: the document's text)."""


MALFORMED = Malformed()


@dataclass(frozen=True)
class Document:
    """One XML document: a file, or text held in memory (``spark.read.xml(df)``)."""

    path: str
    data: bytes | None = None

    def content(self) -> bytes:
        return read_bytes(self.path) if self.data is None else self.data

    def text(self) -> str:
        return self.content().decode("utf-8", errors="replace")

    def records(self, row_tag: str) -> Iterator[Any | Malformed]:
        """The record elements, then ``MALFORMED`` if the document is not XML."""
        data = self.content()
        if not data.strip():
            return
        if b"xmlns" not in data and _NAME.fullmatch(row_tag):
            yield from _streamed_records(data, row_tag)
            return
        try:
            root = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError:
            yield from _records_until_error(data, row_tag)
            yield MALFORMED
            return
        yield from _records_of(root, data, row_tag)


def read_bytes(path: str) -> bytes:
    data = Path(path).read_bytes()
    return gzip.decompress(data) if path.endswith(".gz") else data


def _records_until_error(data: bytes, row_tag: str) -> Iterator[Any]:
    """The records that end before the first error (parsed again, incrementally)."""
    parser = etree.XMLPullParser(
        events=("start", "end"), resolve_entities=False, no_network=True, huge_tree=True
    )
    with contextlib.suppress(etree.XMLSyntaxError):
        parser.feed(data)
    depth = 0
    with contextlib.suppress(etree.XMLSyntaxError):
        for event, element in parser.read_events():
            if element_name(element) != row_tag:
                continue
            depth += 1 if event == "start" else -1
            if event == "end" and depth == 0:
                yield element


def _streamed_records(data: bytes, row_tag: str) -> Iterator[Any | Malformed]:
    """The records of a document without namespaces, parsed incrementally: libxml2 reports only
    the record tag's events, and each record is cleared (with what came before it) once the
    consumer has read it, so the tree never holds more than one record. The records that end
    before a syntax error are read, then ``MALFORMED``."""
    parser = etree.XMLPullParser(
        events=("start", "end"), tag=row_tag, resolve_entities=False, no_network=True,
        huge_tree=True,
    )  # fmt: skip
    depth = [0]
    for offset in range(0, len(data), _CHUNK):
        failed = False
        try:
            parser.feed(data[offset : offset + _CHUNK])
        except etree.XMLSyntaxError:
            failed = True
        failed = (yield from _ended_records(parser, depth)) or failed
        if failed:
            yield MALFORMED
            return
    try:
        parser.close()
    except etree.XMLSyntaxError:
        yield from _ended_records(parser, depth)
        yield MALFORMED


def _ended_records(parser: Any, depth: list[int]) -> Generator[Any, None, bool]:
    """The outermost records the parser has read to their end; True when it failed meanwhile."""
    try:
        for event, element in parser.read_events():
            depth[0] += 1 if event == "start" else -1
            if event == "end" and depth[0] == 0:
                yield element
                element.clear(keep_tail=True)
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError:
        return True
    return False
