"""Spark datetime patterns (``yyyy-MM-dd HH:mm:ss.SSS``) → DuckDB ``strftime``/``strptime`` formats.

Spark's patterns are letter runs (``yyyy``, ``MM``, ``EEE``) with ``'quoted text'`` and ``''`` for
a quote; DuckDB's are ``%`` codes. A run is translated as a whole, so ``SSS`` (milliseconds) and
``SSSSSS`` (microseconds) differ. Letters with no DuckDB equivalent raise ``ValueError``.
"""

from __future__ import annotations

_LETTER_RUNS: dict[str, str] = {
    "yyyy": "%Y",
    "yyy": "%Y",
    "y": "%Y",
    "yy": "%y",
    "uuuu": "%Y",
    "u": "%Y",
    "uu": "%y",
    "YYYY": "%G",
    "MMMM": "%B",
    "MMM": "%b",
    "MM": "%m",
    "M": "%-m",
    "LLLL": "%B",
    "LLL": "%b",
    "LL": "%m",
    "L": "%-m",
    "dd": "%d",
    "d": "%-d",
    "DDD": "%j",
    "D": "%-j",
    "HH": "%H",
    "H": "%-H",
    "hh": "%I",
    "h": "%-I",
    "mm": "%M",
    "m": "%-M",
    "ss": "%S",
    "s": "%-S",
    "S": "%g",
    "SS": "%g",
    "SSS": "%g",
    "SSSSSS": "%f",
    "SSSSSSSSS": "%n",
    "a": "%p",
    "E": "%a",
    "EE": "%a",
    "EEE": "%a",
    "EEEE": "%A",
    "z": "%Z",
    "zzz": "%Z",
    "Z": "%z",
    "XXX": "%z",
    "xxx": "%z",
    "VV": "%Z",
    "w": "%V",
    "ww": "%V",
}


def spark_to_strftime(pattern: str) -> str:
    """The DuckDB format for a Spark datetime pattern."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            if end == i + 1:  # '' is a literal quote
                out.append("'")
                i += 2
                continue
            end = len(pattern) if end < 0 else end
            out.append(pattern[i + 1 : end].replace("%", "%%"))
            i = end + 1
            continue
        if ch.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == ch:
                j += 1
            out.append(_run(pattern[i:j]))
            i = j
            continue
        out.append("%%" if ch == "%" else ch)
        i += 1
    return "".join(out)


def _run(run: str) -> str:
    code = _LETTER_RUNS.get(run)
    if code is None and run[0] == "y":
        code = "%Y"
    if code is None and run[0] == "S" and len(run) <= 9:
        code = "%g" if len(run) <= 3 else "%f" if len(run) <= 6 else "%n"
    if code is None:
        raise ValueError(f"Unsupported datetime pattern letters: {run!r}")
    return code
