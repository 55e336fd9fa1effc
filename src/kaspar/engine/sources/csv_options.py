"""Spark's ``CSVOptions``: the reader options of a CSV read, with Spark's defaults.

Option names arrive lower-cased (the reader lower-cases them). ``sep`` and ``delimiter`` are the
same option; ``charset`` and ``encoding`` too.
"""

from __future__ import annotations

from dataclasses import dataclass

from kaspar.errors import AnalysisException

_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "iso-8859-1": "latin-1",
    "latin1": "latin-1",
    "latin-1": "latin-1",
    "utf-16": "utf-16",
    "utf16": "utf-16",
}
_LINE_SEPS = ("\n", "\r", "\r\n")

DEFAULT_MAX_LINE = 8 << 20  # bytes: 4x DuckDB's default; its read buffers grow with the limit


def _flag(opts: dict[str, str], name: str, default: bool = False) -> bool:
    return str(opts.get(name, str(default))).lower() == "true"


@dataclass(frozen=True)
class CsvOptions:
    """The options the CSV reader and ``from_csv`` use (Spark's defaults)."""

    sep: str = ","
    quote: str = '"'
    escape: str = "\\"
    comment: str = ""
    header: bool = False
    multiline: bool = False
    trim_leading: bool = False
    trim_trailing: bool = False
    null_value: str = ""
    empty_value: str = ""
    nan_value: str = "NaN"
    positive_inf: str = "Inf"
    negative_inf: str = "-Inf"
    date_format: str | None = None
    timestamp_format: str | None = None
    timestamp_ntz_format: str | None = None
    infer_schema: bool = False
    sampling_ratio: float = 1.0
    prefer_date: bool = True
    encoding: str = "utf-8"
    line_sep: str | None = None
    max_line_size: int = DEFAULT_MAX_LINE

    @classmethod
    def parse(cls, opts: dict[str, str]) -> CsvOptions:
        return cls(
            sep=opts.get("sep", opts.get("delimiter", ",")),
            quote=opts.get("quote", '"'),
            escape=opts.get("escape", "\\"),
            comment=opts.get("comment", ""),
            header=_flag(opts, "header"),
            multiline=_flag(opts, "multiline"),
            trim_leading=_flag(opts, "ignoreleadingwhitespace"),
            trim_trailing=_flag(opts, "ignoretrailingwhitespace"),
            null_value=opts.get("nullvalue", ""),
            empty_value=opts.get("emptyvalue", ""),
            nan_value=opts.get("nanvalue", "NaN"),
            positive_inf=opts.get("positiveinf", "Inf"),
            negative_inf=opts.get("negativeinf", "-Inf"),
            date_format=opts.get("dateformat"),
            timestamp_format=opts.get("timestampformat"),
            timestamp_ntz_format=opts.get("timestampntzformat"),
            infer_schema=_flag(opts, "inferschema"),
            sampling_ratio=float(opts.get("samplingratio", "1.0")),
            prefer_date=_flag(opts, "preferdate", default=True),
            encoding=_encoding(opts.get("encoding", opts.get("charset", "utf-8"))),
            line_sep=_line_sep(opts.get("linesep")),
            max_line_size=max_line_size(opts),
        )

    @property
    def empty_is_null(self) -> bool:
        """Whether a quoted empty field reads as NULL, as an unquoted one does."""
        return self.empty_value == self.null_value


def _encoding(name: str) -> str:
    found = _ENCODINGS.get(name.lower())
    if found is None:
        raise AnalysisException(f"Unsupported CSV encoding for reading: {name}.")
    return found


def _line_sep(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in _LINE_SEPS:
        raise AnalysisException(
            f"lineSep {value!r} is not supported for reading CSV: use \\n, \\r or \\r\\n."
        )
    return value


def max_line_size(opts: dict[str, str]) -> int:
    """The longest line a read accepts, in bytes (DuckDB's ``max_line_size``).

    Spark has no line limit; DuckDB needs one, and its read buffers grow with it (a 1 GB limit
    made reads twice as slow). Spark's ``maxCharsPerColumn`` raises it: a line may then hold
    that many characters of up to 4 UTF-8 bytes each.
    """
    raw = opts.get("maxcharspercolumn", "-1")
    try:
        chars = int(raw)
    except ValueError:
        raise AnalysisException(
            f"maxCharsPerColumn must be an integer (-1 for the default), not {raw!r}."
        ) from None
    return max(DEFAULT_MAX_LINE, 4 * chars + 1024) if chars > 0 else DEFAULT_MAX_LINE
