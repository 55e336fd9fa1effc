"""Spark's JSON value rules as DuckDB SQL: one JSON value's text → a Spark-typed value.

Spark converts each JSON token by its kind (a number, a string, ``true``...) and the field's
declared type, and a token that does not fit makes the record malformed; DuckDB's casts are more
lenient (``4.5`` → 5 for an int, ``"123"`` → 123). So a JSON read has DuckDB split each record
into its values as JSON text (``read_json(columns={a: 'JSON'})`` or ``json_extract``), and the
SQL built here turns each value's text into the typed value and a "did not fit" flag:

* string: a string token's text; any other token its JSON text (``{"x":1}`` → ``'{"x":1}'``).
* byte/short/int/long: integer tokens in range; a float token, a string or a boolean is malformed.
* float/double: any number; the strings ``NaN``, ``Infinity``, ``+Infinity``, ``+INF``,
  ``-Infinity``, ``-INF``.
* decimal: numbers and numeric strings, rounded half-up to the scale; too many digits is malformed.
* boolean: ``true`` / ``false`` only.
* timestamp: strings parsed with ``timestampFormat`` (without one, as Spark's string cast parses
  them), integer tokens as seconds since the epoch. timestamp_ntz: strings without a time zone
  (``timestampNTZFormat``). date: strings (``dateFormat``, or as the string cast parses them).
* binary: base64 strings.
* struct: an object; a field that does not fit is NULL in the struct (the record is malformed).
  array / map: an array / an object whose elements all fit, else NULL (and malformed).

The JSON ``null`` token (and a missing field) is NULL for every type and never malformed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kaspar.engine import types as T
from kaspar.engine.compile.datetime_patterns import spark_to_strftime
from kaspar.engine.sources.timestamp_text import plain_iso_in_utc, text_to_timestamptz
from kaspar.errors import IllegalArgumentException

_INTEGRAL = {
    T.ByteType: "TINYINT",
    T.ShortType: "SMALLINT",
    T.IntegerType: "INTEGER",
    T.LongType: "BIGINT",
}
_SPECIAL_DOUBLES = {
    "NaN": "NaN",
    "Infinity": "Infinity",
    "+Infinity": "Infinity",
    "+INF": "Infinity",
    "-Infinity": "-Infinity",
    "-INF": "-Infinity",
}
# A time zone after the time of day ("...T10:00Z", "... 10:00:00+02:00"): not a timestamp_ntz.
_ZONED = r"[T ]\d{1,2}:\d{2}.*(Z|[+-]\d{2}(:?\d{2})?|\s[A-Za-z][A-Za-z_/]+)\s*$"


@dataclass(frozen=True)
class Converted:
    """SQL for a value and SQL for "the token did not fit the type" (``false`` when it always
    fits; otherwise never NULL)."""

    value: str
    bad: str


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def field_paths(names: list[str]) -> str:
    """``json_extract``'s paths of an object's fields: one parse gives all their values' text.

    (Paths rather than ``json_transform``'s structure, which matches names case-insensitively;
    Spark matches them exactly.)
    """
    return "[" + ", ".join(quote_literal("$." + json.dumps(n)) for n in names) + "]"


def _is_string(t: str) -> str:
    return f"starts_with({t}, '\"')"


def _string(t: str) -> str:
    """A string token's text (NULL for any other token)."""
    return f"CASE WHEN {_is_string(t)} THEN json_extract_string({t}, '$') END"


def _checked(t: str, value: str) -> Converted:
    """Malformed when a token is there but does not convert."""
    return Converted(value, f"({t} IS NOT NULL AND ({value}) IS NULL)")


class JsonConverter:
    """Builds the SQL converting JSON text to Spark types, with a read's datetime options."""

    def __init__(self, options: dict[str, str]) -> None:
        self._timestamp_format = _pattern(options, "timestampformat")
        self._ntz_format = _pattern(options, "timestampntzformat")
        self._date_format = _pattern(options, "dateformat")
        self._lambdas = 0

    def convert(self, text: str, dtype: T.DataType) -> Converted:
        """``text``: SQL for one JSON value's text (VARCHAR), NULL when missing."""
        t = f"nullif(({text})::VARCHAR, 'null')"
        value = self._value(t, dtype)
        if value.bad == "false":
            return value
        return Converted(value.value, f"coalesce({value.bad}, false)")

    def _value(self, t: str, dtype: T.DataType) -> Converted:
        if isinstance(dtype, T.StringType):
            return Converted(f"CASE WHEN {_is_string(t)} THEN {_string(t)} ELSE {t} END", "false")
        if isinstance(dtype, T.StructType):
            return self._struct(t, dtype)
        if isinstance(dtype, T.ArrayType):
            return self._array(t, dtype)
        if isinstance(dtype, T.MapType):
            return self._map(t, dtype)
        return _checked(t, self._atomic(t, dtype))

    def _atomic(self, t: str, dtype: T.DataType) -> str:
        """The value of an atomic type other than string (NULL when the token does not fit)."""
        integral = next((n for k, n in _INTEGRAL.items() if isinstance(dtype, k)), None)
        if integral is not None:
            # A float token (1.5, 1e3: DuckDB writes floats with '.' or 'e') is malformed.
            return f"CASE WHEN {_integer(t)} THEN try_cast({t} AS {integral}) END"
        if isinstance(dtype, T.DoubleType | T.FloatType):
            return _floating(t, "DOUBLE" if isinstance(dtype, T.DoubleType) else "FLOAT")
        if isinstance(dtype, T.BooleanType):
            return f"CASE {t} WHEN 'true' THEN true WHEN 'false' THEN false END"
        if isinstance(dtype, T.DecimalType):
            number = f"CASE WHEN {_is_string(t)} THEN trim({_string(t)}) ELSE {t} END"
            return f"try_cast({number} AS DECIMAL({dtype.precision}, {dtype.scale}))"
        if isinstance(dtype, T.TimestampNTZType):
            return self._timestamp_ntz(t)
        if isinstance(dtype, T.TimestampType):
            return self._timestamp(t)
        if isinstance(dtype, T.DateType):
            return self._date(t)
        if isinstance(dtype, T.BinaryType):
            return f"try(from_base64({_string(t)}))"
        raise IllegalArgumentException(
            f"The JSON data source does not support the {dtype.simpleString()} data type."
        )

    def _timestamp(self, t: str) -> str:
        s = _string(t)
        if self._timestamp_format is None:
            # The cast reads blanks around the text itself; trim only for the partial forms.
            text = f"json_extract_string({t}, '$')"  # t is a string token in this branch
            partial = _partial(f"trim({text})", "TIMESTAMPTZ")
            parsed = f"coalesce({text_to_timestamptz(text)}, {partial})"
        else:  # a time without a zone is in the session's time zone, as the cast reads it
            pattern = quote_literal(self._timestamp_format)
            parsed = f"try_cast(try_strptime({s}, {pattern}) AS TIMESTAMPTZ)"
        seconds = f"try(to_timestamp(try_cast({t} AS BIGINT)))"
        general = f"CASE WHEN {_is_string(t)} THEN {parsed} WHEN {_integer(t)} THEN {seconds} END"
        if self._timestamp_format is not None:
            return general
        # A string token of plain ISO text without escapes, matched on the token's own text.
        plain = plain_iso_in_utc(t, quote='"')
        return f"coalesce({plain}, {general})"

    def _timestamp_ntz(self, t: str) -> str:
        s = _string(t)
        if self._ntz_format is not None:
            return f"try_strptime({s}, {quote_literal(self._ntz_format)})::TIMESTAMP"
        zoned = f"regexp_matches({s}, {quote_literal(_ZONED)})"
        return f"CASE WHEN NOT {zoned} THEN {_partial(f'trim({s})', 'TIMESTAMP')} END"

    def _date(self, t: str) -> str:
        s = _string(t)
        if self._date_format is not None:
            return f"try_strptime({s}, {quote_literal(self._date_format)})::DATE"
        trimmed = f"trim({s})"
        as_timestamp = f"try_cast(try_cast({trimmed} AS TIMESTAMP) AS DATE)"
        return f"coalesce({_partial(trimmed, 'DATE')}, {as_timestamp})"

    def _lambda(self) -> str:
        self._lambdas += 1
        return f"_x{self._lambdas}"

    def _struct(self, t: str, dtype: T.StructType) -> Converted:
        parsed = f"json_extract({t}, {field_paths(dtype.names)})"
        fields = [
            (f, self.convert(f"({parsed})[{i}]", f.dataType))
            for i, f in enumerate(dtype.fields, start=1)
        ]
        packed = ", ".join(f"{quote_name(f.name)} := {c.value}" for f, c in fields)
        is_object = f"starts_with({t}, '{{')"
        value = f"CASE WHEN {is_object} THEN struct_pack({packed}) END"
        inner = " OR ".join(c.bad for _, c in fields if c.bad != "false") or "false"
        return Converted(value, f"({t} IS NOT NULL AND (NOT {is_object} OR {inner}))")

    def _array(self, t: str, dtype: T.ArrayType) -> Converted:
        x = self._lambda()
        element = self.convert(x, dtype.elementType)
        kind = f"starts_with({t}, '[')"
        items = f"CASE WHEN {kind} THEN json_transform({t}, '[\"JSON\"]') END"
        values = f"list_transform({items}, lambda {x}: {element.value})"
        return _elements(t, kind, f"list_transform({items}, lambda {x}: {element.bad})", values)

    def _map(self, t: str, dtype: T.MapType) -> Converted:
        if not isinstance(dtype.keyType, T.StringType):
            raise IllegalArgumentException(
                "The JSON data source supports maps with string keys only, "
                f"not {dtype.simpleString()}."
            )
        x = self._lambda()
        entry = self.convert(f"{x}.value", dtype.valueType)
        kind = f"starts_with({t}, '{{')"
        items = f"map_entries(json_transform({t}, '\"MAP(VARCHAR, JSON)\"'))"
        items = f"CASE WHEN {kind} THEN {items} END"
        pair = f"struct_pack(key := {x}.key, value := {entry.value})"
        values = f"map_from_entries(list_transform({items}, lambda {x}: {pair}))"
        return _elements(t, kind, f"list_transform({items}, lambda {x}: {entry.bad})", values)


def _elements(t: str, kind: str, bads: str, values: str) -> Converted:
    """An array or a map: NULL, and malformed, when it is not of its ``kind`` (an array, an
    object) or when one of its elements is malformed (``bads``: each element's flag)."""
    if bads.endswith(": false)"):
        return Converted(values, f"({t} IS NOT NULL AND NOT {kind})")
    any_bad = f"coalesce(list_bool_or({bads}), false)"
    return Converted(
        f"CASE WHEN NOT {any_bad} THEN {values} END",
        f"({t} IS NOT NULL AND (NOT {kind} OR {any_bad}))",
    )


def _integer(t: str) -> str:
    """The token is an integer (DuckDB writes a float token with '.' or 'e')."""
    return f"NOT (contains({t}, '.') OR contains({t}, 'e') OR contains({t}, 'E'))"


def _partial(s: str, sql_type: str) -> str:
    """``s`` cast as Spark's string cast reads dates: ``2024`` and ``2024-05`` are allowed."""
    return (
        f"coalesce(try_cast({s} AS {sql_type}), try_cast({s} || '-01' AS {sql_type}), "
        f"try_cast({s} || '-01-01' AS {sql_type}))"
    )


def _floating(t: str, sql_type: str) -> str:
    specials = " ".join(
        f"WHEN {quote_literal(json.dumps(s))} THEN '{v}'::{sql_type}"
        for s, v in _SPECIAL_DOUBLES.items()
    )
    # A number token first (the usual case); the special strings are quoted, so never numbers.
    return f"coalesce(try_cast({t} AS {sql_type}), CASE {t} {specials} END)"


def _pattern(options: dict[str, str], key: str) -> str | None:
    pattern = options.get(key)
    if pattern is None:
        return None
    try:
        return spark_to_strftime(pattern)
    except ValueError as error:
        raise IllegalArgumentException(f"Invalid {key} pattern {pattern!r}: {error}") from None
