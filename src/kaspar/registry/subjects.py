"""Subject names and version ids as the REST API takes them.

A subject may carry a context, `:.<context>:<name>` (Confluent's multi-tenant namespaces):
`:.:name` is `name` in the default context `.`; a subject of another context keeps its
qualified name (as in Confluent's `_schemas` records), and its schema ids are that context's own
(`context_of`; ids are numbered per context). A version is a positive int, `latest` or `-1`.
"""

from __future__ import annotations

from kaspar.registry import errors
from kaspar.registry.records import Subject

LATEST = -1
MAX_VERSION = 2**31 - 1
DEFAULT_CONTEXT = "."


def context_of(subject: str) -> str:
    """The context of a (qualified) subject, or of a context prefix `:.ctx:`; `.` if none."""
    if subject.startswith(":."):
        context, separator, _ = subject[1:].partition(":")
        if separator and context != ".":
            return context
    return DEFAULT_CONTEXT


def parse_subject(subject: str) -> Subject:
    """The subject in the default context; raises 42208 for a malformed name."""
    if not subject or any(ord(c) < 32 for c in subject):
        raise errors.invalid_subject(subject)
    if subject.startswith(":."):
        context, separator, name = subject[2:].partition(":")
        if not separator or not name:
            raise errors.invalid_subject(subject)
        if context in ("", "."):
            return Subject(name)
    return Subject(subject)


def parse_version(version: str) -> int:
    """A version number, or LATEST; raises 42202."""
    if version in ("latest", "-1"):
        return LATEST
    try:
        number = int(version)
    except ValueError:
        raise errors.invalid_version(version) from None
    if not 1 <= number <= MAX_VERSION:
        raise errors.invalid_version(version)
    return number
