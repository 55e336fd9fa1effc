"""Spark's CSV tokenizer (univocity's rules as Spark configures them), for ``from_csv``.

Records are lines, or, with ``multiLine``, lines joined while a quoted field is open; blank
lines and lines starting with ``comment`` are skipped. ``sep`` separates fields; ``quote`` opens a
quoted field, in which ``escape`` escapes a quote or itself; a quote closed by anything but
``sep`` leaves the field's raw text up to the next separator (``STOP_AT_DELIMITER``); an unclosed
quote ends at the line end. ``ignoreLeadingWhiteSpace`` / ``ignoreTrailingWhiteSpace`` trim
unquoted text. An empty unquoted field reads as ``nullValue``, an empty quoted one as
``emptyValue``, and a value equal to ``nullValue`` is NULL.
"""

from __future__ import annotations

from collections.abc import Iterator

from kaspar.engine.sources.csv_options import CsvOptions


def _tokenize(line: str, o: CsvOptions) -> tuple[list[tuple[str, bool]], bool]:
    """``(value, quoted)`` per field of ``line``, and whether a quoted field is still open."""
    fields: list[tuple[str, bool]] = []
    i, n = 0, len(line)
    while True:
        start = i
        if o.trim_leading:
            while i < n and line[i] in " \t":
                i += 1
        if i < n and o.quote and line[i] == o.quote:
            value, i, open_quote = _quoted(line, i, o)
            if value is None:  # an unescaped quote: the raw text up to the separator
                end = line.find(o.sep, i)
                end = n if end < 0 else end
                fields.append((line[start:end], False))
                i = end
            else:
                fields.append((value, True))
                if open_quote:
                    return fields, True
        else:
            end = line.find(o.sep, i)
            end = n if end < 0 else end
            value = line[i:end]
            fields.append((value.rstrip(" \t") if o.trim_trailing else value, False))
            i = end
        if i >= n:
            return fields, False
        i += len(o.sep)
        if i >= n:
            fields.append(("", False))
            return fields, False


def _quoted(line: str, i: int, o: CsvOptions) -> tuple[str | None, int, bool]:
    """A quoted field from ``line[i]`` (the quote): value, next position, still open."""
    out: list[str] = []
    i += 1
    n = len(line)
    while i < n:
        c = line[i]
        if c == o.escape and o.escape != o.quote and i + 1 < n and line[i + 1] in (o.quote, c):
            out.append(line[i + 1])
            i += 2
        elif c == o.quote:
            if o.escape == o.quote and i + 1 < n and line[i + 1] == o.quote:
                out.append(c)
                i += 2
                continue
            i += 1
            rest = i
            while o.trim_trailing and rest < n and line[rest] in " \t":
                rest += 1
            if rest >= n or line.startswith(o.sep, rest):
                return "".join(out), rest, False
            return None, i, False
        else:
            out.append(c)
            i += 1
    return "".join(out), n, True


def records(text: str, o: CsvOptions) -> Iterator[tuple[str, list[str | None]]]:
    """Each record's text and values (NULL for ``nullValue``, the empty-field rules above)."""
    lines = iter(text.splitlines())
    for line in lines:
        if not line or (o.comment and line.startswith(o.comment)):
            continue
        raw = line
        if not o.quote or o.quote not in line:
            yield raw, values(raw, o)
            continue
        fields, open_quote = _tokenize(raw, o)
        while open_quote and o.multiline:
            following = next(lines, None)
            if following is None:
                break
            raw = f"{raw}\n{following}"
            fields, open_quote = _tokenize(raw, o)
        yield raw, _values(fields, o)


def values(line: str, o: CsvOptions) -> list[str | None]:
    """The values of one record's text."""
    if not o.quote or o.quote not in line:
        return [None if v in ("", o.null_value) else v for v in _split_plain(line, o)]
    return _values(_tokenize(line, o)[0], o)


def _values(fields: list[tuple[str, bool]], o: CsvOptions) -> list[str | None]:
    texts = (v or (o.empty_value if quoted else o.null_value) for v, quoted in fields)
    return [None if t == o.null_value else t for t in texts]


def _split_plain(line: str, o: CsvOptions) -> list[str]:
    values = line.split(o.sep)
    if o.trim_leading:
        values = [v.lstrip(" \t") for v in values]
    if o.trim_trailing:
        values = [v.rstrip(" \t") for v in values]
    return values
