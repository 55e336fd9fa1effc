"""``collate`` and ``collation`` (Spark 4.0): string collations, on DuckDB's own collations.

Spark names a collation ``UTF8_BINARY``, ``UTF8_LCASE``, or ICU's ``UNICODE`` / a locale
(``EN``, ``de_CH``) with optional ``_CI`` (case-insensitive) and ``_AI`` (accent-insensitive)
suffixes. kaspar compares, groups, sorts and de-duplicates a collated string with DuckDB's
matching collation: ``UTF8_LCASE`` is ``nocase`` (code points of the lower-cased text),
``UNICODE`` is ICU's root order (DuckDB's ``en``, which CLDR does not tailor), a locale is its
ICU collation, ``_CI`` adds ``nocase`` and ``_AI`` ``noaccent``. ``_RTRIM`` collations are not
supported. The result's schema shows a plain ``string``: kaspar's types carry no collation.
"""

from __future__ import annotations

import functools
import re

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.engine.type_conversion import from_duckdb
from kaspar.errors import AnalysisException, SparkException
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_SPARK_COLLATION = "kaspar_spark_collation"  # the collation's Spark name, on a COLLATE node
_NAME = re.compile(
    r"^(?P<base>[A-Za-z]+(?:_[A-Za-z]+)*?)(?P<mods>(?:_(?:CI|CS|AI|AS|RTRIM))*)$", re.IGNORECASE
)
SUPPORTED = "UTF8_BINARY, UTF8_LCASE, UNICODE and ICU locales (EN, DE, ...), with _CI and _AI"


@functools.cache
def _icu_locales() -> frozenset[str]:
    import duckdb

    rows = duckdb.execute("SELECT collname FROM pragma_collations()").fetchall()
    return frozenset(str(r[0]) for r in rows)


def _invalid(name: str) -> SparkException:
    return SparkException(
        f"The value {name} does not represent a correct collation name. Supported by kaspar: "
        f"{SUPPORTED}.",
        "COLLATION_INVALID_NAME",
    )


def resolve(name: str) -> tuple[str, str | None]:
    """Spark's canonical name for ``name`` and DuckDB's collation (None: binary)."""
    upper = name.upper()
    if upper == "UTF8_BINARY":
        return "UTF8_BINARY", None
    if upper == "UTF8_LCASE":
        return "UTF8_LCASE", "nocase"
    match = _NAME.match(name)
    if match is None or upper.startswith("UTF8_"):
        raise _invalid(name)
    mods = [m for m in match["mods"].upper().split("_") if m]
    if "RTRIM" in mods:
        raise _invalid(name)
    base = match["base"]
    locale = "en" if base.upper() == "UNICODE" else base.lower()
    if locale not in _icu_locales():
        raise _invalid(name)
    parts = [locale] + (["nocase"] if "CI" in mods else []) + (["noaccent"] if "AI" in mods else [])
    shown_base = "UNICODE" if base.upper() == "UNICODE" else _locale_name(base)
    shown = "_".join([shown_base, *(m for m in mods if m in ("CI", "AI"))])
    return shown, ".".join(parts)


def _locale_name(base: str) -> str:
    """Spark's spelling of a locale: language lower case, country upper case (``de_CH``)."""
    language, _, country = base.partition("_")
    return language.lower() + ("_" + country.upper() if country else "")


def collate(col: ColumnOrName, collation: str) -> Column:
    """``col`` with the collation ``collation``: comparisons, grouping and sorting follow it."""
    e = to_expr(col)
    shown, duckdb_name = resolve(collation)
    name = f"collate({names(e)}, {collation})"

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        if str(types[0]) not in ("VARCHAR", '"NULL"'):
            given = from_duckdb(str(types[0])).simpleString().upper()
            raise AnalysisException(
                f'Cannot resolve "{name}" due to data type mismatch: The first parameter '
                f'requires the "STRING" type, however "{names(e)}" has the type "{given}".',
                "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
            )
        text = exp.cast(operands[0], "VARCHAR")
        if duckdb_name is None:
            return text
        return exp.Collate(this=text, expression=exp.Var(this=duckdb_name))

    collated = typed_call([e], rewrite)
    collated.meta[_SPARK_COLLATION] = shown
    return node(collated, name)


def _collation_of(e: exp.Expr) -> str:
    while isinstance(e, exp.Alias | exp.Paren):
        e = e.this
    return str(e.meta.get(_SPARK_COLLATION, "UTF8_BINARY")) if e.meta else "UTF8_BINARY"


def collation(col: ColumnOrName) -> Column:
    """The collation of a string: ``SYSTEM.BUILTIN.<name>`` (known where ``collate`` is in the
    same expression; a column read back from a table is ``UTF8_BINARY``)."""
    e = to_expr(col)
    return node(literal(f"SYSTEM.BUILTIN.{_collation_of(e)}"), f"collation({names(e)})")


__all__ = ["collate", "collation"]
