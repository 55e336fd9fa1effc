"""Spark 4.1's geospatial functions on WKB: ``st_geomfromwkb``, ``st_geogfromwkb``,
``st_asbinary``, ``st_srid``, ``st_setsrid``.

A GEOMETRY or GEOGRAPHY value is its WKB and SRID (``kaspar.engine.geo_types``), held without
DuckDB's spatial extension. What kaspar checks is smaller than Spark's: a WKB must start with a
byte-order byte and a geometry type (anything shorter or another first byte raises
``WKB_PARSE_ERROR``), but its body is not parsed; an SRID must not be negative (GEOGRAPHY: 4326),
but is not looked up in Spark's list of spatial reference systems. ``st_asbinary`` returns the
WKB as stored, and converts the byte order of a point; another shape stored in the other byte
order raises an error naming that limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.engine.geo_types import GEOGRAPHY_SRID, SRID_FIELD, carrier_field
from kaspar.engine.type_conversion import from_duckdb
from kaspar.errors import AnalysisException, IllegalArgumentException
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_CARRIER = re.compile(
    r"^STRUCT\(\"?(__(geometry|geography)_(?:\d+|any)__)\"? BLOB, srid INTEGER\)$"
)
_WKB_CHECK = (
    "CASE WHEN _x_ IS NULL THEN NULL "
    "WHEN octet_length(_x_) < 5 OR substr(hex(_x_), 1, 2) NOT IN ('00', '01') "
    "THEN error('[WKB_PARSE_ERROR] Error parsing WKB: Unexpected end of WKB buffer at "
    "position 0') ELSE _x_ END"
)
_SRID_CHECK = (
    "CASE WHEN _x_ IS NULL THEN NULL WHEN _x_ < 0 {geography} THEN "
    "error('[ST_INVALID_SRID_VALUE] Invalid or unsupported SRID (spatial reference "
    "identifier) value: ' || CAST(_x_ AS VARCHAR) || '.') ELSE CAST(_x_ AS INTEGER) END"
)
# A point's 4-byte type and two 8-byte coordinates, each reversed: the other byte order.
_SWAPPED_POINT = "from_hex('{byte}' || {reversed})"
_REVERSED = (
    "array_to_string(list_reverse(regexp_extract_all(substr(hex(_x_), {start}, {n}), '..')), '')"
)
_AS_BINARY = (
    "CASE WHEN _x_ IS NULL THEN NULL WHEN substr(hex(_x_), 1, 2) = '{byte}' THEN _x_ "
    "WHEN octet_length(_x_) = 21 AND substr(hex(_x_), 3, 8) IN ('01000000', '00000001') "
    "THEN {swapped} "
    "ELSE error('[UNSUPPORTED_FEATURE.WKB_BYTE_ORDER] kaspar converts the byte order of a "
    "WKB point only; this value is stored in the other byte order') END"
)
_ENDIANNESS = {"NDR": "01", "XDR": "00"}


def _geo_value(kind: str, wkb: exp.Expr, srid: exp.Expr, static: int | None) -> exp.Expr:
    return exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier(carrier_field(kind, static)), expression=wkb),
            exp.PropertyEQ(this=exp.to_identifier(SRID_FIELD), expression=srid),
        ]
    )


def _checked_srid(srid: exp.Expr, kind: str) -> exp.Expr:
    extra = f"OR _x_ <> {GEOGRAPHY_SRID}" if kind == "geography" else ""
    return fill(_SRID_CHECK.format(geography=extra), srid)


def _srid_operand(srid: ColumnOrName | int | None, default: int) -> tuple[exp.Expr, int | None]:
    """The SRID's tree and, when it is a literal, its value (the type's SRID)."""
    if srid is None or isinstance(srid, int):
        value = default if srid is None else srid
        return literal(value), value
    e = to_expr(srid)
    if isinstance(e, exp.Literal) and not e.is_string:
        return e, int(e.this)
    return e, None


def _from_wkb(
    kind: str, wkb: ColumnOrName, srid: exp.Expr, static: int | None, name: str
) -> Column:
    e = to_expr(wkb)
    checked = fill(_WKB_CHECK, e)
    value = _geo_value(kind, checked, _checked_srid(srid, kind), static)
    guarded = exp.If(this=e.copy().is_(exp.null()), true=exp.null(), false=value)
    return node(guarded, name)


def st_geomfromwkb(wkb: ColumnOrName, srid: ColumnOrName | int | None = None) -> Column:
    """The GEOMETRY a WKB describes, in SRID ``srid`` (default 0)."""
    srid_expr, static = _srid_operand(srid, 0)
    name = f"st_geomfromwkb({names(to_expr(wkb), srid_expr)})"
    return _from_wkb("geometry", wkb, srid_expr, static, name)


def st_geogfromwkb(wkb: ColumnOrName) -> Column:
    """The GEOGRAPHY (SRID 4326) a WKB describes."""
    name = f"st_geogfromwkb({names(to_expr(wkb))})"
    return _from_wkb("geography", wkb, literal(GEOGRAPHY_SRID), GEOGRAPHY_SRID, name)


Build = Callable[[list[exp.Expr], str, str], exp.Expr]


def _spatial(call: str, operand: exp.Expr, build: Build, *others: exp.Expr) -> exp.Expr:
    """``build([operand, *others], WKB field name, kind)`` once the operand is known to be
    GEOMETRY or GEOGRAPHY; anything else is Spark's type error."""

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        found = _CARRIER.match(str(types[0]))
        if found is None:
            given = from_duckdb(str(types[0])).simpleString().upper()
            raise AnalysisException(
                f'Cannot resolve "{call}" due to data type mismatch: The first parameter '
                f'requires the ("GEOGRAPHY" or "GEOMETRY") type, however "{names(operand)}" '
                f'has the type "{given}".',
                "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
            )
        return build(operands, found[1], found[2])

    return typed_call([operand, *others], rewrite)


def _field(geo: exp.Expr, name: str) -> exp.Expr:
    return exp.Anonymous(this="struct_extract", expressions=[geo.copy(), exp.Literal.string(name)])


def st_srid(geo: ColumnOrName) -> Column:
    """The SRID of a GEOMETRY or GEOGRAPHY."""
    e = to_expr(geo)
    call = f"st_srid({names(e)})"
    return node(_spatial(call, e, lambda ops, _f, _k: _field(ops[0], SRID_FIELD)), call)


def st_asbinary(geo: ColumnOrName, endianness: ColumnOrName | None = None) -> Column:
    """The WKB of a GEOMETRY or GEOGRAPHY, little-endian (``NDR``, default) or big-endian
    (``XDR``)."""
    e = to_expr(geo)
    given = "NDR" if endianness is None else endianness
    order = literal(given) if isinstance(given, str) else to_expr(given)
    if not isinstance(order, exp.Literal) or order.this.upper() not in _ENDIANNESS:
        raise IllegalArgumentException(
            f"Endianness '{order.name}' must be either 'NDR' (little-endian) or 'XDR' "
            "(big-endian).",
            "ST_INVALID_ENDIANNESS_VALUE",
        )
    byte = _ENDIANNESS[order.this.upper()]
    reversed_parts = " || ".join(
        _REVERSED.format(start=start, n=n) for start, n in ((3, 8), (11, 16), (27, 16))
    )
    template = _AS_BINARY.format(
        byte=byte, swapped=_SWAPPED_POINT.format(byte=byte, reversed=reversed_parts)
    )
    call = f"st_asbinary({names(e, order)})"
    return node(_spatial(call, e, lambda ops, f, _k: fill(template, _field(ops[0], f))), call)


def st_setsrid(geo: ColumnOrName, srid: ColumnOrName | int) -> Column:
    """The GEOMETRY or GEOGRAPHY with SRID ``srid`` (its WKB unchanged)."""
    e = to_expr(geo)
    srid_expr, static = _srid_operand(srid, 0)
    call = f"st_setsrid({names(e, srid_expr)})"

    def build(ops: list[exp.Expr], field: str, kind: str) -> exp.Expr:
        g, new_srid = ops
        value = _geo_value(kind, _field(g, field), _checked_srid(new_srid, kind), static)
        return exp.If(this=g.copy().is_(exp.null()), true=exp.null(), false=value)

    return node(_spatial(call, e, build, srid_expr), call)


__all__ = ["st_asbinary", "st_geogfromwkb", "st_geomfromwkb", "st_setsrid", "st_srid"]
