"""ksqlDB's variables: ``DEFINE name = 'value';``, ``UNDEFINE name;`` and ``${name}`` in the
statements after them (and ``sessionVariables`` of a request). Substitution is textual, as in
ksqlDB, so a request is split into statements first (at semicolons outside quotes), each
statement substituted when its turn comes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from kaspar.ksql.errors import KsqlError

DEFINE = re.compile(r"^\s*DEFINE\s+(\w+)\s*=\s*'((?:[^']|'')*)'\s*;?\s*$", re.IGNORECASE)
UNDEFINE = re.compile(r"^\s*UNDEFINE\s+(\w+)\s*;?\s*$", re.IGNORECASE)
SHOW_VARIABLES = re.compile(r"^\s*(SHOW|LIST)\s+VARIABLES\s*;?\s*$", re.IGNORECASE)
REFERENCE = re.compile(r"\$\{(\w+)\}")


def split_statements(text: str) -> Iterator[str]:
    """The statements of ``text``, each with its ``;``; quotes (``'``, backquotes) respected."""
    start, quote = 0, ""
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'`":
            quote = char
        elif char == ";":
            yield text[start : i + 1]
            start = i + 1
    if text[start:].strip():
        yield text[start:]


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """``${name}`` replaced by its value (names case-insensitive)."""
    known = {k.upper(): v for k, v in variables.items()}

    def value(match: re.Match[str]) -> str:
        name = match[1].upper()
        if name not in known:
            raise KsqlError(f"Unknown variable: {match[1]}")
        return known[name]

    return REFERENCE.sub(value, text)
