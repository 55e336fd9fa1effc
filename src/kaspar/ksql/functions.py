"""ksqlDB's function list: every scalar, aggregate and table function by name, with its
category, description and signatures (``SHOW FUNCTIONS``, ``DESCRIBE FUNCTION``), and how it is
built on the engine.

A function whose meaning is Spark's (``ABS``, ``SUBSTRING``, ``ARRAY_UNION``, ``SUM`` ...) has no
builder: sqlglot parses it as the engine's own. A function with a builder
(``function_builders.py``) is parsed as an anonymous call (``dialect.py`` reads ``BUILT``) and
``expressions.py`` replaces the call by the builder's expression, so every function runs as the
engine's vectorised expressions over whole batches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kaspar.ksql import function_builders as b
from kaspar.ksql.errors import KsqlError
from kaspar.sql import functions as F


@dataclass(frozen=True)
class Function:
    name: str
    kind: str  # SCALAR, AGGREGATE, TABLE
    category: str
    description: str
    signatures: tuple[str, ...]  # "col1 DOUBLE, scale INT => DOUBLE"
    build: b.Builder | None = None


FUNCTIONS: dict[str, Function] = {}


def _add(
    name: str,
    category: str,
    description: str,
    *signatures: str,
    build: b.Builder | None = None,
    kind: str = "SCALAR",
) -> None:
    FUNCTIONS[name] = Function(name, kind, category, description, signatures, build)


MATH, STRING, TIME, ARRAY, MAP = "MATHEMATICAL", "STRING", "DATE / TIME", "ARRAY", "MAP"
JSON, REGEX, URL, LAMBDA, OTHER = "JSON", "REGULAR EXPRESSION", "URL", "LAMBDA", "OTHER"
CONVERSIONS, NULLS, AGG, TABLE = "CONVERSIONS", "NULL", "AGGREGATE", "TABLE"

# -- numeric
_add(
    "ABS",
    MATH,
    "Returns the absolute value of its argument.",
    "col1 DOUBLE => DOUBLE",
    "col1 INT => INT",
    "col1 BIGINT => BIGINT",
    "col1 DECIMAL => DECIMAL",
)
for _name, _what in (("ACOS", "inverse cosine"), ("ASIN", "inverse sine"),
                     ("ATAN", "inverse tangent"), ("COS", "cosine"), ("COSH", "hyperbolic cosine"),
                     ("COT", "cotangent"), ("SIN", "sine"), ("SINH", "hyperbolic sine"),
                     ("TAN", "tangent"), ("TANH", "hyperbolic tangent"),
                     ("DEGREES", "value in degrees of an angle in radians"),
                     ("RADIANS", "value in radians of an angle in degrees"),
                     ("CBRT", "cube root"), ("EXP", "exponential"),
                     ("SQRT", "square root")):  # fmt: skip
    _add(_name, MATH, f"Returns the {_what} of its argument.", "col1 DOUBLE => DOUBLE")
_add(
    "ATAN2",
    MATH,
    "Returns the inverse tangent of y / x, in radians.",
    "y DOUBLE, x DOUBLE => DOUBLE",
)
_add(
    "CEIL",
    MATH,
    "Returns the smallest integer value greater than or equal to its argument.",
    "col1 DOUBLE => DOUBLE",
)
_add(
    "FLOOR",
    MATH,
    "Returns the largest integer value less than or equal to its argument.",
    "col1 DOUBLE => DOUBLE",
)
_add(
    "GENERATE_SERIES",
    MATH,
    "Constructs an array of values from start to end, inclusive.",
    "start INT, end INT => ARRAY<INT>",
    "start INT, end INT, step INT => ARRAY<INT>",
    "start BIGINT, end BIGINT, step INT => ARRAY<BIGINT>",
    build=b.generate_series,
)
_add(
    "GEO_DISTANCE",
    MATH,
    "The great-circle distance between two lat/long points, in KM (the default) or MILES.",
    "lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE => DOUBLE",
    "lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE, units VARCHAR => DOUBLE",
    build=b.geo_distance,
)
_add(
    "GREATEST",
    MATH,
    "Returns the largest non-null value of its arguments.",
    "val1 T, vals T... => T",
)
_add(
    "LEAST", MATH, "Returns the smallest non-null value of its arguments.", "val1 T, vals T... => T"
)
_add(
    "LN",
    MATH,
    "Returns the natural logarithm of its argument.",
    "col1 DOUBLE => DOUBLE",
    build=b.ln,
)
_add(
    "LOG",
    MATH,
    "Returns the base 10 logarithm of value, or its logarithm in the given base.",
    "value DOUBLE => DOUBLE",
    "base DOUBLE, value DOUBLE => DOUBLE",
    build=b.log,
)
_add("PI", MATH, "Returns an approximate value of pi.", " => DOUBLE")
_add(
    "POWER",
    MATH,
    "Returns base raised to the power exponent.",
    "base DOUBLE, exponent DOUBLE => DOUBLE",
)
_add(
    "RANDOM",
    MATH,
    "Returns a random DOUBLE between 0.0 and 1.0.",
    " => DOUBLE",
    build=lambda a: F.rand(),
)
_add(
    "ROUND",
    MATH,
    "Rounds a value to a number of decimal places; ties towards positive infinity.",
    "val DOUBLE => BIGINT",
    "val DOUBLE, decimals INT => DOUBLE",
    build=b.round_,
)
_add(
    "SIGN",
    MATH,
    "Returns the sign of its argument: -1, 0 or 1.",
    "col1 DOUBLE => INT",
    build=b.sign,
)

# -- collections
_add(
    "ARRAY_CONCAT",
    ARRAY,
    "Concatenates two arrays; NULL only if both are.",
    "array1 ARRAY<T>, array2 ARRAY<T> => ARRAY<T>",
    build=b.array_concat,
)
_add(
    "ARRAY_CONTAINS",
    ARRAY,
    "Whether the array contains the value.",
    "array ARRAY<T>, val T => BOOLEAN",
)
_add(
    "ARRAY_DISTINCT",
    ARRAY,
    "The distinct values of an array, in first-seen order.",
    "array ARRAY<T> => ARRAY<T>",
    build=b.array_distinct,
)
_add(
    "ARRAY_EXCEPT",
    ARRAY,
    "The distinct values of the first array not in the second.",
    "left ARRAY<T>, right ARRAY<T> => ARRAY<T>",
)
_add(
    "ARRAY_INTERSECT",
    ARRAY,
    "The distinct values in both arrays.",
    "left ARRAY<T>, right ARRAY<T> => ARRAY<T>",
)
_add(
    "ARRAY_JOIN",
    ARRAY,
    "Joins the elements of an array into a string (delimiter ',').",
    "array ARRAY<T> => VARCHAR",
    "array ARRAY<T>, delimiter VARCHAR => VARCHAR",
    build=b.array_join,
)
_add(
    "ARRAY_LENGTH",
    ARRAY,
    "The number of elements of an array; NULL for NULL.",
    "array ARRAY<T> => INT",
    build=b.array_length,
)
_add("ARRAY_MAX", ARRAY, "The largest non-null element of an array.", "array ARRAY<T> => T")
_add("ARRAY_MIN", ARRAY, "The smallest non-null element of an array.", "array ARRAY<T> => T")
_add(
    "ARRAY_REMOVE",
    ARRAY,
    "Removes the elements equal to the given one (NULLs too).",
    "array ARRAY<T>, victim T => ARRAY<T>",
    build=b.array_remove,
)
_add(
    "ARRAY_SORT",
    ARRAY,
    "Sorts an array ASC (the default) or DESC, NULLs last.",
    "array ARRAY<T> => ARRAY<T>",
    "array ARRAY<T>, direction VARCHAR => ARRAY<T>",
    build=b.array_sort,
)
_add(
    "ARRAY_UNION",
    ARRAY,
    "The distinct values of both arrays, in first-seen order.",
    "left ARRAY<T>, right ARRAY<T> => ARRAY<T>",
)
_add(
    "AS_MAP",
    MAP,
    "Builds a map from an array of keys and an array of values.",
    "keys ARRAY<VARCHAR>, values ARRAY<T> => MAP<VARCHAR, T>",
    build=lambda a: F.map_from_arrays(a[0], a[1]),
)
_add(
    "ELT",
    STRING,
    "Returns the n-th of the strings (1-based), NULL out of range.",
    "n INT, args VARCHAR... => VARCHAR",
    build=b.elt,
)
_add(
    "FIELD",
    STRING,
    "The 1-based position of str among the strings, 0 if absent.",
    "str VARCHAR, args VARCHAR... => INT",
    build=b.field,
)
_add(
    "ENTRIES",
    MAP,
    "An array of STRUCT<K, V> of a map's entries, sorted by key if asked.",
    "map MAP<VARCHAR, T>, sorted BOOLEAN => ARRAY<STRUCT<K VARCHAR, V T>>",
    build=b.entries,
)
_add(
    "JSON_ARRAY_CONTAINS",
    JSON,
    "Whether a JSON array contains the value.",
    "jsonArray VARCHAR, val T => BOOLEAN",
    build=b.json_array_contains,
)
_add("MAP_KEYS", MAP, "The keys of a map.", "map MAP<K, V> => ARRAY<K>")
_add("MAP_VALUES", MAP, "The values of a map.", "map MAP<K, V> => ARRAY<V>")
_add(
    "MAP_UNION",
    MAP,
    "The union of two maps, the second's value winning.",
    "map1 MAP<K, V>, map2 MAP<K, V> => MAP<K, V>",
    build=b.map_union,
)
_add(
    "SLICE",
    ARRAY,
    "The elements from position from to position to (1-based, inclusive).",
    "array ARRAY<T>, from INT, to INT => ARRAY<T>",
    build=b.slice_,
)

# -- lambdas
_add(
    "TRANSFORM",
    LAMBDA,
    "Transforms each element of an array, or each key and value of a map.",
    "array ARRAY<T>, function LAMBDA => ARRAY<R>",
    "map MAP<K, V>, keyFunction LAMBDA, valueFunction LAMBDA => MAP<K2, V2>",
    build=b.transform,
)
_add(
    "FILTER",
    LAMBDA,
    "Keeps the elements of an array, or the entries of a map, for which the lambda is true.",
    "array ARRAY<T>, function LAMBDA => ARRAY<T>",
    "map MAP<K, V>, function LAMBDA => MAP<K, V>",
    build=b.filter_,
)
_add(
    "REDUCE",
    LAMBDA,
    "Reduces an array or a map to one value from an initial state.",
    "array ARRAY<T>, initial S, function LAMBDA => S",
    "map MAP<K, V>, initial S, function LAMBDA => S",
    build=b.reduce,
)

# -- strings
_add(
    "CHR",
    STRING,
    "The character of a Unicode code point, or of a '\\uXXXX' string.",
    "decimalCode INT => VARCHAR",
    "utfString VARCHAR => VARCHAR",
    build=b.chr_,
)
_add(
    "CONCAT",
    STRING,
    "Concatenates strings; NULLs count as empty strings.",
    "inputs VARCHAR... => VARCHAR",
    build=b.concat,
)
_add(
    "CONCAT_WS",
    STRING,
    "Concatenates strings with a separator, skipping NULLs.",
    "separator VARCHAR, inputs VARCHAR... => VARCHAR",
)
_add(
    "ENCODE",
    STRING,
    "Re-encodes a string from one of hex, utf8, ascii, base64 to another.",
    "str VARCHAR, inputEncoding VARCHAR, outputEncoding VARCHAR => VARCHAR",
    build=b.encode,
)
_add(
    "FROM_BYTES",
    CONVERSIONS,
    "Converts BYTES to a string in hex, utf8, ascii or base64.",
    "bytes BYTES, encoding VARCHAR => VARCHAR",
    build=lambda a: b.from_bytes(a[0], b.encoding(a[1])),
)
_add(
    "TO_BYTES",
    CONVERSIONS,
    "Converts a string in hex, utf8, ascii or base64 to BYTES.",
    "str VARCHAR, encoding VARCHAR => BYTES",
    build=lambda a: b.to_bytes(a[0], b.encoding(a[1])),
)
_add(
    "INITCAP",
    STRING,
    "Capitalizes the first letter of each word, lower-cases the rest.",
    "str VARCHAR => VARCHAR",
)
_add(
    "INSTR",
    STRING,
    "The 1-based position of a substring (from a position, the n-th occurrence), 0 if absent.",
    "str VARCHAR, substring VARCHAR => INT",
    "str VARCHAR, substring VARCHAR, position INT => INT",
    "str VARCHAR, substring VARCHAR, position INT, occurrence INT => INT",
    build=b.instr,
)
_add("LCASE", STRING, "Converts a string to lower case.", "input VARCHAR => VARCHAR")
_add("UCASE", STRING, "Converts a string to upper case.", "input VARCHAR => VARCHAR")
_add("LEN", STRING, "The length of a string.", "input VARCHAR => INT")
_add(
    "LPAD",
    STRING,
    "Pads a string on the left to a length (NULL for an empty padding).",
    "input VARCHAR, length INT, padding VARCHAR => VARCHAR",
    build=b.pad(left=True),
)
_add(
    "RPAD",
    STRING,
    "Pads a string on the right to a length (NULL for an empty padding).",
    "input VARCHAR, length INT, padding VARCHAR => VARCHAR",
    build=b.pad(left=False),
)
_MASK_ARGS = "upper VARCHAR, lower VARCHAR, digit VARCHAR, other VARCHAR"
_add(
    "MASK",
    STRING,
    "Masks upper-case, lower-case, digit and other characters (X, x, n, -).",
    "input VARCHAR => VARCHAR",
    f"input VARCHAR, {_MASK_ARGS} => VARCHAR",
    build=b.mask,
)
for _name, _keep, _left, _what in (
    ("MASK_KEEP_LEFT", True, True, "all but the first n characters"),
    ("MASK_KEEP_RIGHT", True, False, "all but the last n characters"),
    ("MASK_LEFT", False, True, "the first n characters"),
    ("MASK_RIGHT", False, False, "the last n characters"),
):
    _add(
        _name,
        STRING,
        f"Masks {_what}.",
        "input VARCHAR, numChars INT => VARCHAR",
        f"input VARCHAR, numChars INT, {_MASK_ARGS} => VARCHAR",
        build=b.mask_part(keep=_keep, left=_left),
    )
_add(
    "REPLACE",
    STRING,
    "Replaces every occurrence of a substring.",
    "str VARCHAR, substring VARCHAR, replacement VARCHAR => VARCHAR",
)
_add(
    "SPLIT",
    STRING,
    "Splits a string at a delimiter into an array.",
    "string VARCHAR, delimiter VARCHAR => ARRAY<VARCHAR>",
    build=b.split,
)
_add(
    "SPLIT_TO_MAP",
    STRING,
    "Splits a string into key-value pairs (the last value of a key).",
    "input VARCHAR, entryDelimiter VARCHAR, kvDelimiter VARCHAR => MAP<VARCHAR, VARCHAR>",
    build=b.split_to_map,
)
_add(
    "SUBSTRING",
    STRING,
    "The part of a string from a 1-based position, of a length.",
    "str VARCHAR, pos INT => VARCHAR",
    "str VARCHAR, pos INT, length INT => VARCHAR",
)
_add("TRIM", STRING, "Removes the spaces at both ends of a string.", "input VARCHAR => VARCHAR")
_add(
    "UUID",
    STRING,
    "A random (version 4) UUID.",
    " => VARCHAR",
    build=lambda a: F.expr("uuid()").cast("string"),
)
_add(
    "REGEXP_EXTRACT",
    REGEX,
    "The first match of a pattern (or its group) in the input.",
    "pattern VARCHAR, input VARCHAR => VARCHAR",
    "pattern VARCHAR, input VARCHAR, group INT => VARCHAR",
    build=b.regexp_extract,
)
_add(
    "REGEXP_EXTRACT_ALL",
    REGEX,
    "Every match of a pattern (or its group) in the input.",
    "pattern VARCHAR, input VARCHAR => ARRAY<VARCHAR>",
    "pattern VARCHAR, input VARCHAR, group INT => ARRAY<VARCHAR>",
    build=b.regexp_extract_all,
)
_add(
    "REGEXP_REPLACE",
    REGEX,
    "Replaces every match of a pattern.",
    "input VARCHAR, regex VARCHAR, replacement VARCHAR => VARCHAR",
)
_add(
    "REGEXP_SPLIT_TO_ARRAY",
    REGEX,
    "Splits a string at the matches of a pattern.",
    "string VARCHAR, regexp VARCHAR => ARRAY<VARCHAR>",
    build=lambda a: F.split(a[0], b.literal_text(a[1], "The pattern"), -1),
)

for _name, _type, _build in (
    ("INT_FROM_BYTES", "INT", b.int_from_bytes(32, "INT_FROM_BYTES")),
    ("BIGINT_FROM_BYTES", "BIGINT", b.int_from_bytes(64, "BIGINT_FROM_BYTES")),
    ("DOUBLE_FROM_BYTES", "DOUBLE", b.double_from_bytes),
):
    _add(
        _name,
        "BYTES",
        f"Converts {'4' if _type == 'INT' else '8'} bytes to a(n) {_type} in "
        "a byte order (BIG_ENDIAN, the default, or LITTLE_ENDIAN); NULL for another length.",
        f"bytes BYTES => {_type}",
        f"bytes BYTES, byteOrder VARCHAR => {_type}",
        build=_build,
    )

# -- JSON
_add(
    "EXTRACTJSONFIELD",
    JSON,
    "The value at a JSONPath of a JSON string, as a string.",
    "input VARCHAR, path VARCHAR => VARCHAR",
    build=lambda a: F.get_json_object(a[0], b.literal_text(a[1], "The JSONPath")),
)
_add(
    "IS_JSON_STRING",
    JSON,
    "Whether the string is one valid JSON value.",
    "json VARCHAR => BOOLEAN",
    build=b.is_json_string,
)
_add(
    "JSON_ARRAY_LENGTH",
    JSON,
    "The length of a JSON array; NULL if not one.",
    "json VARCHAR => INT",
    build=lambda a: F.when(F.ltrim(a[0]).startswith("["), F.json_array_length(a[0])),
)
_add(
    "JSON_CONCAT",
    JSON,
    "Concatenates JSON values as PostgreSQL's || does.",
    "jsonStrings VARCHAR... => VARCHAR",
    build=b.json_concat,
)
_add(
    "JSON_KEYS",
    JSON,
    "The top-level keys of a JSON object; NULL if not one.",
    "json VARCHAR => ARRAY<VARCHAR>",
    build=lambda a: F.when(F.ltrim(a[0]).startswith("{"), F.json_object_keys(a[0])),
)
_add(
    "JSON_RECORDS",
    JSON,
    "The top-level entries of a JSON object, values as JSON text.",
    "json VARCHAR => MAP<VARCHAR, VARCHAR>",
    build=b.json_records,
)
_add(
    "TO_JSON_STRING",
    JSON,
    "Any value as its JSON text.",
    "input T => VARCHAR",
    build=b.to_json_string,
)

# -- nulls, other
_add("COALESCE", NULLS, "The first non-null argument.", "first T, others T... => T")
_add(
    "IFNULL",
    NULLS,
    "The expression, or the alternative if it is NULL.",
    "expression T, altValue T => T",
)
_add("NULLIF", NULLS, "NULL if both arguments are equal, else the first.", "expr1 T, expr2 T => T")
_add("AS_VALUE", OTHER, "Copies a key column into the value.", "key T => T", build=lambda a: a[0])

# -- dates and times
_add(
    "CONVERT_TZ",
    TIME,
    "Converts a TIMESTAMP from one time zone to another.",
    "ts TIMESTAMP, fromTz VARCHAR, toTz VARCHAR => TIMESTAMP",
    build=b.convert_tz,
)
for _name, _sign, _what in (("DATEADD", 1, "Adds"), ("DATESUB", -1, "Subtracts")):
    _add(
        _name,
        TIME,
        f"{_what} an interval in a time unit (DAYS ...) to a DATE.",
        "unit INTERVALUNIT, interval INT, date DATE => DATE",
        build=b.date_shift(_sign, _name),
    )
for _name, _sign, _what in (("TIMESTAMPADD", 1, "Adds"), ("TIMESTAMPSUB", -1, "Subtracts")):
    _add(
        _name,
        TIME,
        f"{_what} an interval in a time unit (HOURS ...) to a TIMESTAMP.",
        "unit INTERVALUNIT, interval BIGINT, ts TIMESTAMP => TIMESTAMP",
        build=b.timestamp_shift(_sign, _name),
    )
_add(
    "FORMAT_DATE",
    TIME,
    "A DATE as a string in a DateTimeFormatter pattern.",
    "date DATE, format VARCHAR => VARCHAR",
    build=lambda a: F.date_format(a[0], b.literal_text(a[1])),
)
_add(
    "FORMAT_TIMESTAMP",
    TIME,
    "A TIMESTAMP as a string in a pattern, in a time zone.",
    "ts TIMESTAMP, format VARCHAR => VARCHAR",
    "ts TIMESTAMP, format VARCHAR, timeZone VARCHAR => VARCHAR",
    build=b.format_timestamp,
)
_add(
    "FROM_DAYS",
    TIME,
    "The DATE a number of days after 1970-01-01.",
    "days INT => DATE",
    build=lambda a: F.date_from_unix_date(a[0]),
)
_add(
    "FROM_UNIXTIME",
    TIME,
    "The TIMESTAMP of a number of milliseconds since the epoch.",
    "epochMilli BIGINT => TIMESTAMP",
    build=lambda a: F.timestamp_millis(a[0]),
)
_add(
    "PARSE_DATE",
    TIME,
    "Parses a string in a pattern as a DATE.",
    "formattedDate VARCHAR, format VARCHAR => DATE",
    build=lambda a: F.to_date(a[0], b.literal_text(a[1])),
)
_add(
    "PARSE_TIMESTAMP",
    TIME,
    "Parses a string in a pattern (and time zone) as a TIMESTAMP.",
    "formattedTs VARCHAR, format VARCHAR => TIMESTAMP",
    "formattedTs VARCHAR, format VARCHAR, timeZone VARCHAR => TIMESTAMP",
    build=b.parse_timestamp,
)
_add(
    "UNIX_DATE",
    TIME,
    "The days since 1970-01-01 of a DATE (or of today).",
    " => INT",
    "date DATE => INT",
    build=b.unix_date,
)
_add(
    "UNIX_TIMESTAMP",
    TIME,
    "The milliseconds since the epoch of a TIMESTAMP (or of now).",
    " => BIGINT",
    "ts TIMESTAMP => BIGINT",
    build=b.unix_timestamp,
)
_add(
    "DATETOSTRING",
    TIME,
    "Deprecated: days since the epoch as a date string.",
    "epochDays INT, format VARCHAR => VARCHAR",
    build=lambda a: F.date_format(F.timestamp_millis(a[0] * b.DAY_MS), b.literal_text(a[1])),
)
_add(
    "STRINGTODATE",
    TIME,
    "Deprecated: a date string as days since the epoch.",
    "formattedDate VARCHAR, format VARCHAR => INT",
    build=lambda a: F.unix_date(F.to_date(a[0], b.literal_text(a[1]))),
)
_add(
    "STRINGTOTIMESTAMP",
    TIME,
    "Deprecated: a timestamp string as ms since the epoch.",
    "formattedTs VARCHAR, format VARCHAR => BIGINT",
    "formattedTs VARCHAR, format VARCHAR, timeZone VARCHAR => BIGINT",
    build=b.string_to_timestamp,
)
_add(
    "TIMESTAMPTOSTRING",
    TIME,
    "Deprecated: ms since the epoch as a timestamp string.",
    "epochMilli BIGINT, format VARCHAR => VARCHAR",
    "epochMilli BIGINT, format VARCHAR, timeZone VARCHAR => VARCHAR",
    build=b.timestamp_to_string,
)

# -- URLs
_add(
    "URL_DECODE_PARAM",
    URL,
    "Decodes a URL-param-encoded (form) string.",
    "input VARCHAR => VARCHAR",
    build=lambda a: F.url_decode(a[0]),
)
_add(
    "URL_ENCODE_PARAM",
    URL,
    "Encodes a string for a URL query parameter (form encoding).",
    "input VARCHAR => VARCHAR",
    build=lambda a: F.url_encode(a[0]),
)
for _name, _part, _decode in (("URL_EXTRACT_FRAGMENT", "REF", True),
                              ("URL_EXTRACT_HOST", "HOST", False),
                              ("URL_EXTRACT_PATH", "PATH", False),
                              ("URL_EXTRACT_PROTOCOL", "PROTOCOL", False),
                              ("URL_EXTRACT_QUERY", "QUERY", True)):  # fmt: skip
    _add(
        _name,
        URL,
        f"The {_part.lower()} part of a URL; NULL if none or not a URL.",
        "input VARCHAR => VARCHAR",
        build=b.url_part(_part, _decode),
    )
_add(
    "URL_EXTRACT_PORT",
    URL,
    "The explicit port of a URL; NULL if none or not a URL.",
    "input VARCHAR => INT",
    build=b.url_extract_port,
)
_add(
    "URL_EXTRACT_PARAMETER",
    URL,
    "The decoded value of a query parameter of a URL.",
    "input VARCHAR, paramToFind VARCHAR => VARCHAR",
    build=b.url_extract_parameter,
)

# -- aggregates
for _name, _text, _sig in (
    ("AVG", "The average of the values.", "val DOUBLE => DOUBLE"),
    ("COLLECT_LIST", "An array of every value.", "col1 T => ARRAY<T>"),
    ("COLLECT_SET", "An array of the distinct values.", "col1 T => ARRAY<T>"),
    ("COUNT", "The number of rows (of non-null values).", "col1 T => BIGINT"),
    ("MAX", "The largest non-null value.", "col1 T => T"),
    ("MIN", "The smallest non-null value.", "col1 T => T"),
    ("SUM", "The sum of the non-null values.", "col1 T => T"),
):
    _add(_name, AGG, _text, _sig, kind="AGGREGATE")
_add(
    "COUNT_DISTINCT",
    AGG,
    "The approximate number of distinct values (HyperLogLog).",
    "col1 T => BIGINT",
    kind="AGGREGATE",
    build=b.count_distinct,
)
_add(
    "CORRELATION",
    AGG,
    "The Pearson correlation of two columns.",
    "x DOUBLE, y DOUBLE => DOUBLE",
    kind="AGGREGATE",
    build=b.correlation,
)
for _name, _text, _engine in (
    ("STDDEV_SAMP", "The sample standard deviation.", F.stddev_samp),
    ("STDDEV_SAMPLE", "The sample standard deviation.", F.stddev_samp),
    ("STDDEV_POP", "The population standard deviation.", F.stddev_pop),
    ("VARIANCE", "The sample variance.", F.var_samp),
):
    _add(
        _name,
        AGG,
        _text,
        "val DOUBLE => DOUBLE",
        kind="AGGREGATE",
        build=b.unary(_engine),
    )
for _name, _latest in (("EARLIEST_BY_OFFSET", False), ("LATEST_BY_OFFSET", True)):
    _which = "latest" if _latest else "earliest"
    _add(
        _name,
        AGG,
        f"The {_which} value by offset, or the {_which} n values; NULLs ignored "
        "unless ignoreNulls is false.",
        "val T => T",
        "val T, ignoreNulls BOOLEAN => T",
        "val T, n INT => ARRAY<T>",
        "val T, n INT, ignoreNulls BOOLEAN => ARRAY<T>",
        kind="AGGREGATE",
        build=b.by_offset(_latest),
    )
_add(
    "HISTOGRAM",
    AGG,
    "A map of each distinct value to its count.",
    "col1 VARCHAR => MAP<VARCHAR, BIGINT>",
    kind="AGGREGATE",
    build=b.histogram,
)
_add(
    "TOPK",
    AGG,
    "The k largest values, largest first.",
    "col1 T, k INT => ARRAY<T>",
    kind="AGGREGATE",
    build=b.top_k(distinct=False),
)
_add(
    "TOPKDISTINCT",
    AGG,
    "The k largest distinct values, largest first.",
    "col1 T, k INT => ARRAY<T>",
    kind="AGGREGATE",
    build=b.top_k(distinct=True),
)

# -- table functions
_add("EXPLODE", TABLE, "One row per element of an array.", "list ARRAY<T> => T", kind="TABLE")

BUILT = tuple(name for name, f in FUNCTIONS.items() if f.build is not None)
AGGREGATES = frozenset(name for name, f in FUNCTIONS.items() if f.kind == "AGGREGATE")


def builder(name: str) -> b.Builder | None:
    """The function's builder; for one that is Spark's but reached here as an anonymous call
    (sqlglot has no node for it: ``ARRAY_UNION`` ...), the engine's function of that name."""
    found = FUNCTIONS.get(name.upper())
    if found is None:
        return None
    if found.build is not None:
        return found.build
    engine_function = getattr(F, name.lower(), None)
    if engine_function is None:
        return None
    return lambda args: engine_function(*args)


def is_aggregate_name(name: str) -> bool:
    return name.upper() in AGGREGATES


# -- SHOW FUNCTIONS, DESCRIBE FUNCTION


def function_list(text: str) -> dict[str, Any]:
    return {
        "@type": "function_names",
        "statementText": text,
        "functions": [
            {"name": f.name, "category": f.category, "type": f.kind}
            for f in sorted(FUNCTIONS.values(), key=lambda f: f.name)
        ],
        "warnings": [],
    }


def describe_function(text: str, name: str) -> dict[str, Any]:
    found = FUNCTIONS.get(name.upper())
    if found is None:
        raise KsqlError(f"Can't find any functions with the name '{name.upper()}'")
    return {
        "@type": "describe_function",
        "statementText": text,
        "name": found.name,
        "description": found.description,
        "author": "Confluent",
        "version": "",
        "path": "internal",
        "functions": [_variant(s, found.description) for s in found.signatures],
        "type": found.kind,
        "warnings": [],
    }


def _variant(signature: str, description: str) -> dict[str, Any]:
    params, _, returns = signature.partition("=>")
    arguments = []
    for param in filter(None, (p.strip() for p in re.split(r",(?![^<]*>)", params))):
        name, _, kind = param.partition(" ")
        variadic = kind.endswith("...")
        arguments.append({"name": name, "type": kind.removesuffix("...").strip(),
                          "description": "", "isVariadic": variadic})  # fmt: skip
    return {
        "arguments": arguments,
        "returnType": returns.strip(),
        "description": description,
        "argumentTypes": [a["type"] for a in arguments],
    }
