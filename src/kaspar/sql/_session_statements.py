"""``spark.sql`` statements read from their text before sqlglot parses it: ``SET``, ``RESET``,
``DESCRIBE [TABLE]`` and ``SHOW COLUMNS | DATABASES | NAMESPACES | SCHEMAS``.

A configuration value is free text (``SET spark.sql.session.timeZone=America/New_York``) that
a SQL parser would read as an expression, so these statements are matched as text. Each
returns what Spark returns:

* ``SET k=v``: sets it, one row (key, value); ``SET k``: its value (``<undefined>`` when not
  set); ``SET``: every value set in the session; ``SET TIME ZONE 'z' | LOCAL``;
* ``RESET [k]``: back to the default (all values without ``k``), no rows;
* ``DESCRIBE [TABLE] t``: (col_name, data_type, comment), then Spark's partition section;
* ``SHOW COLUMNS IN t [IN db]``, ``SHOW DATABASES [LIKE 'p']``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kaspar.errors import ParseException

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession

_SET_TIME_ZONE = re.compile(r"^\s*SET\s+TIME\s+ZONE\s+(.+?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_SET = re.compile(r"^\s*SET(?:\s+(-v))?\s*;?\s*$", re.IGNORECASE)
_SET_KEY = re.compile(r"^\s*SET\s+([^\s=]+)\s*(?:=\s*(.*?))?\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_RESET = re.compile(r"^\s*RESET(?:\s+(\S+?))?\s*;?\s*$", re.IGNORECASE)
_DESCRIBE = re.compile(
    r"^\s*(?:DESC|DESCRIBE)(?:\s+TABLE)?(?:\s+(EXTENDED|FORMATTED))?\s+([\w.`]+)\s*;?\s*$",
    re.IGNORECASE,
)
_SHOW_COLUMNS = re.compile(
    r"^\s*SHOW\s+COLUMNS\s+(?:IN|FROM)\s+([\w.`]+)(?:\s+(?:IN|FROM)\s+([\w`]+))?\s*;?\s*$",
    re.IGNORECASE,
)
_SHOW_DATABASES = re.compile(
    r"^\s*SHOW\s+(?:DATABASES|SCHEMAS|NAMESPACES)(?:\s+(?:LIKE\s+)?'([^']*)')?\s*;?\s*$",
    re.IGNORECASE,
)
_KEY_VALUE = "key string not null, value string not null"


def run_text_statement(session: SparkSession, text: str) -> DataFrame | None:
    """The statement's result, or None when ``text`` is none of these statements."""
    if match := _SET_TIME_ZONE.match(text):
        return _set_time_zone(session, match.group(1))
    if match := _SET.match(text):
        values = sorted(session.conf.getAll().items())
        return session.createDataFrame(values, _KEY_VALUE)
    if match := _SET_KEY.match(text):
        return _set(session, match.group(1), match.group(2))
    if match := _RESET.match(text):
        _reset(session, match.group(1))
        return session.createDataFrame([], "x int").limit(0).select()
    if match := _DESCRIBE.match(text):
        if text.split()[1].upper() == "FUNCTION":
            return None
        return _describe(session, match.group(2).replace("`", ""))
    if match := _SHOW_COLUMNS.match(text):
        table = match.group(1).replace("`", "")
        database = match.group(2).replace("`", "") if match.group(2) else None
        columns = session.catalog.listColumns(table, database)
        return session.createDataFrame([(c.name,) for c in columns], "col_name string not null")
    if match := _SHOW_DATABASES.match(text):
        databases = session.catalog.listDatabases(match.group(1))
        return session.createDataFrame([(d.name,) for d in databases], "namespace string not null")
    return None


def _set(session: SparkSession, key: str, value: str | None) -> DataFrame:
    if value is None:
        shown = session.conf.get(key, "<undefined>")
        return session.createDataFrame([(key, str(shown))], _KEY_VALUE)
    if value == "" and "=" not in key:
        raise ParseException(f"Invalid SET statement: SET {key}=", "INVALID_SET_SYNTAX")
    session.conf.set(key, value)
    return session.createDataFrame([(key, value)], _KEY_VALUE)


def _set_time_zone(session: SparkSession, zone: str) -> DataFrame:
    from kaspar.sql.conf import default_conf

    if zone.upper() == "LOCAL":
        value = default_conf().get("spark.sql.session.timeZone", "UTC")
    elif zone[:1] in "'\"" and zone[-1:] == zone[:1] and len(zone) > 1:
        value = zone[1:-1]
    else:
        raise ParseException(
            f"Invalid time zone: {zone}. Use SET TIME ZONE 'region' or SET TIME ZONE LOCAL.",
            "PARSE_SYNTAX_ERROR",
        )
    session.conf.set("spark.sql.session.timeZone", value)
    return session.createDataFrame([], _KEY_VALUE)


def _reset(session: SparkSession, key: str | None) -> None:
    from kaspar.sql.conf import default_conf

    keys = [key] if key else [k for k in session.conf.getAll() if k.startswith("spark.sql.")]
    defaults = default_conf()
    for name in keys:
        if name in defaults:
            session.conf.set(name, defaults[name])
        else:
            session.conf.unset(name)


def _describe(session: SparkSession, name: str) -> DataFrame:
    columns = session.catalog.listColumns(name)
    rows: list[tuple[str, str, str | None]] = [(c.name, c.dataType, c.description) for c in columns]
    partitions = [c for c in columns if c.isPartition]
    if partitions:
        rows.append(("# Partition Information", "", ""))
        rows.append(("# col_name", "data_type", "comment"))
        rows.extend((c.name, c.dataType, c.description) for c in partitions)
    schema = "col_name string not null, data_type string not null, comment string"
    return session.createDataFrame(rows, schema)
