"""Spark's partitions, compiled: each row's partition id and index within its partition as two
SQL columns (docs/partitions.md).

``partitioned(r)`` is ``r``'s query with two more columns, ``PID`` and ``ROW``, its rows in
Spark's order (partition by partition, each in its own order). Sources that Spark slices
deterministically (``range``, local data) compute them from the row's position; repartitioning
computes new ones from the old; projections and filters carry them, a filter counting its rows
again; any other node is one partition, its rows counted in order. Projections and filters
that use partition values (``calls.with_partition``) are compiled over their child's columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sqlglot import exp

from kaspar.engine.compile.duckdb import aggregate_over, compile_plan
from kaspar.engine.plan import logical as L
from kaspar.engine.plan.attributes import ATTR_ID, Attribute, ResolvedPlan
from kaspar.engine.seeded.marks import with_partition
from kaspar.engine.seeded.sequences import first_int_below

PID = "__kaspar_pid"
ROW = "__kaspar_row"
_NEW = "__kaspar_new_pid"
_REPEAT = "__kaspar_repeat"
_DEALT = "__kaspar_dealt"


Needed = frozenset[int] | None


def _refs(expressions: Iterable[exp.Expr]) -> set[int]:
    return {
        int(n.meta[ATTR_ID])
        for e in expressions
        for n in e.walk()
        if isinstance(n, exp.Column) and ATTR_ID in n.meta
    }


def _with_refs(needed: Needed, expressions: Iterable[exp.Expr]) -> Needed:
    return None if needed is None else needed | _refs(expressions)


def _project_needs(r: ResolvedPlan, needed: Needed) -> Needed:
    """The child columns that the projection's needed outputs read."""
    plan: Any = r.plan
    used = [
        e
        for e, a in zip(plan.expressions, r.output, strict=True)
        if needed is None or a.id in needed
    ]
    return frozenset(_refs(used))


def _hashing(
    expressions: tuple[exp.Expr, ...], inputs: tuple[Attribute, ...], needed: Needed
) -> list[exp.Expr]:
    """The round robin's row hash over the ``needed`` columns only (all when None)."""
    if not expressions:
        return []
    call = expressions[0].copy()
    if needed is not None:
        kept = ",".join(str(i) for i, a in enumerate(inputs) if a.id in needed)
        call.expressions[-1].replace(exp.Literal.string(kept))
    return [call]


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _num(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def _alias(e: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=e, alias=exp.to_identifier(name, quoted=True))


def _attrs(output: tuple[Attribute, ...]) -> list[exp.Expr]:
    return [_col(a.column_name) for a in output]


def _in_order() -> list[exp.Ordered]:
    return [exp.Ordered(this=_col(PID), desc=False), exp.Ordered(this=_col(ROW), desc=False)]


def _sub(q: exp.Query, name: str) -> exp.Expr:
    return q.subquery(name)


def _row_number(partition: list[exp.Expr], order: list[exp.Ordered]) -> exp.Expr:
    window = exp.Window(
        this=exp.Anonymous(this="row_number", expressions=[]),
        partition_by=partition or None,
        order=exp.Order(expressions=order) if order else None,
    )
    return exp.cast(exp.Sub(this=window, expression=_num(1)), "BIGINT")


def _slice_of(position: exp.Expr, count: int, slices: int) -> exp.Expr:
    """The slice holding ``position`` when ``count`` rows are cut into ``slices`` slices at
    ``i * count // slices`` (Spark's ``parallelize`` and ``range``)."""
    if count == 0:
        return _num(0)
    top = exp.Sub(
        this=exp.Mul(
            this=exp.paren(exp.Add(this=position, expression=_num(1))), expression=_num(slices)
        ),
        expression=_num(1),
    )
    return exp.IntDiv(this=exp.paren(top), expression=_num(count))


def _sliced(
    source: exp.Query,
    position: exp.Expr,
    count: int,
    slices: int,
    out: list[exp.Expr],
    *,
    batch: int = 1,
) -> exp.Select:
    """``source``'s rows with their partition: ``count`` rows in batches of ``batch``, the
    batches cut into ``slices`` slices."""
    batches = -(-count // batch)
    index = (
        exp.IntDiv(this=position.copy(), expression=_num(batch)) if batch > 1 else position.copy()
    )
    pid = _slice_of(index, batches, slices)
    first_batch = exp.IntDiv(
        this=exp.paren(exp.Mul(this=exp.paren(pid.copy()), expression=_num(batches))),
        expression=_num(slices),
    )
    first = (
        exp.Mul(this=exp.paren(first_batch), expression=_num(batch)) if batch > 1 else first_batch
    )
    row = exp.Sub(this=position.copy(), expression=exp.paren(first)) if count else position.copy()
    return exp.select(
        *out, _alias(exp.cast(pid, "INT"), PID), _alias(exp.cast(row, "BIGINT"), ROW)
    ).from_(_sub(source, "_slices"))


def _range(r: ResolvedPlan, needed: Needed) -> exp.Select:
    plan: Any = r.plan
    count = len(range(plan.start, plan.end, plan.step))
    args = [_num(v) for v in (plan.start, plan.end, plan.step)]
    source = exp.select("range").from_(exp.Anonymous(this="range", expressions=args))
    position = exp.IntDiv(
        this=exp.paren(exp.Sub(this=_col("range"), expression=_num(plan.start))),
        expression=_num(plan.step),
    )
    out: list[exp.Expr] = [_alias(_col("range"), r.output[0].column_name)]
    return _sliced(source, position, count, plan.num_partitions, out)


def _local(r: ResolvedPlan, needed: Needed) -> exp.Select:
    """PySpark's ``parallelize``: the rows pickled in batches of ``count // slices`` (at
    least 1, at most 1024), the batches cut into slices."""
    plan: Any = r.plan
    count, slices = plan.table.num_rows, plan.num_partitions
    position = _row_number([], [])
    source = compile_plan(r)
    inner = exp.select("*", _alias(position, "_pos")).from_(_sub(source, "_local"))
    batch = max(1, min(count // slices, 1024))
    return _sliced(inner, _col("_pos"), count, slices, _attrs(r.output), batch=batch)


def _single(r: ResolvedPlan, needed: Needed) -> exp.Select:
    """Any other plan: one partition, its rows counted in order."""
    row = exp.cast(
        exp.Sub(
            this=exp.Window(this=exp.Anonymous(this="row_number", expressions=[])),
            expression=_num(1),
        ),
        "BIGINT",
    )
    return exp.select(
        *_attrs(r.output), _alias(exp.cast(_num(0), "INT"), PID), _alias(row, ROW)
    ).from_(_sub(compile_plan(r), "_single"))


def _project(r: ResolvedPlan, needed: Needed) -> exp.Select:
    plan: Any = r.plan
    values = [with_partition(e, _col(PID), _col(ROW)) for e in plan.expressions]
    columns = [_alias(v, a.column_name) for v, a in zip(values, r.output, strict=True)]
    return (
        exp.select(*columns, _col(PID), _col(ROW))
        .from_(_sub(partitioned(r.children[0], _project_needs(r, needed)), "_project"))
        .order_by(*_in_order())
    )


def _renumbered(
    inner: exp.Query, output: tuple[Attribute, ...], pid: str, order: list[exp.Ordered]
) -> exp.Select:
    """``inner``'s rows with ``pid`` as their partition and ``ROW`` counted in ``order``."""
    return (
        exp.select(
            *_attrs(output),
            _alias(_col(pid), PID),
            _alias(_row_number([_col(pid)], order), ROW),
        )
        .from_(_sub(inner, "_renumbered"))
        .order_by(*_in_order())
    )


def _filter(r: ResolvedPlan, needed: Needed) -> exp.Select:
    plan: Any = r.plan
    condition = with_partition(plan.condition, _col(PID), _col(ROW))
    child = partitioned(r.children[0], _with_refs(needed, [plan.condition]))
    inner = exp.select("*").from_(_sub(child, "_filter")).where(condition)
    return _renumbered(inner, r.output, PID, [exp.Ordered(this=_col(ROW), desc=False)])


def _passthrough(r: ResolvedPlan, needed: Needed) -> exp.Select:
    return partitioned(r.children[0], needed)


def _new_partition(r: ResolvedPlan) -> exp.Expr:
    plan: Any = r.plan
    n = plan.num_partitions
    if plan.kind == "round_robin":
        count = partition_count(r.children[0])
        starts = exp.Array(expressions=[_num(first_int_below(p, n)) for p in range(count)])
        start = exp.Bracket(this=starts, expressions=[exp.Add(this=_col(PID), expression=_num(1))])
        position = exp.Add(this=exp.Add(this=start, expression=_num(1)), expression=_col(_DEALT))
        return exp.Mod(this=exp.paren(position), expression=_num(n))
    if plan.kind == "coalesce":
        count = partition_count(r.children[0])
        return _col(PID) if n >= count else _slice_of(_col(PID), count, n)
    if plan.kind == "range":
        rank = exp.Window(
            this=exp.Anonymous(this="rank", expressions=[]),
            order=exp.Order(expressions=[o.copy() for o in plan.expressions]),
        )
        total = exp.Window(this=exp.Count(this=exp.Star()))
        scaled = exp.IntDiv(
            this=exp.paren(
                exp.Mul(this=exp.paren(exp.Sub(this=rank, expression=_num(1))), expression=_num(n))
            ),
            expression=total,
        )
        return exp.Least(this=scaled, expressions=[_num(n - 1)])
    value = exp.cast(plan.expressions[0].copy(), "BIGINT")  # "hash" and "id"
    mod = exp.Mod(this=exp.paren(exp.Mod(this=value, expression=_num(n))), expression=_num(n))
    return exp.Mod(this=exp.paren(exp.Add(this=mod, expression=_num(n))), expression=_num(n))


def _repartition(r: ResolvedPlan, needed: Needed) -> exp.Select:
    """The child's rows moved to their new partitions, each partition's rows in the order of
    the old partitions they come from (as a shuffle reads its map outputs)."""
    plan: Any = r.plan
    child: exp.Query = partitioned(r.children[0], _with_refs(needed, plan.expressions))
    order = _in_order()
    if plan.kind == "round_robin":
        child = _dealt(child, _hashing(plan.expressions, r.children[0].output, needed))
        order = [order[0], exp.Ordered(this=_col(_DEALT), desc=False)]
    new = exp.cast(_new_partition(r), "INT")
    inner = exp.select("*", _alias(new, _NEW)).from_(_sub(child, "_shuffle"))
    return _renumbered(inner, r.output, _NEW, order)


def _dealt(child: exp.Query, row_hash: list[exp.Expr]) -> exp.Select:
    """``child`` with each row's turn in its partition's round robin: Spark deals the rows out
    sorted by their binary row's hash (then in their order)."""
    keys = [exp.Ordered(this=h.copy(), desc=False, nulls_first=True) for h in row_hash]
    turn = _row_number([_col(PID)], [*keys, exp.Ordered(this=_col(ROW), desc=False)])
    return exp.select("*", _alias(turn, _DEALT)).from_(_sub(child, "_deal"))


def _sort_within(r: ResolvedPlan, needed: Needed) -> exp.Select:
    plan: Any = r.plan
    order = [o.copy() for o in plan.orders] + [exp.Ordered(this=_col(ROW), desc=False)]
    child = partitioned(r.children[0], _with_refs(needed, plan.orders))
    inner = exp.select("*").from_(_sub(child, "_sort"))
    return _renumbered(inner, r.output, PID, order)


def _poisson_sample(r: ResolvedPlan, needed: Needed) -> exp.Select:
    plan: Any = r.plan
    counts = with_partition(plan.counts, _col(PID), _col(ROW))
    repeat = exp.Unnest(expressions=[exp.Anonymous(this="range", expressions=[counts])])
    inner = exp.select("*", _alias(repeat, _REPEAT)).from_(
        _sub(partitioned(r.children[0], needed), "_poisson")
    )
    order = [exp.Ordered(this=_col(ROW), desc=False), exp.Ordered(this=_col(_REPEAT), desc=False)]
    return _renumbered(inner, r.output, PID, order)


_PARTITIONED: dict[type[L.LogicalPlan], Callable[[ResolvedPlan, Needed], exp.Select]] = {
    L.Range: _range,
    L.LocalRelation: _local,
    L.Project: _project,
    L.Filter: _filter,
    L.SubqueryAlias: _passthrough,
    L.EventTimeWatermark: _passthrough,
    L.Repartition: _repartition,
    L.SortWithinPartitions: _sort_within,
    L.PoissonSample: _poisson_sample,
}


def partitioned(r: ResolvedPlan, needed: Needed = None) -> exp.Select:
    """``r``'s query with its rows' ``PID`` and ``ROW`` as two last columns, in their order.
    ``needed``: the ids of the output columns the plan above reads (None: all), as Spark's
    column pruning leaves them (a round robin hashes only those)."""
    return _PARTITIONED.get(type(r.plan), _single)(r, needed)


def partition_count(r: ResolvedPlan) -> int:
    """How many partitions ``r``'s rows are in, as Spark plans them."""
    plan: Any = r.plan
    if isinstance(plan, L.Range | L.LocalRelation) and type(plan) is not L.StreamingRelation:
        return int(plan.num_partitions)
    if isinstance(plan, L.Repartition):
        if plan.kind == "coalesce":
            return min(plan.num_partitions, partition_count(r.children[0]))
        return int(plan.num_partitions)
    if type(plan) in _PARTITIONED and r.children:
        return partition_count(r.children[0])
    return 1


def _aggregate(r: ResolvedPlan) -> exp.Query:
    """An aggregation whose keys or values use partition values: over the child's rows with
    their partition columns."""
    plan: Any = r.plan

    def put(e: exp.Expr) -> exp.Expr:
        return with_partition(e, _col(PID), _col(ROW))

    sets = tuple(tuple(put(e) for e in s) for s in plan.sets)
    grouping = tuple(put(e) for e in plan.grouping)
    aggregates = tuple(put(e) for e in plan.aggregates)
    substituted = replace(plan, grouping=grouping, aggregates=aggregates, sets=sets)
    node = ResolvedPlan(substituted, r.output, r.children)
    refs = _refs([*plan.grouping, *plan.aggregates, *(e for s in plan.sets for e in s)])
    return aggregate_over(node, partitioned(r.children[0], frozenset(refs)))


def _sort(r: ResolvedPlan) -> exp.Query:
    """A global sort by partition values (``orderBy(rand(seed))``): the child's rows with
    their partition columns, sorted."""
    plan: Any = r.plan
    orders = [with_partition(o, _col(PID), _col(ROW)) for o in plan.orders]
    child = _sub(partitioned(r.children[0]), "_sort")  # every column is output
    return exp.select(*_attrs(r.output)).from_(child).order_by(*orders)


def compile_pruned(r: ResolvedPlan, reads: Iterable[exp.Expr]) -> exp.Query:
    """``r``, a plan that reads a repartitioning, as read by ``reads`` only (Spark prunes the
    columns no one reads before it shuffles)."""
    return compile_partitioned(r, frozenset(_refs(reads)))


def reaches_repartition(r: ResolvedPlan) -> bool:
    """Whether ``r`` is a repartitioning, or reads one through projections and filters (the
    plan above a round robin decides which columns it hashes)."""
    if isinstance(r.plan, L.Repartition | L.SortWithinPartitions | L.PoissonSample):
        return True
    carries = isinstance(r.plan, L.Project | L.Filter | L.SubqueryAlias | L.EventTimeWatermark)
    return carries and bool(r.children) and reaches_repartition(r.children[0])


def compile_partitioned(r: ResolvedPlan, needed: Needed = None) -> exp.Query:
    """``r``'s query without the partition columns, its rows in Spark's order; ``needed``:
    the ids of the columns the plan above reads (None: all)."""
    if isinstance(r.plan, L.Aggregate):
        return _aggregate(r)
    if isinstance(r.plan, L.Sort):
        return _sort(r)
    return (
        exp.select(*_attrs(r.output))
        .from_(_sub(partitioned(r, needed), "_partitioned"))
        .order_by(*_in_order())
    )
