"""Files and their metadata in ``spark.sql`` text.

* ``FROM parquet.`/path``` (any file format, Spark's "SQL on files"): the path read as
  ``spark.read.format(fmt).load(path)`` would (csv without a header, all columns strings),
  as a temporary view for the statement.
* ``_metadata`` (and ``t._metadata.file_name``) over such a read, and ``input_file_name()`` /
  ``input_file_block_start()`` / ``input_file_block_length()`` over any view that reads files
  (Spark resolves ``_metadata`` over a direct file read but not over a temporary view).

A view that reads files gets one more column, ``__kaspar_file`` (a struct of the metadata and
the three file functions, built by the DataFrame analyzer, engine/plan/file_metadata.py), when
the query names them. Each query block (``sqlglot`` scope) reads it from its source: ``*``
leaves it out (DuckDB's ``EXCLUDE``), a subquery in ``FROM`` that is a plain projection passes
it on (as Spark passes ``_metadata`` through a projection), and the names above become reads of
its fields.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope, walk_in_scope

from kaspar.engine.plan.analyzer import analyze
from kaspar.engine.plan.file_metadata import (
    FILE_FUNCTIONS,
    METADATA,
    check_not_aggregated,
    has_file_read,
)
from kaspar.errors import AnalysisException, unresolved_column

if TYPE_CHECKING:
    from kaspar.engine.plan import logical as L
    from kaspar.sql.session import SparkSession

FILE_FORMATS = ("parquet", "orc", "json", "csv", "text", "avro", "xml", "binaryfile", "delta")
HIDDEN = "__kaspar_file"
_DIRECT_PREFIX = "__kaspar_sql_file_"
_views = itertools.count()
_METADATA_FIELDS = (
    "file_path",
    "file_name",
    "file_size",
    "file_block_start",
    "file_block_length",
    "file_modification_time",
    "row_index",
)
_FUNCTION_FIELDS = {
    "input_file_name": "name",
    "input_file_block_start": "start",
    "input_file_block_length": "length",
}


def bind_file_tables(session: SparkSession, statement: exp.Expr) -> list[str]:
    """Rewrite ``format.`path``` tables of ``statement`` into temporary views of the read (in
    place); the views made."""
    views: list[str] = []
    for table in list(statement.find_all(exp.Table)):
        fmt = table.args.get("db")
        if (
            not isinstance(fmt, exp.Identifier)
            or table.args.get("catalog")
            or not isinstance(table.this, exp.Identifier)
            or _is_table(session, fmt.name, table.name)
        ):
            continue
        if fmt.name.lower() not in FILE_FORMATS:
            if "/" in table.name and not session.catalog.databaseExists(fmt.name):
                raise AnalysisException(  # not a path DuckDB would read
                    f"The table or view `{fmt.name}`.`{table.name}` cannot be found. Verify "
                    "the spelling and correctness of the schema and catalog.",
                    "TABLE_OR_VIEW_NOT_FOUND",
                )
            continue
        df = session.read.format(fmt.name.lower()).load(table.name)
        view = f"{_DIRECT_PREFIX}{next(_views)}"
        df.createOrReplaceTempView(view)
        views.append(view)
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name))
        table.replace(exp.Table(this=exp.to_identifier(view), alias=alias))
    return views


def _is_table(session: SparkSession, database: str, name: str) -> bool:
    catalog = session.catalog
    return catalog.databaseExists(database) and catalog.tableExists(f"{database}.{name}")


def _names_files(query: exp.Expr) -> bool:
    for node in query.walk():
        if isinstance(node, exp.Anonymous) and node.name.lower() in FILE_FUNCTIONS:
            return True
        if isinstance(node, exp.Identifier) and node.name.lower() == METADATA:
            return True
    return False


def hidden_file_columns(
    session: SparkSession, query: exp.Query, views: tuple[tuple[str, L.LogicalPlan], ...]
) -> tuple[exp.Query, tuple[tuple[str, L.LogicalPlan], ...]]:
    """``query`` reading the file metadata its text names from ``views`` (the views that read
    files with the hidden column added)."""
    if not _names_files(query):
        return query, views
    from kaspar.sql import functions as F
    from kaspar.sql.dataframe import DataFrame

    file_views: dict[str, bool] = {}  # view name (lower) -> direct file read
    new_views = []
    columns: list[str] = []  # the views' columns, suggested when ``_metadata`` is unresolved
    for name, plan in views:
        if has_file_read(plan):
            file_views[name.lower()] = name.lower().startswith(_DIRECT_PREFIX)
            columns += DataFrame(session, plan).columns
            hidden = F.struct(
                F.col(METADATA).alias("metadata"),
                F.input_file_name().alias("name"),
                F.input_file_block_start().alias("start"),
                F.input_file_block_length().alias("length"),
            )
            with_file = DataFrame(session, plan).select("*", hidden.alias(HIDDEN)).plan
            analyze(with_file)  # builds the reads with their files (registered with the query)
            new_views.append((name, with_file))
        else:
            new_views.append((name, plan))
    if not file_views:
        return query, views
    query = query.copy()
    _rewrite(query, file_views, columns)
    return query, tuple(new_views)


@dataclass(frozen=True)
class _Source:
    """A query block's source with the hidden file column."""

    direct: bool  # a direct file read (or a projection of one): ``_metadata`` resolves
    files: bool = True  # the file functions read its files (not past a sort or a limit)


def _rewrite(query: exp.Query, file_views: dict[str, bool], columns: list[str]) -> None:
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    data_metadata = any(c.lower() == METADATA for c in columns)  # a data column wins the name
    exposing: dict[int, _Source] = {}  # id(subquery's select) -> what it passes on
    for scope in traverse_scope(query):
        sources: dict[str, _Source] = {}
        for alias, source in scope.sources.items():
            if isinstance(source, exp.Table):
                name = source.name.lower()
                if name in file_views and name not in ctes and not source.args.get("db"):
                    sources[alias] = _Source(file_views[name])
            elif isinstance(source, Scope) and id(source.expression) in exposing:
                subquery = source.expression.parent
                key = subquery.alias if isinstance(subquery, exp.Subquery) else alias
                sources[key] = exposing[id(source.expression)]
        if not isinstance(scope.expression, exp.Select):
            continue
        select = scope.expression
        _rewrite_references(scope, sources, columns, data_metadata)
        if not sources:
            continue
        _exclude_from_stars(select, sources)
        if scope.is_derived_table and _passes_on(select) and len(sources) == 1:
            alias, passed = next(iter(sources.items()))
            parent = select.parent
            if isinstance(parent, exp.Subquery) and not parent.alias:
                parent.set("alias", exp.TableAlias(this=exp.to_identifier(f"_f{id(select)}")))
            select.select(_hidden(alias).as_(HIDDEN, quoted=True), copy=False)
            exchange = select.args.get("order") or select.args.get("limit")
            exposing[id(select)] = _Source(passed.direct, passed.files and not exchange)


def _hidden(alias: str) -> exp.Column:
    return exp.column(HIDDEN, table=alias, quoted=True)


def _field(e: exp.Expr, name: str) -> exp.Expr:
    return exp.Bracket(this=e, expressions=[exp.Literal.string(name)])


def _passes_on(select: exp.Select) -> bool:
    """Whether a subquery's rows are its source's rows (a projection or a filter)."""
    if select.args.get("group") or select.args.get("having"):
        return False
    if isinstance(select.parent, exp.SetOperation):
        return False
    return not any(isinstance(e, exp.AggFunc) for p in select.expressions for e in p.walk())


def _rewrite_references(
    scope: Scope, sources: dict[str, _Source], columns: list[str], data_metadata: bool
) -> None:
    for node in list(walk_in_scope(scope.expression)):
        if isinstance(node, exp.Anonymous) and node.name.lower() in _FUNCTION_FIELDS:
            if not node.expressions and sources:
                _rewrite_function(node, sources)
        elif isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            _rewrite_metadata(node, sources, columns, data_metadata)


def _rewrite_function(call: exp.Anonymous, sources: dict[str, _Source]) -> None:
    name = call.name.lower()
    if len(sources) > 1:
        raise AnalysisException(
            f'The expression "{name}()" does not support more than one source.',
            "MULTI_SOURCES_UNSUPPORTED_FOR_EXPRESSION",
            {"expr": f'"{name}()"'},
        )
    check_not_aggregated(call)
    alias, source = next(iter(sources.items()))
    read: exp.Expr
    if source.files:
        read = _field(_hidden(alias), _FUNCTION_FIELDS[name])
    elif name == "input_file_name":
        read = exp.Literal.string("")
    else:
        read = exp.cast(exp.Literal.number(-1), exp.DataType.build("BIGINT"))
    call.replace(_named(call, read, f"{name}()"))


def _named(original: exp.Expr, read: exp.Expr, name: str) -> exp.Expr:
    """``read`` in place of ``original``, named as Spark names it when it is a projection."""
    parent = original.parent
    if isinstance(parent, exp.Select) and original in parent.expressions:
        return exp.alias_(read, name, quoted=True)
    return read


def _rewrite_metadata(
    column: exp.Column, sources: dict[str, _Source], columns: list[str], data_metadata: bool
) -> None:
    parts = [p.name for p in column.parts]
    lower = [p.lower() for p in parts]
    aliases = {s.lower(): s for s in sources}
    if lower[0] == METADATA and lower[0] not in aliases:
        alias, fields = None, parts[1:]
    elif len(parts) > 1 and lower[1] == METADATA and lower[0] in aliases:
        alias, fields = aliases[lower[0]], parts[2:]
    else:
        return
    if data_metadata:
        return
    direct = [s for s, source in sources.items() if source.direct]
    if alias is None:
        if len(direct) > 1:
            return  # ambiguous: DuckDB says so
        if not direct:
            raise unresolved_column("`.`".join(parts), columns)
        alias = direct[0]
    elif not sources[alias].direct:
        raise unresolved_column("`.`".join(parts), columns)
    if fields and fields[0].lower() not in _METADATA_FIELDS:
        listed = ", ".join(f"`{f}`" for f in _METADATA_FIELDS)
        raise AnalysisException(
            f"No such struct field `{fields[0]}` in {listed}.",
            "FIELD_NOT_FOUND",
            {"fieldName": f"`{fields[0]}`", "fields": listed},
        )
    read: exp.Expr = _field(_hidden(alias), "metadata")
    for name in fields:
        read = _field(read, name)
    column.replace(_named(column, read, parts[-1]))


def _exclude_from_stars(select: exp.Select, sources: dict[str, _Source]) -> None:
    for e in list(select.expressions):
        if isinstance(e, exp.Star):
            e.replace(exp.Star(except_=[_hidden(s) for s in sources]))
        elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
            match = next((s for s in sources if s.lower() == e.table.lower()), None)
            if match is not None:
                e.this.set("except_", [exp.column(HIDDEN, quoted=True)])
