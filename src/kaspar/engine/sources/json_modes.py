"""JSON files as a lazy DuckDB scan with Spark's parse modes and type rules.

Nothing is read when the plan is built (except to infer a schema when none is given, as Spark
does: ``json_inference``, cached per process for unchanged files by ``schema_cache``); the query
reads the files in DuckDB, in bulk. Two ways to read, by what the read needs:

* Fast: JSON lines in PERMISSIVE mode without a corrupt-record column. ``read_json(columns={a:
  'JSON', s: 'VARCHAR'}, ignore_errors=true)`` splits each line into its top-level values (a
  string field is read as text: DuckDB gives a non-string value's JSON text, as Spark does); a
  malformed line is a row of NULLs, which is what Spark gives for it. ``json_values`` converts
  each value; a value that does not fit is NULL and the other fields are kept (Spark's partial
  results).
* Exact: a ``columnNameOfCorruptRecord`` column in the schema, DROPMALFORMED or FAILFAST, and
  every ``multiLine`` read. The records' text (each line, or with ``multiLine`` each file; a
  top-level array of objects is unnested into its elements) is split with ``json_extract``; a
  record is malformed when it is not a JSON object or one of its values does not fit its type.
  PERMISSIVE keeps the values that did fit and puts the record's text in the corrupt-record
  column; DROPMALFORMED drops the record; FAILFAST fails the query with Spark's
  ``FAILED_READ_FILE.NO_HINT`` error, naming the file.

Known differences: Spark's lenient JSON (single quotes, comments, unquoted ``NaN``, text after
the record) makes a record malformed here; a repeated key gives its first value (Spark: the
last); a non-string value read as a string is DuckDB's compact JSON text (``{"k":[1,2]}``, ``1e3``
→ ``1000.0``; Spark keeps the original text); in the fast way a line holding a top-level array
of objects is one row of NULLs (Spark makes a row of each element, as the exact way does).
"""

# The SQL here quotes every path and name it holds (quote_literal, quote_name).
# ruff: noqa: S608

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.sources.json_values import (
    JsonConverter,
    field_paths,
    quote_literal,
    quote_name,
)
from kaspar.engine.sources.schema_cache import inferred_schema
from kaspar.errors import AnalysisException

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

MODES = ("PERMISSIVE", "DROPMALFORMED", "FAILFAST")
FAILED_READ_FILE = "[FAILED_READ_FILE.NO_HINT] Encountered error while reading file file://"
MAX_RECORD = 1 << 24  # bytes per record; DuckDB buffers a multiple of it per thread


def parse_mode(options: dict[str, str]) -> str:
    mode = options.get("mode", "PERMISSIVE").upper()
    return mode if mode in MODES else "PERMISSIVE"


def corrupt_column(options: dict[str, str]) -> str:
    return options.get("columnnameofcorruptrecord", "_corrupt_record")


def truthy(options: dict[str, str], key: str) -> bool:
    return str(options.get(key, "false")).lower() == "true"


def paths_sql(paths: list[str]) -> str:
    return "[" + ", ".join(quote_literal(p) for p in paths) + "]"


def lines_source(paths: list[str]) -> str:
    """Each line of the files as ``line`` (VARCHAR) with its ``filename``, read lazily."""
    return (
        f"read_csv({paths_sql(paths)}, columns={{'line': 'VARCHAR'}}, header=false, delim='', "
        f"quote='', escape='', auto_detect=false, strict_mode=false, filename=true, "
        f"max_line_size={MAX_RECORD})"
    )


def records_sql(paths: list[str], multiline: bool) -> str:
    """One row per JSON record, ``line`` (its text, named in the corrupt-record column) and
    ``filename``: each non-blank line, or each file with ``multiLine``; a top-level array of
    objects is unnested into its elements (an array holding anything else is one record)."""
    if multiline:
        source = f"(SELECT content AS line, filename FROM read_text({paths_sql(paths)}))"
    else:
        source = f"(SELECT line, filename FROM {lines_source(paths)} WHERE trim(line) <> '')"
    items = "json_transform(line, '[\"JSON\"]')::VARCHAR[]"
    objects = f"list_bool_and(list_transform({items}, lambda e: starts_with(e, '{{')))"
    arrays = f"starts_with(ltrim(line), '[') AND json_valid(line) AND coalesce({objects}, true)"
    records = f"unnest(CASE WHEN {arrays} THEN {items} ELSE [line] END)"
    return f"SELECT {records} AS line, filename FROM {source}"


def opaque(sql: str, alias: str) -> exp.Expr:
    """DuckDB SQL as a plan leaf's source, kept out of the Spark dialect's rewrites."""
    return exp.Subquery(this=exp.Var(this=sql), alias=exp.TableAlias(this=exp.to_identifier(alias)))


def json_scan(
    executor: Executor, paths: list[str], options: dict[str, str], schema: T.StructType | None
) -> L.LogicalPlan:
    """The plan leaf for a JSON read (see the module docstring)."""
    from kaspar.engine.sources.json_inference import infer_schema

    mode, corrupt = parse_mode(options), corrupt_column(options)
    if schema is None:
        schema = inferred_schema(
            "json", paths, options, lambda: infer_schema(executor, paths, options)
        )
    if corrupt in schema.names:
        field = schema[corrupt]
        if not isinstance(field.dataType, T.StringType) or not field.nullable:
            raise AnalysisException(
                "The field for corrupt records must be string type and nullable.",
                "_LEGACY_ERROR_TEMP_1097",
            )
    if not schema.fields:
        return L.Scan(opaque("SELECT NULL AS _none WHERE false", "_json"), (), "json")
    data = T.StructType([f for f in schema.fields if f.name != corrupt])
    lowered = {n.lower() for n in data.names}
    fast = (
        not truthy(options, "multiline")
        and mode == "PERMISSIVE"
        and corrupt not in schema.names
        and len(lowered) == len(data.names)
    )
    read: T.StructType = schema

    def sql(with_file: bool = False) -> str:
        if fast:
            return _fast_sql(paths, data, options, with_file=with_file)
        return _exact_sql(paths, read, options, with_file=with_file)

    names = tuple(schema.names)
    return L.Scan(
        opaque(sql(), "_json"),
        names,
        "json",
        files=tuple(paths),
        with_file=lambda: L.Scan(opaque(sql(True), "_json"), (*names, L.FILE_COLUMN), "json"),
    )


def _fast_sql(
    paths: list[str], data: T.StructType, options: dict[str, str], *, with_file: bool = False
) -> str:
    converter = JsonConverter(options)
    columns, values = [], []
    for f in data.fields:
        name = quote_name(f.name)
        text = isinstance(f.dataType, T.StringType)
        columns.append(f"{quote_literal(f.name)}: '{'VARCHAR' if text else 'JSON'}'")
        value = name if text else converter.convert(name, f.dataType).value
        values.append(f"{value} AS {name}")
    file = ""
    if with_file:
        values.append(quote_name(L.FILE_COLUMN))
        file = f", filename={quote_literal(L.FILE_COLUMN)}"
    return (
        f"SELECT {', '.join(values)} FROM read_json({paths_sql(paths)}, "
        f"format='newline_delimited', columns={{{', '.join(columns)}}}, ignore_errors=true, "
        f"maximum_object_size={MAX_RECORD}{file})"
    )


def _exact_sql(
    paths: list[str], schema: T.StructType, options: dict[str, str], *, with_file: bool = False
) -> str:
    """Steps: 1. each record's text; 2. its top-level values (``_v``, NULL when the record is
    not a JSON object); 3. each value converted, and ``_bad`` when the record is malformed;
    4. the mode: keep, drop or fail on malformed records."""
    mode, corrupt = parse_mode(options), corrupt_column(options)
    data = [f for f in schema.fields if f.name != corrupt]
    converter = JsonConverter(options)
    converted = {
        f.name: converter.convert(f"_v[{i}]", f.dataType) for i, f in enumerate(data, start=1)
    }
    paths_list = field_paths([f.name for f in data]) if data else "['$.\"\"']"
    split = (
        f"CASE WHEN starts_with(ltrim(line), '{{') THEN try(json_extract(line, {paths_list})) END"
    )
    bad = " OR ".join(["_v IS NULL", *(c.bad for c in converted.values() if c.bad != "false")])
    outputs = [
        f"CASE WHEN _bad THEN line END AS {quote_name(f.name)}"
        if f.name == corrupt
        else f"{converted[f.name].value} AS {quote_name(f.name)}"
        for f in schema.fields
    ]
    if with_file:
        outputs.append(f"filename AS {quote_name(L.FILE_COLUMN)}")
    where = ""
    if mode == "DROPMALFORMED":
        where = "WHERE NOT _bad"
    elif mode == "FAILFAST":
        failed = f"{quote_literal(FAILED_READ_FILE)} || filename || '.'"
        where = f"WHERE CASE WHEN _bad THEN error({failed}) ELSE true END"
    records = records_sql(paths, truthy(options, "multiline"))
    values = f"SELECT line, filename, {split} AS _v FROM ({records})"
    return f"SELECT {', '.join(outputs)} FROM (SELECT *, ({bad}) AS _bad FROM ({values})) {where}"
