"""Python UDFs: registered on the session's DuckDB connection, evaluated over Arrow batches.

A UDF call is an ``exp.Anonymous`` node named ``__kaspar_udf_<n>``. DuckDB needs parameter
types when a Python function is registered, and they are only known once the plan is analysed:
``bind_udfs`` walks a resolved plan bottom-up, asks DuckDB's binder for the types of each call's
arguments (a ``SELECT args FROM child`` that computes no rows), and registers one DuckDB
function per (UDF, argument types), renaming the call to it.

Row-at-a-time UDFs (``udf``) receive Python values (``None`` for NULL, as Spark passes them);
vectorised UDFs (``pandas_udf``) receive one pandas Series per argument and return a Series.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import duckdb.func
import pyarrow as pa
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.cast_sources import probe, typed_calls_as_null
from kaspar.engine.compile.dialect import generate
from kaspar.engine.compile.duckdb import compile_plan
from kaspar.engine.plan.attributes import ResolvedPlan
from kaspar.engine.type_conversion import to_arrow, to_sqlglot
from kaspar.errors import PythonException

UDF_PREFIX = "__kaspar_udf_"
_CALL = "udf_call"  # a call's position in a Spark SQL query (``bind_query``)
_ids = itertools.count()


@dataclass(frozen=True, eq=False)
class PythonUDF:
    """A Python function with its Spark return type."""

    func: Callable[..., Any]
    return_type: T.DataType
    vectorized: bool = False
    name: str = ""
    arrow: bool = False  # built-in functions: Arrow arrays in, Arrow array out

    def evaluate(self, *columns: pa.Array) -> pa.Array:
        """One Arrow batch in, one Arrow array out (DuckDB's arrow UDF protocol)."""
        target = to_arrow(self.return_type)
        if self.arrow:
            result: pa.Array = self.func(*columns)
            return result
        try:
            if self.vectorized:
                result = self.func(*(c.to_pandas() for c in columns))
                try:
                    return pa.array(result, type=target, from_pandas=True)
                except pa.ArrowInvalid:  # another width (int64 for an int result): cast
                    return pa.array(result, from_pandas=True).cast(target)
            rows = zip(*(c.to_pylist() for c in columns), strict=True)
            values = [_to_arrow_value(self.func(*row)) for row in rows]
            if isinstance(self.return_type, T.StringType):
                values = [_as_string(v) for v in values]
            return pa.array(values, type=target)
        except Exception as e:  # the user's function failed: Spark raises PythonException
            raise PythonException(f"An exception was thrown from the Python worker: {e!r}") from e


def _as_string(value: Any) -> Any:
    """A string UDF's result as Spark stores it: any other object as its text (JVM's
    ``toString``, so ``True`` is ``true``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_REGISTRY: dict[str, PythonUDF] = {}


def register(udf: PythonUDF) -> str:
    """The SQL function name under which ``udf`` is called in plans."""
    name = f"{UDF_PREFIX}{next(_ids)}"
    _REGISTRY[name] = udf
    return name


def _to_arrow_value(value: Any) -> Any:
    if isinstance(value, tuple) and hasattr(value, "asDict"):
        return value.asDict(recursive=True)
    return value


def _with_arity(func: Callable[..., Any], n: int) -> Callable[..., Any]:
    """``func`` declaring exactly ``n`` parameters (DuckDB counts them from the signature)."""

    def call(*args: Any) -> Any:
        return func(*args)

    kind = inspect.Parameter.POSITIONAL_ONLY
    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"a{i}", kind) for i in range(n)]
    )
    return call


def _udf_calls(e: exp.Expr) -> Iterator[exp.Anonymous]:
    """UDF calls in ``e``, innermost first."""
    nodes = [n for n in e.walk(bfs=False) if isinstance(n, exp.Anonymous)]
    for n in reversed(nodes):
        if str(n.this).startswith(UDF_PREFIX) and str(n.this) in _REGISTRY:
            yield n


def _expressions(r: ResolvedPlan) -> Iterator[exp.Expr]:
    for value in vars(r.plan).values():
        if isinstance(value, exp.Expr):
            yield value
        elif isinstance(value, tuple):
            yield from (v for v in value if isinstance(v, exp.Expr))


class UdfBinder:
    """Registers the UDFs a plan calls on one DuckDB connection (once per signature)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._registered: set[str] = set()

    def bind(self, r: ResolvedPlan, ansi: bool, outer: ResolvedPlan | None = None) -> None:
        """``outer``: the left side of the lateral join ``r`` is the right side of, whose
        columns the calls' arguments may read (``outer()`` columns)."""
        from kaspar.engine.plan.logical import LateralJoin

        if isinstance(r.plan, LateralJoin):
            self.bind(r.children[0], ansi, outer)
            self.bind(r.children[1], ansi, r.children[0])
        else:
            for child in r.children:
                self.bind(child, ansi, outer)
        for e in _expressions(r):
            for call in _udf_calls(e):
                self._bind_call(call, r, ansi, outer)

    def bind_query(self, query: exp.Query, in_scope: Callable[[], exp.Query], ansi: bool) -> None:
        """Bind the UDF calls of a Spark SQL ``query`` in place; ``in_scope()`` copies it with
        the views it reads as CTEs, the scope in which each operand's type is asked."""
        originals = list(_udf_calls(query))
        if not originals:
            return
        for i, call in enumerate(originals):
            call.meta[_CALL] = i
        scope = in_scope()
        for copy in list(_udf_calls(scope)):
            index = copy.meta.get(_CALL)
            if index is None or str(copy.this) in self._registered:
                continue
            types = [self._operand_type(a, scope, ansi) for a in copy.expressions]
            self._register_call(copy, types)
            originals[index].set("this", copy.this)

    def _operand_type(self, operand: exp.Expr, scope: exp.Query, ansi: bool) -> str:
        query = probe(operand, scope)
        for clause in ("where", "group", "having", "qualify"):  # may call unbound UDFs
            query.set(clause, None)
        return str(self._con.sql(generate(query, ansi=ansi)).types[0])

    def _bind_call(
        self, call: exp.Anonymous, r: ResolvedPlan, ansi: bool, outer: ResolvedPlan | None
    ) -> None:
        if str(call.this) in self._registered:
            return
        types = self._argument_types(call, r, ansi, outer) if call.expressions else []
        self._register_call(call, types)

    def _register_call(self, call: exp.Anonymous, types: list[str]) -> None:
        udf = _REGISTRY[str(call.this)]
        signature = hashlib.sha1("|".join(types).encode()).hexdigest()[:10]  # noqa: S324
        name = f"{call.this}_{signature}"
        if name not in self._registered:
            returns = to_sqlglot(udf.return_type).sql(dialect="duckdb")
            self._con.create_function(
                name,
                _with_arity(udf.evaluate, len(types)),
                [duckdb.sqltype(t) for t in types],
                returns,
                type=duckdb.func.ARROW,
                null_handling=duckdb.func.SPECIAL,
                side_effects=False,
            )
            self._registered.add(name)
            _REGISTRY[name] = udf
        call.set("this", name)

    def _argument_types(
        self, call: exp.Anonymous, r: ResolvedPlan, ansi: bool, outer: ResolvedPlan | None
    ) -> list[str]:
        args = [a.copy() for a in call.expressions]
        probe = exp.select(*args)
        if outer is not None:  # the lateral join's left side, then this side over it
            probe = probe.from_(compile_plan(outer).subquery("_udf_outer"))
            if r.children:
                lateral = exp.Lateral(
                    this=compile_plan(r.children[0]).subquery(),
                    alias=exp.TableAlias(this=exp.to_identifier("_udf_args")),
                )
                probe = probe.join(lateral, join_type="cross")
        elif r.children:
            probe = probe.from_(compile_plan(r.children[0]).subquery("_udf_args"))
        bindable = typed_calls_as_null(probe)
        return [str(t) for t in self._con.sql(generate(bindable, ansi=ansi)).types]
