"""``spark.sql`` statements that are not queries: Spark SQL's DDL and DML on the catalog.

``CREATE TABLE ... USING fmt [OPTIONS] [PARTITIONED BY] [LOCATION] [COMMENT] [TBLPROPERTIES]
[AS SELECT]``, ``CREATE [TEMPORARY] VIEW``, ``CREATE DATABASE|SCHEMA``, ``CREATE FUNCTION``,
``DROP TABLE|VIEW|DATABASE|SCHEMA|FUNCTION``, ``INSERT INTO|OVERWRITE [PARTITION (...)]``,
``TRUNCATE TABLE`` and ``SHOW TABLES``. Each returns what Spark returns: an empty DataFrame
with no columns, or ``SHOW TABLES``' rows.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.engine.compile.dialect import KasparSpark
from kaspar.engine.type_conversion import from_sqlglot
from kaspar.errors import AnalysisException
from kaspar.sql._table_ddl import define_table, insert_into

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession


def _name(node: exp.Expr) -> str:
    if isinstance(node, exp.Schema):
        node = node.this
    if isinstance(node, exp.Table):
        return ".".join(p.name for p in node.parts)
    return node.name


def _value(node: exp.Expr) -> str:
    if isinstance(node, exp.Boolean):
        return "true" if node.this else "false"
    return node.name if isinstance(node, exp.Literal | exp.Var | exp.Identifier) else node.sql()


def _empty(session: SparkSession) -> DataFrame:
    return session.createDataFrame([], "x int").limit(0).select()


def run_statement(session: SparkSession, statement: exp.Expr) -> DataFrame | None:
    """Run a DDL/DML statement; None when ``statement`` is none of those handled here."""
    if isinstance(statement, exp.Create):
        kind = (statement.kind or "").upper()
        if kind == "TABLE":
            _create_table(session, statement)
        elif kind in ("DATABASE", "SCHEMA"):
            target = statement.this
            name = target.db or target.name if isinstance(target, exp.Table) else target.name
            session.catalog.createDatabase(name, ifNotExists=bool(statement.args.get("exists")))
        elif kind == "FUNCTION":
            database, name = session.catalog._warehouse.split(_name(statement.this))
            class_name = _value(statement.expression) if statement.expression else ""
            replace = bool(statement.args.get("replace"))
            session.catalog._functions.create(database, name, class_name, replace=replace)
        else:
            return None
        return _empty(session)
    if isinstance(statement, exp.Drop) and (statement.kind or "").upper() in (
        "DATABASE",
        "SCHEMA",
        "FUNCTION",
    ):
        _drop(session, statement)
        return _empty(session)
    if isinstance(statement, exp.Insert):
        _insert(session, statement)
        return _empty(session)
    if isinstance(statement, exp.TruncateTable):
        for table in statement.expressions:
            session.catalog.truncateTable(_name(table))
        return _empty(session)
    if isinstance(statement, exp.Command) and statement.name.upper() == "SHOW":
        return _show(session, _value(statement.expression))
    return None


def _properties(statement: exp.Create) -> dict[str, Any]:
    found: dict[str, Any] = {"options": {}, "properties": {}}
    props = statement.args.get("properties")
    for prop in props.expressions if props else []:
        if isinstance(prop, exp.FileFormatProperty):
            found["source"] = _value(prop.this)
        elif isinstance(prop, exp.OptionsProperty):
            found["options"] |= {_value(p.this): _value(p.args["value"]) for p in prop.expressions}
        elif isinstance(prop, exp.PartitionedByProperty):
            found["partition_by"] = [_value(c) for c in prop.this.expressions]
        elif isinstance(prop, exp.LocationProperty):
            found["path"] = _value(prop.this)
        elif isinstance(prop, exp.SchemaCommentProperty):
            found["comment"] = _value(prop.this)
        elif type(prop) is exp.Property:
            found["properties"][_value(prop.this)] = _value(prop.args["value"])
    return found


def _create_table(session: SparkSession, statement: exp.Create) -> None:
    name = _name(statement.this)
    found = _properties(statement)
    query = statement.expression
    schema = None
    if isinstance(statement.this, exp.Schema):
        from kaspar.engine import types as T

        schema = T.StructType(
            [
                T.StructField(c.name, from_sqlglot(c.args["kind"]), True)
                for c in statement.this.expressions
                if isinstance(c, exp.ColumnDef)
            ]
        )
    rows = None
    if isinstance(query, exp.Query):
        rows = session.sql(query.sql(dialect=KasparSpark))
        schema = rows.schema
    replace = bool(statement.args.get("replace"))
    if replace and session.catalog._warehouse.exists(name):
        session.catalog.dropTable(name)
    created = define_table(
        session,
        name,
        source=found.get("source"),
        schema=schema,
        path=found.get("path"),
        options=found["options"],
        partition_by=found.get("partition_by"),
        properties=found["properties"],
        comment=found.get("comment"),
        if_not_exists=bool(statement.args.get("exists")),
    )
    if created and rows is not None:
        table_order = session.table(name).columns
        insert_into(session, name, rows.select(*table_order))


def _drop(session: SparkSession, statement: exp.Drop) -> None:
    tables = statement.args.get("tables") or [statement.this]
    name = _name(tables[0])
    if_exists = bool(statement.args.get("exists"))
    if (statement.kind or "").upper() == "FUNCTION":
        database, local = session.catalog._warehouse.split(name)
        if not session.catalog._functions.drop(database, local) and not if_exists:
            raise AnalysisException(f"The routine `{name}` cannot be found.", "ROUTINE_NOT_FOUND")
        return
    cascade = bool(statement.args.get("cascade"))
    session.catalog.dropDatabase(name, ifExists=if_exists, cascade=cascade)


def _insert(session: SparkSession, statement: exp.Insert) -> None:
    target = statement.this
    columns: list[str] = []
    if isinstance(target, exp.Schema):
        columns = [c.name for c in target.expressions]
        target = target.this
    static: dict[str, Any] = {}
    partition = target.args.get("partition") if isinstance(target, exp.Table) else None
    for eq in partition.expressions if partition else []:
        if isinstance(eq, exp.EQ):
            static[eq.this.name] = eq.expression.to_py()
    query = statement.expression
    if isinstance(query, exp.Values):
        query = exp.select("*").from_(query)
    rows = session.sql(query.sql(dialect=KasparSpark))
    name = _name(target)
    if columns:
        order = {c.lower(): i for i, c in enumerate(columns)}
        table_columns = [c for c in session.table(name).columns if c.lower() not in static]
        rows = rows.toDF(*columns).select(*(columns[order[c.lower()]] for c in table_columns))
    insert_into(session, name, rows, overwrite=bool(statement.args.get("overwrite")), static=static)


def _show(session: SparkSession, text: str) -> DataFrame | None:
    words = text.split()
    if not words or words[0].upper() != "TABLES":
        return None
    database = words[2] if len(words) > 2 and words[1].upper() in ("IN", "FROM") else None
    quoted = re.search(r"'([^']*)'\s*;?\s*$", text)
    pattern = None if quoted is None else _show_pattern(quoted.group(1))
    rows = [
        (t.namespace[0] if t.namespace else "", t.name, t.isTemporary)
        for t in session.catalog.listTables(database)
        if pattern is None or pattern.fullmatch(t.name)
    ]
    schema = "namespace string not null, tableName string not null, isTemporary boolean not null"
    return session.createDataFrame(rows, schema)


def _show_pattern(pattern: str) -> re.Pattern[str]:
    """Spark's SHOW pattern: ``*`` is any text, ``|`` separates alternatives, any case."""
    options = [re.escape(p.strip()).replace(r"\*", ".*") for p in pattern.split("|")]
    return re.compile("|".join(f"(?:{o})" for o in options), re.IGNORECASE)
