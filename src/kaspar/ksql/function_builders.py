"""ksqlDB's functions whose meaning is not Spark's, built from the engine's functions.

Each builder takes the call's arguments as engine ``Column``s and returns one ``Column``: an
expression the engine compiles to DuckDB SQL and runs on whole batches (no Python per row).
``functions.py`` names them in its table; ``expressions.py`` calls them while rewriting a tree.
The rules followed are ksqlDB's documented ones (null handling, return types, argument order:
``REGEXP_EXTRACT(pattern, input)``, ``INSTR``'s backward search, ``ROUND``'s ties towards
positive infinity, ``LOG`` in base 10 with ``-Infinity``/``NaN`` rather than Spark's NULL, ...).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp

from kaspar.engine.compile.map_key_dedup import native_map_concat
from kaspar.ksql.errors import KsqlError
from kaspar.sql import functions as F
from kaspar.sql.column import Column

Builder = Callable[[list[Column]], Column]
OFFSET = "ROWOFFSET"
DAY_MS = 86_400_000
# ksqlDB's time units (java.util.concurrent.TimeUnit names) in ms; sub-ms units round down
UNIT_MS = {"DAYS": DAY_MS, "HOURS": 3_600_000, "MINUTES": 60_000, "SECONDS": 1_000,
           "MILLISECONDS": 1}  # fmt: skip
NAN, INF = float("nan"), float("inf")


# -- argument helpers


def literal_text(column: Column, what: str = "The format of a timestamp function") -> str:
    if not isinstance(column.expr, exp.Literal) or not column.expr.is_string:
        raise KsqlError(f"{what} must be a string literal")
    return str(column.expr.this)


def literal_int(column: Column, what: str) -> int:
    node = column.expr
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and node.this.is_int:
        return -int(node.this.this)
    if not isinstance(node, exp.Literal) or not node.is_int:
        raise KsqlError(f"{what} must be a whole number")
    return int(node.this)


def literal_bool(column: Column) -> bool | None:
    """A TRUE/FALSE literal's value; None for anything else."""
    node = column.expr
    return bool(node.this) if isinstance(node, exp.Boolean) else None


def _word(column: Column, what: str) -> str:
    """A bare word (``DAYS``, ``ASC``) or a string literal, upper-cased."""
    node = column.expr
    if isinstance(node, exp.Column) and not node.table:
        return str(node.name).upper()
    return literal_text(column, what).upper()


def arity(name: str, args: list[Column], low: int, high: int) -> None:
    if not low <= len(args) <= high:
        raise KsqlError(f"Function '{name}' does not accept parameters of the given count "
                        f"({len(args)})")  # fmt: skip


def unary(function: Callable[[Column], Column]) -> Builder:
    """The engine's one-argument function as a builder."""
    return lambda args: function(args[0])


def _null() -> Column:
    return F.lit(None)


def _n(column: Column) -> Any:
    """A column where the engine's function is typed for an int (it takes a column too)."""
    return column


# -- strings


def concat(args: list[Column]) -> Column:
    """NULL inputs count as empty strings (Spark's concat is NULL then)."""
    return F.concat(*(F.coalesce(a, F.lit("")) for a in args))


def _utf8_char(code: Column) -> Column:
    """The one-character string of a Unicode code point, its UTF-8 bytes built arithmetically
    (Spark's ``chr`` takes the code modulo 256); NULL for an invalid code point."""

    def byte(value: Column) -> Column:
        return F.lpad(F.hex(value), 2, "0")

    c = code.cast("bigint")
    cont = [byte(F.lit(0x80) + F.floor(c / 64**k) % 64) for k in range(3)]
    utf8 = (
        F.when(c < 0x80, byte(c))
        .when(c < 0x800, F.concat(byte(0xC0 + F.floor(c / 64)), cont[0]))
        .when(c < 0x10000, F.concat(byte(0xE0 + F.floor(c / 4096)), cont[1], cont[0]))
        .otherwise(F.concat(byte(0xF0 + F.floor(c / 262_144)), cont[2], cont[1], cont[0]))
    )
    valid = (c >= 0) & (c <= 0x10FFFF) & ~((c >= 0xD800) & (c <= 0xDFFF))
    return F.when(valid, F.decode(F.unhex(utf8), "UTF-8"))


def chr_(args: list[Column]) -> Column:
    """``CHR(75)`` or ``CHR('\\u004b')``: a literal string is a ``\\uXXXX`` escape."""
    node = args[0].expr
    if isinstance(node, exp.Literal) and node.is_string:
        text = str(node.this)
        if not re.fullmatch(r"\\u[0-9a-fA-F]{4}", text):
            return _null().cast("string")
        return _utf8_char(F.lit(int(text[2:], 16)))
    return _utf8_char(args[0])


ENCODINGS = ("hex", "utf8", "ascii", "base64")


def encoding(column: Column) -> str:
    name = literal_text(column, "An encoding").lower()
    if name not in ENCODINGS:
        raise KsqlError(f"Supported input and output encodings are: {', '.join(ENCODINGS)}")
    return name


def to_bytes(text: Column, encoding: str) -> Column:
    if encoding == "hex":
        return F.unhex(text)
    if encoding == "base64":
        return F.unbase64(text)
    return F.encode(text, "UTF-8" if encoding == "utf8" else "US-ASCII")


def from_bytes(data: Column, encoding: str) -> Column:
    if encoding == "hex":
        return F.lower(F.hex(data))
    if encoding == "base64":
        return F.base64(data)
    return F.decode(data, "UTF-8" if encoding == "utf8" else "US-ASCII")


def encode(args: list[Column]) -> Column:
    return from_bytes(to_bytes(args[0], encoding(args[1])), encoding(args[2]))


def instr(args: list[Column]) -> Column:
    """``INSTR(string, substring[, position[, occurrence]])``, 1-based, 0 when not found; a
    negative position searches backwards from that many characters before the end."""
    arity("INSTR", args, 2, 4)
    text, sub = args[0], args[1]
    if len(args) == 2:
        return F.instr(text, sub)
    position, occurrence = args[2], args[3] if len(args) > 3 else F.lit(1)
    starts = F.filter(  # where each occurrence starts
        F.sequence(F.lit(1), F.greatest(F.length(text), F.lit(1))),
        lambda i: F.substring(text, _n(i), _n(F.length(sub))) == sub,
    )
    forward = F.filter(starts, lambda i: i >= position)
    backward = F.sort_array(
        F.filter(starts, lambda i: i <= F.length(text) + position + 1), asc=False
    )
    found = F.get(F.when(position >= 0, forward).otherwise(backward), occurrence - 1)
    return F.when(text.isNull() | sub.isNull(), None).otherwise(F.coalesce(found, F.lit(0)))


def pad(left: bool) -> Builder:
    def build(args: list[Column]) -> Column:
        text, length, padding = args
        padded = (F.lpad if left else F.rpad)(text, _n(length), padding)
        return F.when((padding == "") | (length < 0), None).otherwise(padded)

    return build


MASK_DEFAULTS = ("X", "x", "n", "-")


def _mask_with(args: list[Column]) -> Callable[[Column], Column]:
    """The mask of ``MASK(col, upper, lower, digit, other)``'s characters (ksqlDB's defaults
    X, x, n, -; a NULL character leaves that kind of character as it is)."""
    given = [*args, *(F.lit(c) for c in MASK_DEFAULTS[len(args) :])]
    return lambda text: F.mask(text, *given[:4])


def mask(args: list[Column]) -> Column:
    return _mask_with(args[1:])(args[0])


def mask_part(keep: bool, left: bool) -> Builder:
    """MASK_KEEP_LEFT / MASK_KEEP_RIGHT (all but n characters masked) and MASK_LEFT /
    MASK_RIGHT (only n characters masked)."""

    def build(args: list[Column]) -> Column:
        text, n = args[0], F.greatest(args[1], F.lit(0))
        masked = _mask_with(args[2:])
        size = F.length(text)
        cut = n if left else F.greatest(size - n, F.lit(0))
        head = F.substring(text, 1, _n(cut))
        tail = F.substring(text, _n(cut + 1), _n(size))
        if keep == left:  # KEEP_LEFT and MASK_RIGHT keep the head
            return F.concat(head, masked(tail))
        return F.concat(masked(head), tail)

    return build


def regexp_extract(args: list[Column]) -> Column:
    """``REGEXP_EXTRACT(pattern, input[, group])``: the pattern first, as ksqlDB's UDF; NULL
    when nothing matches."""
    arity("REGEXP_EXTRACT", args, 2, 3)
    group = literal_int(args[2], "REGEXP_EXTRACT's group") if len(args) > 2 else 0
    pattern = literal_text(args[0], "REGEXP_EXTRACT's pattern")
    found = F.regexp_extract(args[1], pattern, group)
    return F.when(args[1].rlike(pattern), found)


def regexp_extract_all(args: list[Column]) -> Column:
    arity("REGEXP_EXTRACT_ALL", args, 2, 3)
    group = literal_int(args[2], "REGEXP_EXTRACT_ALL's group") if len(args) > 2 else 0
    pattern = literal_text(args[0], "REGEXP_EXTRACT_ALL's pattern")
    return F.regexp_extract_all(args[1], F.lit(pattern), F.lit(group))


def split(args: list[Column]) -> Column:
    """ksqlDB splits at a literal delimiter (Spark's ``split`` takes a regex)."""
    return F.split(args[0], re.escape(literal_text(args[1], "SPLIT's delimiter")))


def split_to_map(args: list[Column]) -> Column:
    """``SPLIT_TO_MAP(input, entryDelimiter, kvDelimiter)``: literal delimiters; an entry
    without the key-value delimiter is dropped, and a repeated key keeps its last value."""
    entry = literal_text(args[1], "SPLIT_TO_MAP's entry delimiter")
    pair = literal_text(args[2], "SPLIT_TO_MAP's key-value delimiter")
    if not entry or not pair:
        return _null().cast("map<string,string>")
    parts = F.filter(
        F.transform(F.split(args[0], re.escape(entry)), lambda e: F.split(e, re.escape(pair), 2)),
        lambda kv: F.size(kv) == 2,
    )
    keys = F.transform(parts, lambda kv: kv[0])
    last = F.filter(  # the entries whose key does not come again later
        F.sequence(F.lit(1), F.size(parts)),
        lambda i: (
            ~F.array_contains(F.slice(keys, _n(i + 1), _n(F.size(keys))), F.element_at(keys, i))
        ),
    )
    entries = F.transform(last, lambda i: F.element_at(parts, i))
    built = F.map_from_arrays(
        F.transform(entries, lambda kv: kv[0]), F.transform(entries, lambda kv: kv[1])
    )
    empty = F.create_map().cast("map<string,string>")
    return F.when(args[0].isNull(), None).when(F.size(parts) == 0, empty).otherwise(built)


def _byte_order(args: list[Column], function: str) -> str:
    order = literal_text(args[1], f"{function}'s byte order").upper() if len(args) > 1 else ""
    if order not in ("", "BIG_ENDIAN", "LITTLE_ENDIAN"):
        raise KsqlError(f"{function}'s byte order must be BIG_ENDIAN or LITTLE_ENDIAN")
    return order or "BIG_ENDIAN"


def _unsigned(args: list[Column], size: int, function: str) -> Column:
    """The bytes as an unsigned big number (DECIMAL(20, 0)); NULL unless ``size`` long."""
    digits = F.hex(args[0])
    if _byte_order(args, function) == "LITTLE_ENDIAN":
        digits = F.concat(*(F.substring(digits, 2 * i + 1, 2) for i in reversed(range(size))))
    value = F.conv(digits, 16, 10).cast("decimal(20,0)")
    return F.when(F.length(F.hex(args[0])) == 2 * size, value)


def int_from_bytes(bits: int, function: str) -> Builder:
    """INT_FROM_BYTES / BIGINT_FROM_BYTES: two's complement of 4 or 8 bytes."""

    def build(args: list[Column]) -> Column:
        arity(function, args, 1, 2)
        value = _unsigned(args, bits // 8, function)
        half, whole = F.lit(Decimal(2) ** (bits - 1)), F.lit(Decimal(2) ** bits)
        signed = F.when(value >= half, value - whole).otherwise(value)
        return signed.cast("int" if bits == 32 else "bigint")

    return build


def double_from_bytes(args: list[Column]) -> Column:
    """DOUBLE_FROM_BYTES: the IEEE 754 double of 8 bytes, from its sign, exponent and
    fraction bits."""
    arity("DOUBLE_FROM_BYTES", args, 1, 2)
    bits = _unsigned(args, 8, "DOUBLE_FROM_BYTES")
    two52 = F.lit(Decimal(2) ** 52)
    negative = bits >= F.lit(Decimal(2) ** 63)
    exponent = (F.floor(bits / two52) % 2048).cast("int")
    fraction = (bits % two52).cast("double") / F.lit(2.0**52)
    magnitude = (
        F.when(exponent == 0, fraction * F.lit(2.0**-1022))
        .when((exponent == 2047) & (fraction == 0), F.lit(INF))
        .when(exponent == 2047, F.lit(NAN))
        .otherwise((fraction + 1) * F.pow(F.lit(2.0), exponent - 1023))
    )
    return F.when(negative, -magnitude).otherwise(magnitude)


# -- numbers


def _java_ln(value: Column) -> Column:
    """Java's Math.log: -Infinity at 0, NaN below (Spark's ln is NULL for both)."""
    v = value.cast("double")
    return F.when(v > 0, F.ln(v)).when(v == 0, F.lit(-INF)).when(v < 0, F.lit(NAN))


def ln(args: list[Column]) -> Column:
    return _java_ln(args[0])


def log(args: list[Column]) -> Column:
    """``LOG(value)`` in base 10, ``LOG(base, value)``: -Infinity for a value of 0, NaN for a
    negative value or a base that is negative, 0 or 1."""
    arity("LOG", args, 1, 2)
    if len(args) == 1:
        v = args[0].cast("double")
        return F.when(v > 0, F.log10(v)).when(v == 0, F.lit(-INF)).when(v < 0, F.lit(NAN))
    base, value = args[0].cast("double"), args[1].cast("double")
    bad_base = (base <= 0) | (base == 1)
    return (
        F.when(base.isNull() | value.isNull(), None)
        .when(bad_base | (value < 0), F.lit(NAN))
        .when(value == 0, F.lit(-INF))
        .otherwise(F.log(base, value))
    )


def round_(args: list[Column]) -> Column:
    """Ties towards positive infinity (ROUND(-2.5) = -2, Spark's is -3); without a scale the
    result is a BIGINT, as ksqlDB's ROUND of a DOUBLE."""
    arity("ROUND", args, 1, 2)
    value = args[0]
    if len(args) == 1:
        return F.floor(value + F.lit(0.5)).cast("bigint")
    if not isinstance(args[1].expr, exp.Literal | exp.Neg):
        factor = F.pow(F.lit(10.0), args[1])
        up = F.floor(value * factor + F.lit(0.5)) / factor
        return F.when(value < 0, -(F.ceil(-value * factor - F.lit(0.5)) / factor)).otherwise(up)
    scale = literal_int(args[1], "ROUND's scale")
    exact = value.cast("decimal(38,10)")  # a DOUBLE's decimal digits, as Java's valueOf
    factor = F.lit(Decimal(10) ** scale)
    down = -(F.ceil(-exact * factor - F.lit(Decimal("0.5"))) / factor)  # ties towards zero
    rounded = F.when(value < 0, down).otherwise(F.round(exact, scale))
    return F.when(F.abs(value) < 1e27, rounded).otherwise(value).cast("double")


def sign(args: list[Column]) -> Column:
    return F.signum(args[0]).cast("int")


def generate_series(args: list[Column]) -> Column:
    """Both ends included; without a step, 1 or -1 towards the end."""
    arity("GENERATE_SERIES", args, 2, 3)
    start, end = args[0], args[1]
    step = args[2] if len(args) > 2 else F.when(end >= start, F.lit(1)).otherwise(F.lit(-1))
    return F.sequence(start, end, step.cast("int"))


EARTH_RADIUS = {"KM": 6371.0, "KILOMETER": 6371.0, "KILOMETERS": 6371.0, "KMS": 6371.0,
                "MILES": 3959.0, "MILE": 3959.0, "MI": 3959.0}  # fmt: skip


def geo_distance(args: list[Column]) -> Column:
    """The great-circle (haversine) distance between two lat/lon points in degrees, in KM
    (the default) or MILES."""
    arity("GEO_DISTANCE", args, 4, 5)
    unit = literal_text(args[4], "GEO_DISTANCE's unit").upper() if len(args) > 4 else "KM"
    if unit not in EARTH_RADIUS:
        raise KsqlError("GEO_DISTANCE's unit must be one of KM, MILES")
    lat1, lon1, lat2, lon2 = (F.radians(a) for a in args[:4])
    a = F.pow(F.sin((lat2 - lat1) / 2), 2) + F.cos(lat1) * F.cos(lat2) * F.pow(
        F.sin((lon2 - lon1) / 2), 2
    )
    return F.lit(2 * EARTH_RADIUS[unit]) * F.asin(F.sqrt(a))


# -- collections


def array_concat(args: list[Column]) -> Column:
    a, b = args
    return F.when(a.isNull(), b).when(b.isNull(), a).otherwise(F.concat(a, b))


def array_distinct(args: list[Column]) -> Column:
    """The distinct elements in first-seen order, NULL included once."""
    array = args[0]
    firsts = F.filter(
        F.sequence(F.lit(1), F.greatest(F.size(array), F.lit(1))),
        lambda i: (
            ~F.exists(F.slice(array, 1, _n(i - 1)), lambda x: x.eqNullSafe(F.element_at(array, i)))
        ),
    )
    distinct = F.transform(firsts, lambda i: F.element_at(array, i))
    return F.when(F.size(array) == 0, array).otherwise(distinct)


def array_length(args: list[Column]) -> Column:
    return F.when(args[0].isNotNull(), F.size(args[0]))


def array_remove(args: list[Column]) -> Column:
    """Removes the elements equal to the given one, NULLs included when it is NULL."""
    return F.filter(args[0], lambda x: ~x.eqNullSafe(args[1]))


def array_sort(args: list[Column]) -> Column:
    """NULLs last in either direction."""
    direction = _word(args[1], "ARRAY_SORT's direction") if len(args) > 1 else "ASC"
    if direction not in ("ASC", "DESC"):
        raise KsqlError("ARRAY_SORT's direction must be ASC or DESC")
    return F.array_sort(args[0]) if direction == "ASC" else F.sort_array(args[0], asc=False)


def array_join(args: list[Column]) -> Column:
    delimiter = literal_text(args[1], "ARRAY_JOIN's delimiter") if len(args) > 1 else ","
    return F.array_join(args[0], delimiter)


def elt(args: list[Column]) -> Column:
    """``ELT(n, s1, s2, ...)``: the n-th string, 1-based; NULL out of range."""
    return F.get(F.array(*args[1:]), args[0] - 1)


def field(args: list[Column]) -> Column:
    """``FIELD(str, s1, s2, ...)``: the 1-based position of str, 0 if absent or NULL."""
    return F.coalesce(F.array_position(F.array(*args[1:]), args[0]), F.lit(0)).cast("int")


def map_union(args: list[Column]) -> Column:
    """The second map's value wins for a key in both; a NULL map counts as empty."""
    a, b = args
    merged = F.map_concat(a, b)
    native_map_concat(merged.expr)
    return F.when(a.isNull(), b).when(b.isNull(), a).otherwise(merged)


def slice_(args: list[Column]) -> Column:
    """``SLICE(array, from, to)``: 1-based, both ends included."""
    return F.slice(args[0], _n(args[1]), _n(args[2] - args[1] + 1))


def entries(args: list[Column]) -> Column:
    """An array of STRUCT<K, V>, sorted by key when asked."""
    pairs = F.transform(
        F.map_entries(args[0]), lambda e: F.struct(e["key"].alias("K"), e["value"].alias("V"))
    )
    sort = literal_bool(args[1]) if len(args) > 1 else False
    return F.array_sort(pairs) if sort else pairs


def json_array_contains(args: list[Column]) -> Column:
    elements = F.from_json(args[0], "array<string>")
    value = args[1].cast("string")
    return F.coalesce(F.exists(elements, lambda x: x == value), F.lit(False))


# -- lambdas: TRANSFORM, FILTER, REDUCE over arrays and maps


def _lambda(column: Column, params: int, function: str) -> exp.Lambda:
    node = column.expr
    if not isinstance(node, exp.Lambda) or len(node.expressions) != params:
        raise KsqlError(f"{function} needs a lambda of {params} argument(s) here")
    return node


def _apply(function: exp.Lambda, values: list[Column]) -> Column:
    """The lambda's body with its parameters replaced by ``values``."""
    names = {str(p.name): v.expr for p, v in zip(function.expressions, values, strict=True)}

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Identifier) and not isinstance(node.parent, exp.Column):
            bound = names.get(str(node.name))
            if bound is not None:
                return bound.copy()
        if isinstance(node, exp.Column) and not node.table and str(node.name) in names:
            return names[str(node.name)].copy()
        return node

    return Column(function.this.copy().transform(replace))


def _is_lambda(column: Column) -> bool:
    return isinstance(column.expr, exp.Lambda)


def transform(args: list[Column]) -> Column:
    """``TRANSFORM(array, x => ...)``; ``TRANSFORM(map, (k, v) => key, (k, v) => value)``."""
    if len(args) == 2:
        f = _lambda(args[1], 1, "TRANSFORM")
        return F.transform(args[0], lambda x: _apply(f, [x]))
    if len(args) != 3:
        raise KsqlError("TRANSFORM takes an array and a lambda, or a map and two lambdas")
    key_f, value_f = _lambda(args[1], 2, "TRANSFORM"), _lambda(args[2], 2, "TRANSFORM")
    pairs = F.map_entries(args[0])
    keys = F.transform(pairs, lambda e: _apply(key_f, [e["key"], e["value"]]))
    values = F.transform(pairs, lambda e: _apply(value_f, [e["key"], e["value"]]))
    return F.map_from_arrays(keys, values)


def filter_(args: list[Column]) -> Column:
    """``FILTER(array, x => ...)``; ``FILTER(map, (k, v) => ...)``."""
    function = args[1].expr
    if isinstance(function, exp.Lambda) and len(function.expressions) == 2:
        return F.map_filter(args[0], lambda k, v: _apply(function, [k, v]))
    f = _lambda(args[1], 1, "FILTER")
    return F.filter(args[0], lambda x: _apply(f, [x]))


def reduce(args: list[Column]) -> Column:
    """``REDUCE(array, state, (s, x) => ...)``; ``REDUCE(map, state, (s, k, v) => ...)``;
    NULL when the state is."""
    collection, state, function = args
    node = function.expr
    if isinstance(node, exp.Lambda) and len(node.expressions) == 3:
        reduced = F.aggregate(
            F.map_entries(collection), state,
            lambda s, e: _apply(node, [s, e["key"], e["value"]]),
        )  # fmt: skip
    else:
        f = _lambda(function, 2, "REDUCE")
        reduced = F.aggregate(collection, state, lambda s, x: _apply(f, [s, x]))
    return F.when(state.isNotNull(), reduced)


# -- JSON


def _json_text(value: Column) -> Column:
    """The JSON text of a value Spark's from_json read as a STRING: numbers, booleans, objects
    and arrays are their text already, NULL is ``null``, a string gets its quotes back."""
    number = value.rlike(r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$")
    raw = number | value.isin("true", "false") | value.rlike(r"^[\[{]")
    return F.when(value.isNull(), F.lit("null")).when(raw, value).otherwise(_quoted(value))


def _quoted(text: Column) -> Column:
    """``text`` as a JSON string: quoted, with backslashes, quotes and line breaks escaped."""
    escaped = text
    for raw, json in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = F.replace(escaped, F.lit(raw), F.lit(json))
    return F.concat(F.lit('"'), escaped, F.lit('"'))


def is_json_string(args: list[Column]) -> Column:
    """One valid JSON value (wrapped in an array, it parses to exactly one element)."""
    parsed = F.from_json(F.concat(F.lit("["), args[0], F.lit("]")), "array<string>")
    valid = (F.trim(args[0]) != "") & (F.size(parsed) == 1)
    return F.coalesce(valid, F.lit(False))


def json_records(args: list[Column]) -> Column:
    """The top-level object's keys and each value's JSON text; NULL unless an object."""
    values = F.from_json(args[0], "map<string,string>")
    return F.transform_values(values, lambda _k, v: _json_text(v))


def json_concat(args: list[Column]) -> Column:
    """PostgreSQL's ``||``: objects merged (the later key wins), arrays concatenated, other
    values as one-element arrays; NULL if any input is NULL or not JSON."""
    objects = [F.from_json(a, "map<string,string>") for a in args]
    arrays = [F.from_json(a, "array<string>") for a in args]
    valid = [F.coalesce(is_json_string([a]), F.lit(False)) for a in args]
    all_valid = valid[0]
    for v in valid[1:]:
        all_valid = all_valid & v
    all_objects = objects[0].isNotNull()
    for o in objects[1:]:
        all_objects = all_objects & o.isNotNull()
    merged = F.map_concat(*objects) if len(objects) > 1 else objects[0]
    native_map_concat(merged.expr)
    elements = [
        F.when(F.trim(a).startswith("["), F.transform(arr, _json_text))
        .when(F.trim(a).startswith("{"), F.array(_object_text(obj)))
        .otherwise(F.array(F.trim(a)))
        for a, arr, obj in zip(args, arrays, objects, strict=True)
    ]
    array_text = F.concat(F.lit("["), F.array_join(F.concat(*elements), ","), F.lit("]"))
    return F.when(~all_valid, None).when(all_objects, _object_text(merged)).otherwise(array_text)


def _object_text(entries: Column) -> Column:
    """A JSON object's text from a map of its keys to each value's text as from_json read it."""
    members = F.transform(
        F.map_entries(entries),
        lambda e: F.concat(_quoted(e["key"]), F.lit(":"), _json_text(e["value"])),
    )
    return F.concat(F.lit("{"), F.array_join(members, ","), F.lit("}"))


def to_json_string(args: list[Column]) -> Column:
    """Any value as JSON text: NULL fields kept, timestamps as ksqlDB writes them."""
    options = {"ignoreNullFields": "false", "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSS"}
    wrapped = F.to_json(F.array(args[0]), options)
    text = F.substring(wrapped, 2, _n(F.length(wrapped) - 2))
    # ksqlDB writes a TIMESTAMP without a zone (the engine's to_json adds Z)
    return F.regexp_replace(text, r'"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+)Z"', '"$1"')


# -- dates and times (ksqlDB's TIMESTAMP is UTC; formats are Java's DateTimeFormatter's)


def _unit_ms(column: Column, function: str) -> int:
    unit = _word(column, f"{function}'s unit")
    found = UNIT_MS.get(unit) or UNIT_MS.get(unit + "S")
    if found is None:
        raise KsqlError(f"{function}'s unit must be one of {', '.join(UNIT_MS)}")
    return found


def timestamp_shift(sign: int, function: str) -> Builder:
    def build(args: list[Column]) -> Column:
        arity(function, args, 3, 3)
        ms = F.lit(sign * _unit_ms(args[0], function)) * args[1].cast("bigint")
        return F.timestamp_millis(F.unix_millis(args[2]) + ms)

    return build


def date_shift(sign: int, function: str) -> Builder:
    def build(args: list[Column]) -> Column:
        arity(function, args, 3, 3)
        unit = _unit_ms(args[0], function)
        days = (args[1].cast("bigint") * F.lit(unit) / F.lit(DAY_MS)).cast("int")  # truncated
        return F.date_add(args[2], _n(days * F.lit(sign)))

    return build


def _in_zone(when: Column, args: list[Column], index: int) -> Column:
    """``when`` (UTC) as the wall-clock time of the zone in ``args[index]``, if given."""
    if len(args) > index:
        return F.from_utc_timestamp(when, literal_text(args[index], "A time zone"))
    return when


def format_timestamp(args: list[Column]) -> Column:
    arity("FORMAT_TIMESTAMP", args, 2, 3)
    return F.date_format(_in_zone(args[0], args, 2), literal_text(args[1]))


def parse_timestamp(args: list[Column]) -> Column:
    arity("PARSE_TIMESTAMP", args, 2, 3)
    parsed = F.to_timestamp(args[0], literal_text(args[1]))
    if len(args) > 2:
        return F.to_utc_timestamp(parsed, literal_text(args[2], "A time zone"))
    return parsed


def timestamp_to_string(args: list[Column]) -> Column:
    arity("TIMESTAMPTOSTRING", args, 2, 3)
    return F.date_format(_in_zone(F.timestamp_millis(args[0]), args, 2), literal_text(args[1]))


def string_to_timestamp(args: list[Column]) -> Column:
    return F.unix_millis(parse_timestamp(args))


def convert_tz(args: list[Column]) -> Column:
    source, target = (literal_text(a, "A time zone") for a in args[1:3])
    return F.from_utc_timestamp(F.to_utc_timestamp(args[0], source), target)


def unix_timestamp(args: list[Column]) -> Column:
    return F.unix_millis(args[0] if args else F.current_timestamp())


def unix_date(args: list[Column]) -> Column:
    return F.unix_date(args[0] if args else F.current_date())


# -- URLs


def url_part(part: str, decode: bool = False) -> Builder:
    def build(args: list[Column]) -> Column:
        found = F.parse_url(args[0], F.lit(part))
        return F.url_decode(found) if decode else found

    return build


def url_extract_port(args: list[Column]) -> Column:
    authority = F.parse_url(args[0], F.lit("AUTHORITY"))
    port = F.regexp_extract(authority, r":([0-9]+)$", 1)
    return F.when(port != "", port.cast("int"))


def url_extract_parameter(args: list[Column]) -> Column:
    key = urllib.parse.quote(literal_text(args[1], "URL_EXTRACT_PARAMETER's name"), safe="")
    return F.url_decode(F.parse_url(args[0], F.lit("QUERY"), F.lit(key)))


# -- aggregates


def arrival() -> Column:
    """The order records arrive in, as ksqlDB's *_BY_OFFSET see it after repartitioning:
    the micro-batch first (its time: a later batch wins, whatever the offsets of other
    partitions), then the offset within it."""
    return F.struct(F.current_timestamp().alias("batch"), F.col(OFFSET).alias("offset"))


def by_offset(latest: bool) -> Builder:
    """``EARLIEST_BY_OFFSET(col[, ignoreNulls])`` / ``(col, n[, ignoreNulls])``: the value (or
    the n values, in offset order) of the earliest or latest records; NULLs ignored unless
    ``ignoreNulls`` is false."""

    def build(args: list[Column]) -> Column:
        name = "LATEST_BY_OFFSET" if latest else "EARLIEST_BY_OFFSET"
        arity(name, args, 1, 3)
        value = args[0]
        count = None
        if len(args) > 1 and literal_bool(args[1]) is None:
            count = literal_int(args[1], f"{name}'s number of values")
        flag = literal_bool(args[-1]) if len(args) > 1 else None
        ignore_nulls = True if flag is None else flag
        if count is None:
            order = F.when(value.isNotNull(), arrival()) if ignore_nulls else arrival()
            return (F.max_by if latest else F.min_by)(value, order)
        entry = F.struct(arrival().alias("at"), value.alias("v"))
        kept = F.when(value.isNotNull(), entry) if ignore_nulls else entry
        ordered = F.transform(F.array_sort(F.collect_list(kept)), lambda e: e["v"])
        if not latest:
            return F.slice(ordered, 1, count)
        return F.slice(ordered, _n(F.greatest(F.size(ordered) - count + 1, F.lit(1))), count)

    return build


def top_k(distinct: bool) -> Builder:
    """``TOPK(col, k)``: the k largest values, largest first (``TOPKDISTINCT``: distinct)."""

    def build(args: list[Column]) -> Column:
        k = literal_int(args[1], "TOPK's k")
        values = F.collect_set(args[0]) if distinct else F.collect_list(args[0])
        return F.slice(F.sort_array(values, asc=False), 1, k)

    return build


def correlation(args: list[Column]) -> Column:
    """Pearson's correlation of the pairs with both values, from sums the engine keeps in its
    streaming state (its corr aggregate has no mergeable state there)."""
    both = args[0].isNotNull() & args[1].isNotNull()
    x, y = (F.when(both, a.cast("double")) for a in args)
    n, sx, sy = F.count(x), F.sum(x), F.sum(y)
    sxy, sxx, syy = F.sum(x * y), F.sum(x * x), F.sum(y * y)
    spread = (n * sxx - sx * sx) * (n * syy - sy * sy)
    return F.when(n >= 2, (n * sxy - sx * sy) / F.sqrt(spread))


def histogram(args: list[Column]) -> Column:
    """``HISTOGRAM(col)``: each distinct non-null value and how often it came, from the values
    collected (a mergeable ``collect_list`` in the engine's state)."""
    values = F.collect_list(args[0])
    distinct = F.array_distinct(values)
    counts = F.transform(distinct, lambda v: F.size(F.filter(values, lambda x: x == v)))
    return F.map_from_arrays(distinct, counts.cast("array<bigint>"))


def count_distinct(args: list[Column]) -> Column:
    """ksqlDB's ``COUNT_DISTINCT`` (its own HyperLogLog, not Spark's HLL++): an approximate
    distinct count the persistent queries' aggregation keeps as the set of values."""
    return Column(exp.ApproxDistinct(this=args[0].expr.copy()))
