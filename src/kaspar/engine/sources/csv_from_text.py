"""Spark's ``from_csv`` as DuckDB SQL: a string column parsed as CSV records into structs.

The same two steps as a CSV file read (``csv_modes``), over an expression instead of a file:

1. The text is split into fields by ``csv_records.tokens`` (Spark's tokenizer: ``sep``,
   ``quote``, ``escape``, ``nullValue``, ``emptyValue``, the whitespace options).
2. Each field is converted to its type by ``csv_values.convert``; a record is malformed when it
   has more or fewer fields than the schema or a non-string field does not convert.

Modes, as Spark's ``CsvToStructs``: PERMISSIVE (the default) keeps what converted, NULL for the
rest (and the text in the ``columnNameOfCorruptRecord`` field when the schema has that string
field); FAILFAST fails the query on a malformed record (``MALFORMED_RECORD_IN_PARSING``);
DROPMALFORMED is refused at analysis. A NULL string gives a NULL struct. The text is bound once
per row with a one-element ``list_transform`` (a lambda parameter), so neither the column
expression nor the split runs once per field.
"""

from __future__ import annotations

from kaspar.engine import types as T
from kaspar.engine.sources.csv_modes import corrupt_column
from kaspar.engine.sources.csv_options import CsvOptions
from kaspar.engine.sources.csv_records import tokens
from kaspar.engine.sources.csv_values import check_schema, convert, lit, name
from kaspar.errors import AnalysisException

MALFORMED = (
    "[MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed records are detected in record "
    "parsing: the value of from_csv. Parse Mode: FAILFAST. To process malformed records as null "
    "result, try setting the option 'mode' as 'PERMISSIVE'."
)


def from_csv_sql(text: str, schema: T.StructType, options: dict[str, str]) -> str:
    """The SQL of ``from_csv`` over the SQL expression ``text`` (see the module docstring)."""
    lowered = {k.lower(): v for k, v in options.items()}
    mode = lowered.get("mode", "PERMISSIVE").upper()
    if mode == "DROPMALFORMED":
        raise AnalysisException(
            "The function `from_csv` doesn't support the DROPMALFORMED mode. Acceptable modes "
            "are PERMISSIVE and FAILFAST.",
            "PARSE_MODE_UNSUPPORTED",
        )
    o = CsvOptions.parse(lowered)
    corrupt = corrupt_column(lowered)
    data = [
        f for f in schema.fields if not (f.name == corrupt and isinstance(f.dataType, T.StringType))
    ]
    check_schema(T.StructType(data))
    converted = {f.name: convert(f"_t[{i + 1}]", f.dataType, o) for i, f in enumerate(data)}
    failed = [
        f"(_t[{i + 1}] IS NOT NULL AND ({converted[f.name]}) IS NULL)"
        for i, f in enumerate(data)
        if not isinstance(f.dataType, T.StringType)
    ]
    bad = " OR ".join([f"len(_t) <> {len(data)}", *failed])
    fields = []
    for f in schema.fields:
        if f.name in converted:
            value = converted[f.name]
        elif mode == "PERMISSIVE":  # the corrupt-record field
            value = f"CASE WHEN {bad} THEN _l END"
        else:
            value = "NULL::VARCHAR"
        fields.append(f"{name(f.name)} := {value}")
    record = f"struct_pack({', '.join(fields)})"
    if mode == "FAILFAST":
        record = f"CASE WHEN {bad} THEN error({lit(MALFORMED)}) ELSE {record} END"
    parsed = f"list_transform([{tokens('_l', o)}], lambda _t: {record})[1]"
    return (
        f"list_transform([{text}], lambda _l: CASE WHEN _l IS NULL THEN NULL ELSE {parsed} END)[1]"
    )
