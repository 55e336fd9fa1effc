"""Text files as a lazy plan leaf: one ``value`` string column (Spark's ``TextFileFormat``).

Each line is a row (``\n``, ``\r\n`` or ``\r`` ends it, or ``lineSep``), blank lines kept as
empty strings; with ``wholetext`` each file is one row. DuckDB reads the files when the query
runs (``read_csv`` with no delimiter or quote, or ``read_text``).
"""

from __future__ import annotations

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sources.csv_options import max_line_size
from kaspar.engine.sources.csv_values import lit, name
from kaspar.engine.sources.sql_view import view_scan
from kaspar.errors import AnalysisException

_NEW_LINES = ("\n", "\r", "\r\n")  # the line ends DuckDB's CSV reader takes


def _check(schema: T.StructType | None) -> str:
    if schema is None:
        return "value"
    if len(schema.fields) != 1:
        raise AnalysisException(
            "Text data source supports only a single column, and you have "
            f"{len(schema.fields)} columns."
        )
    field = schema.fields[0]
    if not isinstance(field.dataType, T.StringType):
        raise AnalysisException(
            f"The Text datasource doesn't support the column `{field.name}` of the type "
            f'"{field.dataType.simpleString().upper()}".',
            "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE",
        )
    return field.name


def text_sql(paths: list[str], options: dict[str, str], *, with_file: bool = False) -> str:
    """The query of the files' lines (or whole texts) as one column ``value`` (and with
    ``with_file`` each line's file, ``FILE_COLUMN``)."""
    files = "[" + ", ".join(lit(p) for p in paths if not p.endswith(".crc")) + "]"
    file = f", filename AS {name(L.FILE_COLUMN)}" if with_file else ""
    if str(options.get("wholetext", "false")).lower() == "true":
        return f"SELECT content AS value{file} FROM read_text({files})"  # noqa: S608
    separator = options.get("linesep")
    if separator and separator not in _NEW_LINES:
        return _split_sql(files, separator, file)
    args = [
        "columns = {'value': 'VARCHAR'}",
        "auto_detect = false",
        "header = false",
        "delim = ''",
        "quote = ''",
        "escape = ''",
        "strict_mode = false",
        "null_padding = true",
        f"max_line_size = {max_line_size(options)}",
    ]
    if "linesep" in options:
        args.append(f"new_line = {lit(options['linesep'])}")
    if with_file:
        args.append("filename = true")
    source = f"read_csv({files}, {', '.join(args)})"
    return f"SELECT COALESCE(value, '') AS value{file} FROM {source}"  # noqa: S608


def _split_sql(files: str, separator: str, file: str) -> str:
    """Each file's text split at ``separator`` (a ``lineSep`` DuckDB's CSV reader does not take
    as a line end): a separator at the end of the file ends the last record, and an empty file
    has none, as Spark's line reader splits."""
    sep = lit(separator)
    pieces = (
        f"CASE WHEN content = '' THEN []::VARCHAR[] WHEN ends_with(content, {sep}) "
        f"THEN string_split(content, {sep})[1:-2] ELSE string_split(content, {sep}) END"
    )
    return f"SELECT unnest({pieces}) AS value{file} FROM read_text({files})"  # noqa: S608


def text_scan(paths: list[str], options: dict[str, str], schema: T.StructType | None) -> L.Scan:
    """The plan leaf reading ``paths`` as text (see the module docstring)."""
    column = _check(schema)
    sql = f"SELECT value AS {name(column)} FROM ({text_sql(paths, options)})"  # noqa: S608
    file = name(L.FILE_COLUMN)
    with_file = (
        f"SELECT value AS {name(column)}, {file} FROM ({text_sql(paths, options, with_file=True)})"  # noqa: S608
    )
    return view_scan(
        sql,
        (column,),
        "text",
        files=tuple(p for p in paths if not p.endswith(".crc")),
        with_file=lambda: view_scan(with_file, (column, L.FILE_COLUMN), "text"),
    )
