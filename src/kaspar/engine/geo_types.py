"""Spark 4.1's GEOMETRY(srid) and GEOGRAPHY(srid) types, and their Python values.

A value is well-known binary (WKB) plus its SRID. In DuckDB (whose spatial extension kaspar does
not use) it is a struct of two fields: the WKB, in a field whose name carries the type and the
type's SRID (``__geometry_0__``, ``__geography_4326__``, ``__geometry_any__`` when the SRID
varies per row), and the value's ``srid``. ``type_conversion`` reads the type back from that
name, as it reads Spark's ANSI intervals from theirs.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from kaspar.engine.types import AtomicType

_CARRIER = re.compile(r"^__(geometry|geography)_(\d+|any)__$")
SRID_FIELD = "srid"
GEOGRAPHY_SRID = 4326


def carrier_field(kind: str, srid: int | None) -> str:
    """The WKB field's name for ``kind`` (geometry or geography) of SRID ``srid`` (None: any)."""
    return f"__{kind}_{'any' if srid is None else srid}__"


def from_carrier(field_name: str) -> AtomicType | None:
    """The GEOMETRY or GEOGRAPHY type a struct's first field names, if it is a carrier."""
    found = _CARRIER.match(field_name)
    if found is None:
        return None
    srid: int | str = "ANY" if found[2] == "any" else int(found[2])
    return GeometryType(srid) if found[1] == "geometry" else GeographyType(srid)


class _SpatialType(AtomicType):
    TREE_SHOWS_PARAMETERS: ClassVar[bool] = True

    def __init__(self, srid: int | str = 0) -> None:
        self.srid = srid

    def simpleString(self) -> str:
        shown = "any" if self.srid == "ANY" else self.srid
        return f"{self.typeName()}({shown})"

    def jsonValue(self) -> Any:
        return self.simpleString()

    def __repr__(self) -> str:
        shown = "'ANY'" if self.srid == "ANY" else self.srid
        return f"{type(self).__name__}({shown})"


class GeometryType(_SpatialType):
    """Planar shapes in a spatial reference system (``geometry(0)``, ``geometry(any)``)."""


class GeographyType(_SpatialType):
    """Shapes on the WGS 84 ellipsoid (``geography(4326)``)."""

    def __init__(self, srid: int | str = GEOGRAPHY_SRID) -> None:
        super().__init__(srid)


class Geometry:
    """A GEOMETRY value: its WKB and SRID (PySpark's ``pyspark.sql.types.Geometry``)."""

    def __init__(self, wkb: bytes | bytearray, srid: int) -> None:
        self.wkb = wkb
        self.srid = srid

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.wkb!r}, {self.srid:d})"

    __str__ = __repr__

    def getSrid(self) -> int:
        return self.srid

    def getBytes(self) -> bytes | bytearray:
        return self.wkb

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Geometry)
        return self.wkb == other.wkb and self.srid == other.srid

    def __hash__(self) -> int:
        return hash((bytes(self.wkb), self.srid))

    @classmethod
    def fromWKB(cls, wkb: bytes | bytearray, srid: int) -> Any:
        return cls(wkb, srid)


class Geography(Geometry):
    """A GEOGRAPHY value: its WKB and SRID (PySpark's ``pyspark.sql.types.Geography``)."""


__all__ = [
    "GEOGRAPHY_SRID",
    "SRID_FIELD",
    "Geography",
    "GeographyType",
    "Geometry",
    "GeometryType",
    "carrier_field",
    "from_carrier",
]
