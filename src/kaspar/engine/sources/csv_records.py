"""CSV records split into fields, as DuckDB SQL: the token sources of ``csv_modes``.

Each source is a query with columns ``v0 .. v{n-1}`` (the fields' text, NULL for a null field:
an empty unquoted field or one equal to ``nullValue``; a quoted empty field reads as
``emptyValue``), ``_fits`` (the record has exactly ``n`` fields), ``_line`` (the record's text)
and ``_file``. Two ways to split, by what the read needs:

* ``native_records``: DuckDB's CSV reader (parallel, the fast way), with one VARCHAR column more
  than the schema and ``null_padding``, so a record with too many fields fills the extra column
  and one with too few leaves the last one NULL. With a ``nullValue`` that differs from
  ``emptyValue`` a missing field cannot be told from an empty one, so only too many fields make
  a record malformed. DuckDB joins a quoted field's lines (Spark does only with ``multiLine``)
  and has no record text: ``_line`` is the fields joined by ``sep``.
* ``line_records``: each line read as text and split by SQL string functions as Spark's
  tokenizer splits it (a quote closed by anything but ``sep`` leaves the field's raw text, an
  unclosed quote runs to the line end, ``escape`` escapes a quote or itself). Exact, and
  ``_line`` is the line: used when the schema has a corrupt-record column.
"""

from __future__ import annotations

import re

from kaspar.engine.sources.csv_options import CsvOptions
from kaspar.engine.sources.csv_values import lit

_NULL_MARK = "\x02kaspar-csv-missing\x03"


def _file_list(paths: list[str]) -> str:
    return "[" + ", ".join(lit(p) for p in paths) + "]"


def _common(o: CsvOptions) -> list[str]:
    args = [
        "auto_detect = false",
        f"header = {str(o.header).lower()}",
        f"encoding = {lit(o.encoding)}",
        f"max_line_size = {o.max_line_size}",
        "filename = true",
    ]
    if o.line_sep is not None:
        args.append(f"new_line = {lit(o.line_sep)}")
    return args


def _value(token: str, o: CsvOptions) -> str:
    """A field's text with Spark's whitespace options and ``nullValue``."""
    if o.trim_leading and o.trim_trailing:
        token = f"trim({token}, ' \t')"
    elif o.trim_leading:
        token = f"ltrim({token}, ' \t')"
    elif o.trim_trailing:
        token = f"rtrim({token}, ' \t')"
    if o.null_value == "":
        return f"NULLIF({token}, '')"
    return f"CASE WHEN {token} = '' OR {token} = {lit(o.null_value)} THEN NULL ELSE {token} END"


def native_records(paths: list[str], width: int, o: CsvOptions) -> str:
    """The records as DuckDB's reader splits them (see the module docstring)."""
    columns = ", ".join(f"{lit(f'c{i}')}: 'VARCHAR'" for i in range(width + 1))
    args = [
        *_common(o),
        f"columns = {{{columns}}}",
        f"delim = {lit(o.sep)}",
        f"quote = {lit(o.quote)}",
        f"escape = {lit(o.escape if o.quote else '')}",
        "null_padding = true",
        "strict_mode = false",
    ]
    if o.multiline:  # DuckDB pads short records with quoted newlines only reading serially
        args.append("parallel = false")
    if o.comment:
        args.append(f"comment = {lit(o.comment)}")
    if o.empty_is_null:
        args.append(f"nullstr = {lit(_NULL_MARK)}")
        values = [_value(f"c{i}", o) for i in range(width)]
        fits = f"c{width - 1} IS NOT NULL AND c{width} IS NULL" if width else f"c{width} IS NULL"
    else:
        args += ["nullstr = ''", "allow_quoted_nulls = false"]
        empty = "NULL" if o.empty_value == o.null_value else lit(o.empty_value)
        values = [
            f"CASE WHEN c{i} = '' THEN {empty} WHEN c{i} = {lit(o.null_value)} THEN NULL "
            f"ELSE c{i} END"
            for i in range(width)
        ]
        fits = f"c{width} IS NULL"
    line = "concat_ws(" + ", ".join([lit(o.sep), *(f"c{i}" for i in range(width + 1))]) + ")"
    selected = [f"{v} AS v{i}" for i, v in enumerate(values)]
    source = f"read_csv({_file_list(paths)}, {', '.join(args)})"
    return (
        f"SELECT {', '.join([*selected, f'{fits} AS _fits', f'{line} AS _line'])}, "  # noqa: S608
        f"filename AS _file FROM {source}"
    )


def raw_lines(paths: list[str], o: CsvOptions) -> str:
    """Each line of the files as ``line`` (blank lines and comments left out), with ``_file``."""
    args = [*_common(o), "columns = {'line': 'VARCHAR'}", "delim = ''", "quote = ''"]
    args += ["escape = ''", "strict_mode = false"]
    source = f"read_csv({_file_list(paths)}, {', '.join(args)})"
    keep = "line <> ''"
    if o.comment:
        keep += f" AND NOT starts_with(line, {lit(o.comment)})"
    return f"SELECT line, filename AS _file FROM {source} WHERE {keep}"  # noqa: S608


def _re(text: str) -> str:
    return re.escape(text)


def _quoted_patterns(o: CsvOptions) -> tuple[str, str]:
    """RE2 patterns of a closed and an unclosed quoted field."""
    q, e = _re(o.quote), _re(o.escape)
    doubled = not o.escape or o.escape == o.quote
    body = f"(?:[^{q}]|{q}{q})*" if doubled else f"(?:[^{q}{e}]|{e}.)*"
    lead = "[ \t]*" if o.trim_leading else ""
    trail = "[ \t]*" if o.trim_trailing else ""
    return f"{lead}{q}{body}{q}{trail}", f"{lead}{q}{body}"


def _unescape(inner: str, o: CsvOptions) -> str:
    q = _re(o.quote)
    if not o.escape or o.escape == o.quote:
        return f"replace({inner}, {lit(o.quote * 2)}, {lit(o.quote)})"
    e = _re(o.escape)
    return f"regexp_replace({inner}, {lit(f'{e}([{q}{e}])')}, '\\1', 'g')"


def tokens(line: str, o: CsvOptions) -> str:
    """The SQL list of a line's fields (see ``line_records``)."""
    plain = f"list_transform(string_split({line}, {lit(o.sep)}), lambda x: {_value('x', o)})"
    if not o.quote:
        return plain
    closed, unclosed = _quoted_patterns(o)
    s = _re(o.sep)
    pattern = f"({closed}|{unclosed}|[^{s}]*){s}"
    empty = "NULL" if o.empty_is_null else lit(o.empty_value)
    stripped = "trim(x, ' \t')" if o.trim_leading or o.trim_trailing else "x"
    inner_closed = _unescape(f"{stripped}[2:-2]", o)
    inner_open = _unescape(f"{stripped}[2:]", o)
    classify = (
        f"CASE WHEN regexp_full_match(x, {lit(closed)}) THEN "
        f"CASE WHEN {inner_closed} = '' THEN {empty} "
        f"WHEN {inner_closed} = {lit(o.null_value)} THEN NULL ELSE {inner_closed} END "
        f"WHEN regexp_full_match(x, {lit(unclosed)}) THEN "
        f"NULLIF(NULLIF({inner_open}, ''), {lit(o.null_value)}) ELSE {_value('x', o)} END"
    )
    split = f"regexp_extract_all({line} || {lit(o.sep)}, {lit(pattern)}, 1)"
    quoted = f"list_transform({split}, lambda x: {classify})"
    return f"CASE WHEN contains({line}, {lit(o.quote)}) THEN {quoted} ELSE {plain} END"


def line_records(paths: list[str], width: int, o: CsvOptions) -> str:
    """The records as Spark's tokenizer splits lines (see the module docstring)."""
    values = [f"_t[{i + 1}] AS v{i}" for i in range(width)]
    return (
        f"SELECT {', '.join([*values, f'len(_t) = {width} AS _fits'])}, "  # noqa: S608
        f"line AS _line, _file FROM (SELECT {tokens('line', o)} AS _t, line, _file "
        f"FROM ({raw_lines(paths, o)}))"
    )
