"""A ksqlDB ``SELECT`` -> a kaspar DataFrame plan (streaming or batch: the same plan).

1. ``FROM``: the source's topic read as Kafka rows (``read``), decoded by its formats.
2. ``WHERE``: a filter.
3. Aggregation (``GROUP BY`` or aggregate calls): with a window, a watermark on the event
   time (``GRACE PERIOD``, 24 hours by default) and Spark's ``window()`` as the first grouping
   key; every aggregate call and grouping expression of the projection and ``HAVING`` becomes
   a column of ``groupBy().agg()``, referenced by name afterwards; ``ROWTIME`` is the latest
   event time of the group, ``WINDOWSTART``/``WINDOWEND`` the window's bounds in ms.
4. Projection: each item named as ksqlDB names it (its alias, its column, else
   ``KSQL_COL_<i>``); key columns are the projected source keys, ``PARTITION BY`` expression
   or grouping expressions.
The result carries ``__ROWTIME`` (and the window bounds of a windowed result) for the sink.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from kaspar.errors import PySparkException
from kaspar.ksql import formats
from kaspar.ksql.dialect import Ksql
from kaspar.ksql.errors import KsqlError
from kaspar.ksql.expressions import column_name, has_aggregate, is_aggregate, rewrite
from kaspar.ksql.joins import TableJoin, source_name, stream_join, table_join
from kaspar.ksql.metastore import Metastore, Source
from kaspar.ksql.statements import ColumnDef, Query, WindowSpec
from kaspar.ksql.table_aggregate import plan_table_aggregate
from kaspar.ksql.table_join import plan_table_join, stream_of_both
from kaspar.ksql.table_state import Runner
from kaspar.ksql.types import from_spark
from kaspar.ksql.windows import DEFAULT_GRACE_MS, key_window_columns, window_bounds, windowed
from kaspar.sql import functions as F
from kaspar.sql.column import Column
from kaspar.sql.dataframe import DataFrame

ROWTIME = "__ROWTIME"


@dataclass(frozen=True)
class CompiledQuery:
    frame: DataFrame
    columns: tuple[ColumnDef, ...]
    source: Source
    window: WindowSpec | None
    aggregate: bool
    emit_final: bool = False
    per_batch: Callable[[DataFrame], DataFrame] | None = None  # a join's, run on each batch
    joined: tuple[str, ...] = ()  # the tables joined
    # over TABLE changelogs (table-table joins, aggregations over a table): the per-batch
    # step, made for a state folder; ``frame`` is then the topics' Kafka records
    changelog: Callable[[Path], Runner] | None = None

    @property
    def sources(self) -> list[str]:
        return [self.source.name, *self.joined]

    def rows(self, frame: DataFrame) -> DataFrame:
        """The query's rows of ``frame`` (the plan's output, or a batch of it)."""
        return frame if self.per_batch is None else self.per_batch(frame)

    @property
    def key_columns(self) -> list[ColumnDef]:
        return [c for c in self.columns if c.key]

    @property
    def value_columns(self) -> list[ColumnDef]:
        return [c for c in self.columns if not c.key]

    def schema_text(self, table: bool) -> str:
        marker = " PRIMARY KEY" if table else " KEY"
        return ", ".join(f"`{c.name}` {c.type.ksql}{marker if c.key else ''}" for c in self.columns)


def compile_query(
    metastore: Metastore,
    query: Query,
    read: Callable[[Source], DataFrame],
    snapshot: bool = False,
    read_table: Callable[[Source], DataFrame] | None = None,
) -> CompiledQuery:
    """Steps 1-4 of the module docstring; ``snapshot``: a table's latest row per key only (a
    pull query reading the table's changelog). The engine's analysis errors (an unknown
    column, a type mismatch) are ksqlDB's bad-statement errors."""
    try:
        return _compile(metastore, query, read, snapshot, read_table or read)
    except PySparkException as exc:
        raise KsqlError(engine_message(exc, query.select)) from None


def engine_message(exc: PySparkException, select: exp.Select | None = None) -> str:
    """The engine's message in ksqlDB's words, with the position of an unknown column."""
    text = str(exc)
    unresolved = re.search(r"with name `([^`]*)`(?:\.`([^`]*)`)? cannot be resolved", text)
    if unresolved:
        name = unresolved.group(2) or unresolved.group(1)
        for identifier in [] if select is None else select.find_all(exp.Identifier):
            if str(identifier.this).upper() == name.upper() and "line" in identifier.meta:
                meta = identifier.meta
                column = int(meta["col"]) - len(str(identifier.this)) + 1
                return f"Line: {meta['line']}, Col: {column}: column '{name}' cannot be resolved."
        return f"Column '{name}' cannot be resolved."
    return re.sub(r"^\[[A-Z_.]+\] ", "", text).split(" SQLSTATE")[0]


def _compile(
    metastore: Metastore,
    query: Query,
    read: Callable[[Source], DataFrame],
    snapshot: bool,
    read_table: Callable[[Source], DataFrame],
) -> CompiledQuery:
    select = query.select
    source, alias = _source(metastore, select)
    frame = formats.decode(source, read(source))
    if source.kind == "STREAM":  # a stream ignores records without a value
        frame = frame.filter(~F.col(formats.TOMBSTONE))
    elif snapshot:
        frame = formats.latest_per_key(frame, source)
    joins = select.args.get("joins") or []
    if joins:
        if len(joins) > 1:
            raise KsqlError("kaspar.ksql joins two sources so far.")
        readers = (read, read_table)
        return _compile_any_join(
            metastore, query, (source, alias), frame, joins[0], readers=readers, snapshot=snapshot
        )
    where = select.args.get("where")
    if where is not None:
        frame = frame.filter(Column(rewrite(where.this)))
    items = _projection(select, source)
    group = select.args.get("group")
    aggregate = group is not None or any(has_aggregate(tree) for _, tree in items)
    if query.window is not None and not aggregate:
        raise KsqlError("WINDOW clause requires a GROUP BY clause.")
    if query.emit == "FINAL" and query.window is None:
        raise KsqlError("EMIT FINAL is only supported for windowed aggregations.")
    if aggregate and source.kind == "TABLE":
        return _compile_table_aggregate(query, source, items, read)
    if aggregate:
        frame, items, keys = _aggregate(frame, query, items, select)
    else:
        keys = _stream_keys(source, query, items)
    columns = [Column(tree).alias(name) for name, tree in items]
    extra = [F.col("ROWTIME").alias(ROWTIME)]
    if source.kind == "TABLE":  # a deleted row stays deleted downstream
        extra += [F.col(formats.TOMBSTONE).alias(formats.TOMBSTONE)]
    if query.window is not None or source.is_windowed:
        extra += key_window_columns(query.window or source.window)
    frame = frame.select(*columns, *extra)
    types = {f.name: f.dataType for f in frame.schema.fields}
    output = tuple(ColumnDef(n, from_spark(types[n]), n in keys) for n, _ in items)
    output = tuple(sorted(output, key=lambda c: not c.key))
    window = query.window or source.window
    return CompiledQuery(frame, output, source, window, aggregate, query.emit == "FINAL")


def _compile_join(
    query: Query, source: Source, stream: DataFrame, join: TableJoin
) -> CompiledQuery:
    """The stream's plan ends at its decoded rows; the join, WHERE and projection run per
    batch (``joins.py``)."""
    select = query.select
    if select.args.get("group") is not None or query.window is not None:
        raise KsqlError("Aggregations over a join are not supported by kaspar.ksql yet.")
    items = _projection(select, source, join.star())
    where = select.args.get("where")
    condition = None if where is None else Column(rewrite(where.this))
    columns = [Column(tree).alias(name) for name, tree in items]

    def per_batch(batch: DataFrame) -> DataFrame:
        joined = join.apply(batch)
        if condition is not None:
            joined = joined.filter(condition)
        return joined.select(*columns, F.col(f"{join.left_alias}.ROWTIME").alias(ROWTIME))

    sample = per_batch(stream.sparkSession.createDataFrame([], stream.schema))
    types = {f.name: f.dataType for f in sample.schema.fields}
    keys = join.key_trees()
    output = tuple(ColumnDef(n, from_spark(types[n]), tree.sql() in keys) for n, tree in items)
    output = tuple(sorted(output, key=lambda c: not c.key))
    return CompiledQuery(stream, output, source, None, False, False, per_batch, (join.right.name,))


def _compile_table_join(
    metastore: Metastore,
    query: Query,
    left: tuple[Source, str],
    join: exp.Join,
    *,
    read: Callable[[Source], DataFrame],
    snapshot: bool,
) -> CompiledQuery:
    """``FROM t1 JOIN t2 ON ...``: one stream of both tables' records, joined per batch
    against the state of both (``table_join.py``)."""
    select = query.select
    if snapshot:
        raise KsqlError("Pull queries don't support JOIN clauses.")
    if select.args.get("group") is not None or query.window is not None:
        raise KsqlError("Aggregations over a join are not supported by kaspar.ksql yet.")
    if not isinstance(join.this, exp.Table):
        raise KsqlError("A join needs a table name on its right.")
    right_name, right_alias = source_name(join.this)
    right = metastore.get(right_name)
    if right.kind != "TABLE":
        raise KsqlError(
            "Invalid join order: table-stream joins are not supported; only stream-table joins. "
            f"Got {left[0].name} JOIN {right.name}."
        )
    spec, items = plan_table_join(
        left,
        (right, right_alias),
        join,
        select,
        project=lambda star: _projection(select, left[0], star),
        decoded=lambda source: formats.decode(source, read(source)),
    )
    frame = read(stream_of_both(left[0], right))
    spark = frame.sparkSession
    empty = [s.schema.empty_table() for s in (spec.left, spec.right)]
    types = {f.name: f.dataType for f in spark.createDataFrame(spec.evaluate(spark, *empty)).schema}
    keys = set(spec.key_names)
    output = tuple(ColumnDef(n, from_spark(types[n]), n in keys) for n, _ in items)
    output = tuple(sorted(output, key=lambda c: not c.key))
    return CompiledQuery(
        frame, output, left[0], None, False, joined=(right.name,), changelog=spec.runner
    )


def _compile_table_aggregate(
    query: Query,
    source: Source,
    items: list[tuple[str, exp.Expr]],
    read: Callable[[Source], DataFrame],
) -> CompiledQuery:
    """``SELECT ... FROM table GROUP BY ...``: the table's rows kept with their groups, the
    groups a batch touches aggregated again (``table_aggregate.py``)."""
    decoded = formats.decode(source, read(source))
    plan, output = plan_table_aggregate(
        query, source, items, decoded, lambda rows, i, s: _aggregate(rows, query, i, s)
    )
    return CompiledQuery(read(source), output, source, None, True, changelog=plan.runner)


def _compile_any_join(
    metastore: Metastore,
    query: Query,
    left: tuple[Source, str],
    frame: DataFrame,
    join: exp.Join,
    *,
    readers: tuple[Callable[[Source], DataFrame], Callable[[Source], DataFrame]],
    snapshot: bool,
) -> CompiledQuery:
    """A stream-stream join (``WITHIN``: the right stream read as the left), a
    stream-table join (the table read by ``readers[1]``) or a table-table join."""
    read, read_table = readers
    if query.within is None and left[0].kind == "TABLE":
        return _compile_table_join(metastore, query, left, join, read=read, snapshot=snapshot)
    if query.within is not None:
        return _compile_stream_join(query, left[0], frame, stream_join(metastore, left, join, read))
    return _compile_join(query, left[0], frame, table_join(metastore, left, join, read_table))


def _compile_stream_join(
    query: Query, source: Source, stream: DataFrame, join: TableJoin
) -> CompiledQuery:
    """``FROM a JOIN b WITHIN ... ON ...``: the engine's stream-stream join, both sides
    watermarked by their event time less the grace period, and the right record's time
    within the window around the left's; the result's ROWTIME is the later of the two."""
    select = query.select
    within = query.within
    assert within is not None
    if select.args.get("group") is not None or query.window is not None:
        raise KsqlError("Aggregations over a join are not supported by kaspar.ksql yet.")
    grace = f"{DEFAULT_GRACE_MS if within.grace_ms is None else within.grace_ms} milliseconds"
    right = formats.decode(join.right, join.read_table(join.right))
    right = right.filter(~F.col(formats.TOMBSTONE))
    left_frame = stream.withWatermark(formats.TS, grace).alias(join.left_alias)
    right_frame = right.withWatermark(formats.TS, grace).alias(join.right_alias)
    lt = F.col(f"{join.left_alias}.{formats.TS}")
    rt = F.col(f"{join.right_alias}.{formats.TS}")
    before = F.expr(f"INTERVAL {within.before_ms} MILLISECONDS")
    after = F.expr(f"INTERVAL {within.after_ms} MILLISECONDS")
    condition = Column(join.on) & (rt >= lt - before) & (rt <= lt + after)
    joined = left_frame.join(right_frame, condition, join.how)
    where = select.args.get("where")
    if where is not None:
        joined = joined.filter(Column(rewrite(where.this)))
    items = _projection(select, source, join.star())
    rowtime = F.greatest(
        F.col(f"{join.left_alias}.ROWTIME"), F.col(f"{join.right_alias}.ROWTIME")
    ).alias(ROWTIME)
    frame = joined.select(*[Column(tree).alias(name) for name, tree in items], rowtime)
    types = {f.name: f.dataType for f in frame.schema.fields}
    keys = join.key_trees()
    output = tuple(ColumnDef(n, from_spark(types[n]), tree.sql() in keys) for n, tree in items)
    output = tuple(sorted(output, key=lambda c: not c.key))
    return CompiledQuery(frame, output, source, None, False, False, None, (join.right.name,))


def _source(metastore: Metastore, select: exp.Select) -> tuple[Source, str]:
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is None or not isinstance(from_.this, exp.Table):
        raise KsqlError("A query needs FROM a stream or a table.")
    name, alias = source_name(from_.this)
    return metastore.get(name), alias


def _projection(
    select: exp.Select, source: Source, star: list[tuple[str, exp.Expr]] | None = None
) -> list[tuple[str, exp.Expr]]:
    """(name, rewritten tree) per projected column, ``*`` expanded (``star``: a join's)."""
    items: list[tuple[str, exp.Expr]] = []
    for i, item in enumerate(select.expressions):
        if star is not None and (
            isinstance(item, exp.Star) or (isinstance(item, exp.Column) and item.is_star)
        ):
            items += star
            continue
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and item.is_star):
            names = [c.name for c in source.key_columns]
            if source.is_windowed:
                names += ["WINDOWSTART", "WINDOWEND"]
            names += [c.name for c in (*source.value_columns, *source.header_columns)]
            items += [(n, exp.column(n, quoted=True)) for n in names]
            continue
        tree = item.this if isinstance(item, exp.Alias) else item
        rewritten = rewrite(tree)
        if isinstance(item, exp.Alias):
            alias = item.args["alias"]
            name = alias.this if alias.quoted else str(alias.this).upper()
        else:
            name = column_name(rewritten) or f"KSQL_COL_{i}"
        items.append((name, rewritten))
    seen: set[str] = set()
    for name, _ in items:
        if name in seen:
            raise KsqlError(f"Duplicate value columns found in schema: `{name}`")
        seen.add(name)
    return items


def _stream_keys(source: Source, query: Query, items: list[tuple[str, exp.Expr]]) -> set[str]:
    if query.partition_by is not None:
        wanted = rewrite(query.partition_by).sql(dialect=Ksql)
        keys = {n for n, tree in items if tree.sql(dialect=Ksql) == wanted}
        if not keys:
            raise KsqlError(
                f"Key missing from projection (ie, SELECT). The query used to build the stream "
                f"must include the partitioning expression {wanted} in its projection"
            )
        return keys
    key_names = {c.name for c in source.key_columns}
    return {n for n, tree in items if column_name(tree) in key_names}


def _aggregate(
    frame: DataFrame, query: Query, items: list[tuple[str, exp.Expr]], select: exp.Select
) -> tuple[DataFrame, list[tuple[str, exp.Expr]], set[str]]:
    group = select.args.get("group")
    groups = [rewrite(g) for g in (group.expressions if group is not None else [])]
    group_sql = [g.sql(dialect=Ksql) for g in groups]
    aggregates: list[Column] = []

    def replace(node: exp.Expr) -> exp.Expr:
        text = node.sql(dialect=Ksql)
        if text in group_sql:
            return exp.column(f"__K{group_sql.index(text)}", quoted=True)
        if is_aggregate(node):
            aggregates.append(Column(node.copy()).alias(f"__A{len(aggregates)}"))
            return exp.column(f"__A{len(aggregates) - 1}", quoted=True)
        return node

    items = [(name, tree.copy().transform(replace)) for name, tree in items]
    having = select.args.get("having")
    having_tree = None if having is None else rewrite(having.this).transform(replace)
    keys: list[Column] = [Column(g).alias(f"__K{i}") for i, g in enumerate(groups)]
    if query.window is not None:
        frame, window_key = windowed(frame, query.window, query.emit == "FINAL")
        keys.insert(0, window_key)
    grouped = frame.groupBy(*keys).agg(*aggregates, F.max("ROWTIME").alias("ROWTIME"))
    if query.window is not None:
        grouped = window_bounds(grouped, query.window)
    if having_tree is not None:
        kept = Column(having_tree)
        if query.window is not None and query.window.kind == "SESSION":
            kept = kept | F.col("ROWTIME").isNull()  # a merged-away session's tombstone
        grouped = grouped.filter(kept)
    key_names = {
        n for n, tree in items if column_name(tree) in {f"__K{i}" for i in range(len(groups))}
    }
    return grouped, items, key_names
