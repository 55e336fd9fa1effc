"""Running plans: one DuckDB connection per session, Arrow in and out.

The connection is shared by every thread of the session (batch jobs, streaming queries): every
use of it, and of the analysis cache, holds ``_lock``, so statements run one at a time.

``Executor.execute(plan)`` analyses the plan (cached), compiles it to one query, registers the
Arrow tables it reads, runs it and returns an Arrow table whose columns carry the DataFrame's
names. DuckDB errors never leave this module raw: ``translate_error`` maps them to PySpark's
exception classes.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.arrow_eval import ArrowStage, compile_stage
from kaspar.engine.arrow_holder import register_rows, release_rows, unregister_rows
from kaspar.engine.compile.ansi_interval_columns import type_interval_operations
from kaspar.engine.compile.cast_sources import annotate_cast_sources
from kaspar.engine.compile.coercion import coerce_types, is_type_mismatch
from kaspar.engine.compile.dialect import generate, is_utc
from kaspar.engine.compile.duckdb import compile_output, substituting
from kaspar.engine.compile.json_text import resolve_to_json
from kaspar.engine.compile.map_key_dedup import DEFAULT_POLICY, dedup_map_keys
from kaspar.engine.compile.typed_rewrites import resolve_typed
from kaspar.engine.compile.typeof import resolve_typeof
from kaspar.engine.error_translation import translate_error
from kaspar.engine.plan import logical as L
from kaspar.engine.plan.analyzer import analyze
from kaspar.engine.plan.file_metadata import metadata_type
from kaspar.engine.plan.nullability import apply_shape
from kaspar.engine.plan.subquery import inline_subqueries
from kaspar.engine.type_conversion import from_duckdb
from kaspar.engine.udf import UdfBinder
from kaspar.errors import AnalysisException

# DuckDB types with no Spark equivalent, cast at the output (sum(int) is HUGEINT in DuckDB).
_OUTPUT_CASTS = {
    "HUGEINT": "BIGINT",
    "UHUGEINT": "BIGINT",
    "UBIGINT": "BIGINT",
    "UINTEGER": "BIGINT",
    "USMALLINT": "INTEGER",
    "UTINYINT": "SMALLINT",
}

CLOSE_WAIT_S = 30.0  # how long close() waits for a running statement


class Executor:
    """A DuckDB connection plus the caches that keep per-query overhead small."""

    def __init__(self, *, ansi: bool = True, time_zone: str = "UTC") -> None:
        self._con = duckdb.connect(":memory:")
        self._lock = threading.RLock()
        self._registered: set[str] = set()
        self._computed: set[str] = set()  # deferred relations registered with their rows
        self._sql: weakref.WeakKeyDictionary[L.LogicalPlan, tuple[bool, str, T.StructType]]
        self._sql = weakref.WeakKeyDictionary()
        self.ansi = ansi
        self.utc = False
        self.map_key_dedup = DEFAULT_POLICY  # spark.sql.mapKeyDedupPolicy
        self._udfs = UdfBinder(self._con)
        self._stages: dict[str, duckdb.DuckDBPyRelation] = {}  # streaming stages, bound once
        self._arrow_stages: dict[str, ArrowStage | None] = {}  # their Arrow forms (arrow_eval)
        # spark.registerProgressHandler: told (stages, inflight tasks, done) when a query ends;
        # a DuckDB query has no Spark stages, so the list is empty
        self.progress_handlers: list[Callable[[list[Any], int, bool], None]] = []
        # Called with the plan of each action that ran to its end (DataFrame.observe's metrics)
        self.action_listeners: list[Callable[[L.LogicalPlan], None]] = []
        self._con.execute("SET enable_progress_bar = false")
        self._con.execute("SET default_null_order = 'nulls_first_on_asc_last_on_desc'")
        self.configure(ansi=ansi, time_zone=time_zone)

    def configure(
        self,
        *,
        ansi: bool | None = None,
        time_zone: str | None = None,
        map_key_dedup: str | None = None,
    ) -> None:
        """Apply ``spark.sql.ansi.enabled``, ``spark.sql.session.timeZone`` and
        ``spark.sql.mapKeyDedupPolicy``."""
        with self._lock:
            if map_key_dedup is not None and map_key_dedup != self.map_key_dedup:
                self.map_key_dedup = map_key_dedup
                self._sql = weakref.WeakKeyDictionary()
            if ansi is not None and ansi != self.ansi:
                self.ansi = ansi
                self._sql = weakref.WeakKeyDictionary()
            self._stages = {}
            self._con.execute(f"SET error_on_division_by_zero = {str(self.ansi).lower()}")
            if time_zone is not None:
                self._con.execute("SET TimeZone = ?", [time_zone])
                if is_utc(time_zone) != self.utc:
                    self.utc = is_utc(time_zone)
                    self._sql = weakref.WeakKeyDictionary()

    def close(self, *, at_exit: bool = False) -> None:
        """Close the connection once no statement runs on it.

        1. Interrupt the statement running now, if any (its query fails with an error).
        2. Wait for the statement lock, so that no thread is inside DuckDB when it closes.
        3. Close. At exit the lock stays held: a daemon thread still running a query then
           waits before DuckDB instead of being torn down inside it when the interpreter
           finalises (which aborts the process: "FATAL: exception not rethrown").
        """
        self._con.interrupt()
        acquired = self._lock.acquire(timeout=CLOSE_WAIT_S)
        try:
            self._con.close()
        finally:
            if acquired and not at_exit:
                self._lock.release()

    def sql(self, plan: L.LogicalPlan) -> str:
        """DuckDB SQL text for ``plan`` (``explain`` shows it)."""
        return self._prepare(plan)[0]

    def schema(self, plan: L.LogicalPlan) -> T.StructType:
        """The output schema, from DuckDB's binder (no rows are computed)."""
        return self._prepare(plan)[1]

    def execute(self, plan: L.LogicalPlan) -> pa.Table:
        _refuse_streaming(plan)
        sql, _ = self._prepare(plan)
        table = self._run(plan, sql)
        for handler in list(self.progress_handlers):
            handler([], 0, True)
        self._finished(plan)
        return table

    def _finished(self, plan: L.LogicalPlan) -> None:
        for listener in list(self.action_listeners):
            listener(plan)

    def prepare_stage(
        self, plan: L.LogicalPlan, cuts: dict[L.LogicalPlan, L.LogicalPlan]
    ) -> tuple[str, T.StructType]:
        """SQL and schema for ``plan`` with each node in ``cuts`` computed by its replacement
        (same columns in the same order): one stage of a streaming query. Not cached here:
        the streaming engine keeps the result for the query's lifetime."""
        with self._lock:  # analysis caches per node: one thread at a time
            resolved = analyze(plan)
            pairs = {analyze(node): analyze(replacement) for node, replacement in cuts.items()}
            for part in (plan, *cuts.values()):
                self._register(part, run=True)
            try:
                for replacement in pairs.values():
                    self._udfs.bind(replacement, self.ansi)
                self._udfs.bind(resolved, self.ansi)

                def build(casts: list[exp.DataType | None] | None = None) -> exp.Expr:
                    with substituting(pairs):
                        if casts is None:
                            return compile_output(resolved)
                        return self._with_subqueries(compile_output(resolved, casts))

                tree, sql, relation, operators = self._resolve(build)
                types = [str(t) for t in relation.types]
                casts = [_output_cast(t) for t in types]
                if any(c is not None for c in casts):
                    tree, sql = self._resolved(build(casts), operators=operators)
            except duckdb.Error as e:
                raise translate_error(e) from None
            if sql not in self._arrow_stages:
                self._arrow_stages[sql] = compile_stage(tree)
        fields = [
            T.StructField(
                a.name,
                apply_shape(from_duckdb(_OUTPUT_CASTS.get(t, t)), a.shape),
                a.nullable,
                json.loads(a.metadata) if a.metadata else None,
            )
            for a, t in zip(resolved.output, types, strict=True)
        ]
        return sql, T.StructType(fields)

    def run_stage(self, sql: str, tables: dict[str, pa.Table]) -> pa.Table:
        """Run a stage's SQL (``prepare_stage``) with ``tables`` registered under their names
        (the stage's streaming leaves: columns ``c0, c1, ...``); they stay registered until
        ``release_stage_tables``. The parsed and bound query is kept and re-run each batch:
        views resolve when it runs, so it reads the tables registered now (registered once,
        their rows swapped per batch: ``arrow_holder``)."""
        with self._lock:
            try:
                for name, table in tables.items():
                    register_rows(self._con, name, table)
                relation = self._stages.get(sql)
                if relation is None:
                    relation = self._stages[sql] = self._con.sql(sql)
                return relation.to_arrow_table()
            except duckdb.Error as e:
                raise translate_error(e) from None

    def arrow_stage(self, sql: str) -> ArrowStage | None:
        """The Arrow form of a stage (``prepare_stage``), if it has one (``arrow_eval``)."""
        return self._arrow_stages.get(sql)

    def forget_stages(self, sqls: list[str]) -> None:
        """Drop the bound queries of a stopped streaming query's stages."""
        with self._lock:
            for sql in sqls:
                self._stages.pop(sql, None)
                self._arrow_stages.pop(sql, None)

    def release_stage_tables(self, tables: dict[str, pa.Table]) -> None:
        """Register empty tables in place of a batch's (so its memory can go)."""
        with self._lock:
            for name, table in tables.items():
                release_rows(self._con, name, table.schema)

    def count(self, plan: L.LogicalPlan) -> int:
        _refuse_streaming(plan)
        sql, _ = self._prepare(plan)
        table = self._run(plan, f"SELECT count(*) FROM ({sql}) AS _count")  # noqa: S608
        self._finished(plan)
        return int(table.column(0)[0].as_py())

    def describe(
        self, query: exp.Query, views: tuple[tuple[str, L.LogicalPlan], ...] = ()
    ) -> list[str]:
        """Column names of a SQL query over ``views`` (``spark.sql`` binds eagerly)."""
        probe = L.SqlQuery(query=query, names=(), views=views)
        with self._lock:
            self._register(probe)
            try:
                for _, child in views:  # the views' own UDF calls (a DataFrame's view)
                    self._udfs.bind(analyze(child), self.ansi)
                # Renames the UDF calls in ``query`` (the plan ``spark.sql`` returns runs it).
                self._udfs.bind_query(query, lambda: self._with_views(probe), self.ansi)
                _, _, relation, _ = self._resolve(lambda: self._with_views(probe))
                return list(relation.columns)
            except duckdb.Error as e:
                raise translate_error(e) from None

    def _resolve(
        self, build: Callable[[], exp.Expr], intervals: bool = True
    ) -> tuple[exp.Expr, str, Any, bool]:
        """The tree ``build`` gives with what depends on types resolved, its SQL, its bound
        relation and whether it needed Spark's implicit casts for its operators: a query
        DuckDB refuses for operand types that do not meet is built again with them
        (``coercion``). ``intervals``: type the user's operators on interval columns
        (``ansi_interval_columns``); a query that then fails to bind is resolved once more
        without it."""
        try:
            return self._resolve_once(build, intervals)
        except duckdb.Error:
            if not intervals:
                raise
        # the interval typing's probes can misread a query (a semi join's condition)
        return self._resolve_once(build, intervals=False)

    def _resolve_once(
        self, build: Callable[[], exp.Expr], intervals: bool
    ) -> tuple[exp.Expr, str, Any, bool]:
        try:
            tree, sql = self._resolved(build(), operators=False, intervals=intervals)
            return tree, sql, self._con.sql(sql), False
        except duckdb.Error as e:
            if not is_type_mismatch(e):
                raise
        tree, sql = self._resolved(build(), operators=True, intervals=intervals)
        return tree, sql, self._con.sql(sql), True

    def _resolved(
        self, tree: exp.Expr, *, operators: bool, intervals: bool = True
    ) -> tuple[exp.Expr, str]:
        def gen(e: exp.Expr) -> str:
            return generate(e, ansi=self.ansi)

        if intervals:  # the user's operators on intervals
            type_interval_operations(tree, self._con, gen)
        if operators:  # before typeof(), which binds its operand
            coerce_types(tree, self._con, gen, self.ansi, operators=True)
        resolve_typeof(tree, self._con, gen)
        annotate_cast_sources(tree, self._con, gen, before_typed=True)
        resolve_typed(tree, self._con, gen)
        coerce_types(tree, self._con, gen, self.ansi, operators=operators)
        dedup_map_keys(tree, self.map_key_dedup)
        annotate_cast_sources(tree, self._con, gen)
        resolve_to_json(tree, self._con, gen)
        return tree, generate(tree, ansi=self.ansi, utc=self.utc)

    def _with_views(self, probe: L.SqlQuery) -> exp.Query:
        query = probe.query.copy()
        own = query.args.get("with_")
        query.set("with_", None)
        for name, child in probe.views:
            query = query.with_(
                exp.to_identifier(name, quoted=True), as_=compile_output(analyze(child))
            )
        with_ = query.args.get("with_")
        if own is not None and with_ is not None:  # the views first: the query's own may read them
            with_.set("expressions", [*with_.expressions, *own.expressions])
            with_.set("recursive", own.args.get("recursive"))
        elif own is not None:
            query.set("with_", own)
        return query

    def _prepare(self, plan: L.LogicalPlan) -> tuple[str, T.StructType]:
        cached = self._sql.get(plan)
        if cached is not None:
            return cached[1], cached[2]
        # One thread at a time: the analysis cache and the connection (compiling asks DuckDB
        # for types) are shared by every thread of the session.
        with self._lock:
            resolved = analyze(plan)
            self._register(plan)
            try:
                self._udfs.bind(resolved, self.ansi)
                tree, sql, relation, operators = self._resolve(
                    lambda: self._with_subqueries(compile_output(resolved))
                )
                types = [str(t) for t in relation.types]
                casts = [_output_cast(t) for t in types]
                if any(c is not None for c in casts):
                    tree, sql = self._resolved(compile_output(resolved, casts), operators=operators)
            except duckdb.Error as e:
                raise translate_error(e) from None
            if sql not in self._arrow_stages:
                self._arrow_stages[sql] = compile_stage(tree)
        fields = [
            T.StructField(
                a.name,
                metadata_type(a, apply_shape(from_duckdb(_OUTPUT_CASTS.get(t, t)), a.shape)),
                a.nullable,
                json.loads(a.metadata) if a.metadata else None,
            )
            for a, t in zip(resolved.output, types, strict=True)
        ]
        schema = T.StructType(fields)
        self._sql[plan] = (self.ansi, sql, schema)
        return sql, schema

    def _run(self, plan: L.LogicalPlan, sql: str) -> pa.Table:
        with self._lock:
            self._register(plan, run=True)
            try:
                return self._con.sql(sql).to_arrow_table()
            except duckdb.Error as e:
                raise translate_error(e) from None

    def _with_subqueries(self, tree: exp.Select) -> exp.Select:
        """Subquery plans inside expressions compiled in place, their tables registered."""

        def compile_query(plan: L.LogicalPlan) -> exp.Query:
            self._register(plan, run=True)
            resolved = analyze(plan)
            self._udfs.bind(resolved, self.ansi)
            return compile_output(resolved)

        inline_subqueries(tree, compile_query)
        return tree

    def _register(self, plan: L.LogicalPlan, *, run: bool = False) -> None:
        """Register every Arrow table or dataset the plan reads (once; dropped with the plan).

        A deferred relation is registered empty (its schema) until ``run``: only a query that
        reads rows computes it."""
        stack = [plan]
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            if isinstance(node, L.DeferredRelation):
                self._register_table(node, node.name, node.table)
                if run and node.name not in self._computed:
                    self._con.register(node.name, node.materialize())
                    self._computed.add(node.name)
            elif isinstance(node, L.LocalRelation):
                self._register_table(node, node.name, node.table)
            elif isinstance(node, L.Scan):
                for name, dataset in node.tables:  # read lazily (a pyarrow dataset)
                    self._register_table(node, name, dataset)
                stack.extend(node._file_scans)  # the read with its file column, if built

    def _register_table(self, owner: L.LogicalPlan, name: str, table: object) -> None:
        """An Arrow table or dataset, or DuckDB SQL text (a view, bound but not run here)."""
        if name not in self._registered:
            if isinstance(table, str):
                self._con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {table}')
            else:
                self._con.register(name, table)
            self._registered.add(name)
            weakref.finalize(owner, self._unregister, name, isinstance(table, str))

    def _unregister(self, name: str, view: bool = False) -> None:
        self._registered.discard(name)
        self._computed.discard(name)
        try:
            with self._lock:
                if view:
                    self._con.execute(f'DROP VIEW IF EXISTS "{name}"')
                else:
                    unregister_rows(self._con, name)
        except duckdb.Error:  # the connection may be closed already
            pass

    def physical_plan(self, plan: L.LogicalPlan) -> str:
        """DuckDB's physical plan for ``plan``, with its row estimates (``EXPLAIN``)."""
        _refuse_streaming(plan)
        sql, _ = self._prepare(plan)
        with self._lock:
            self._register(plan)
            try:
                rows = self._con.execute(f"EXPLAIN {sql}").fetchall()
            except duckdb.Error as e:
                raise translate_error(e) from None
        return "\n".join(str(row[1]) for row in rows)

    def run_plan_statement(self, plan: L.LogicalPlan, statement: str) -> None:
        """Run a statement embedding ``plan``'s SQL (``COPY (...) TO``), registering its tables."""
        _refuse_streaming(plan)
        with self._lock:
            self._register(plan, run=True)
            try:
                self._con.execute(statement)
            except duckdb.Error as e:
                raise translate_error(e) from None
        self._finished(plan)


def _refuse_streaming(plan: L.LogicalPlan) -> None:
    if plan.is_streaming:
        raise AnalysisException(
            "Queries with streaming sources must be executed with writeStream.start();",
        )


def _output_cast(duckdb_type: str) -> exp.DataType | None:
    target = _OUTPUT_CASTS.get(duckdb_type)
    return exp.DataType.build(target) if target else None
