"""Concatenated JSON: values one after another on one connection, split as bytes arrive.

A request body in REST Proxy's streamed produce is `{...}{...}\\n{...}` with no framing beyond the
JSON itself. `JsonStream.feed` takes the next chunk of bytes and returns the values it completes;
a value cut by a chunk boundary waits for the next chunk; `close` reports what is left (a malformed
value cannot be told from a cut one before the body ends, and nothing after it can be split).
"""

from __future__ import annotations

import codecs
import json
from typing import Any

_decoder = json.JSONDecoder()
WHITESPACE = " \t\n\r"


class JsonStreamError(ValueError):
    """The body is not a sequence of JSON values."""


class JsonStream:
    """Splits a byte stream of concatenated JSON values."""

    def __init__(self) -> None:
        self._text = ""
        self._utf8 = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: bytes) -> list[Any]:
        """The values completed by `chunk`, in order."""
        try:
            self._text += self._utf8.decode(chunk)
        except UnicodeDecodeError as exc:
            raise JsonStreamError(f"body is not UTF-8: {exc}") from exc
        values: list[Any] = []
        text, position, end = self._text, 0, len(self._text)
        while True:
            while position < end and text[position] in WHITESPACE:
                position += 1
            if position == end:
                break
            try:
                value, after = _decoder.raw_decode(text, position)
            except json.JSONDecodeError:
                break  # cut by the chunk boundary, or malformed: `close` tells which
            if after == end and isinstance(value, (int, float)):
                break  # a number at the end may continue in the next chunk
            values.append(value)
            position = after
        self._text = text[position:]
        return values

    def close(self) -> list[Any]:
        """The end of the body: the last value, or an error if a value was cut short."""
        values = self.feed(b"")
        rest = self._text.strip()
        if not rest:
            return values
        try:
            value = json.loads(rest)
        except ValueError as exc:
            raise JsonStreamError(f"Unexpected end of request body: {rest[:80]!r}") from exc
        return [*values, value]
