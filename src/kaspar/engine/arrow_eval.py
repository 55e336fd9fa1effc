"""Small streaming stages evaluated over Arrow, without DuckDB: the low-latency path.

DuckDB binds and optimises a statement every time it runs: for the stage of a typical
real-time query (``from_json`` -> ``filter`` -> ``to_json``) that is 2-2.5 ms per chunk of a
few dozen rows, while the same work over Arrow arrays (``pyarrow.compute``, ``pyarrow.json``)
takes about 0.4 ms. ``compile_stage`` turns a stage's compiled tree (the one DuckDB's SQL is
generated from) into a function over the stage's Arrow tables when every node in it is one
this module knows; otherwise the stage has no Arrow form and always runs in DuckDB.

DuckDB stays the reference, three ways:

* **Refusal.** Only a small set of nodes is translated (projections, ``WHERE``, column
  references, literals, comparisons, ``AND``/``OR``/``NOT``, ``IS NULL``, ``CASE``,
  ``COALESCE``, ``||``, ``concat_ws``, ``+ - *``, a few casts, struct fields, ``epoch_ms``,
  ``to_json`` of a string, ``from_json`` of a flat struct). Whatever an input holds that the
  translation might read differently (a float NaN in a comparison, a control character in JSON
  text, a ``null`` JSON value, an overflow) raises ``Unsupported`` while the chunk runs, and
  that chunk runs in DuckDB.
* **Checking.** The first chunks with rows run both ways (``VERIFY_CHUNKS``); one difference
  and the stage goes back to DuckDB for good.
* **Size.** Only chunks of at most ``MAX_ROWS`` rows: DuckDB's vectorised, parallel execution
  wins on real batches.

``from_json`` marks its node (``FROM_JSON``, set by ``kaspar.sql.functions.json``) with its
fields when it runs with Spark's default options over a struct of plain fields; the text is
parsed with ``pyarrow.json`` after checking that every value is one JSON object on one line
with no single quote (Spark's default ``allowSingleQuotes`` rewrite) or control character.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from sqlglot import exp

FROM_JSON = "arrow_from_json"  # meta key: ((field name, DuckDB type name), ...)
MAX_ROWS = 4096
VERIFY_CHUNKS = 3
MAX_REFUSALS = 64  # chunks refused at run time before the stage stays in DuckDB

_LOG = logging.getLogger(__name__)

Value = Any  # pa.Array or pa.Scalar
Columns = dict[str, pa.Array]
Expr = Callable[[Columns, int], Value]
Query = Callable[[dict[str, pa.Table]], pa.Table]

_JSON_TYPES = {
    "BIGINT": pa.int64(),
    "INT": pa.int32(),
    "INTEGER": pa.int32(),
    "SMALLINT": pa.int16(),
    "TINYINT": pa.int8(),
    "DOUBLE": pa.float64(),
    "TEXT": pa.string(),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
}
# one JSON object on one line: no control character (DuckDB's rewrites and pyarrow's parser
# differ on them), no single quote (Spark's allowSingleQuotes rewrite)
_ONE_OBJECT = r"^[ \t]*\{[^\x00-\x08\x0a-\x1f']*$"
_CONTROL = r"[\x00-\x1f]"


class Unsupported(Exception):
    """A node (at compile time) or a value (at run time) this module does not evaluate."""


@dataclass
class ArrowStage:
    """A stage's Arrow form, with the bookkeeping that keeps it honest (module docstring)."""

    query: Query
    verified: int = 0
    arrow_chunks: int = 0  # chunks whose rows came from the Arrow form
    refusals: int = 0
    disabled: bool = False
    schema: pa.Schema | None = None
    reasons: list[str] = field(default_factory=list)

    def run(self, tables: dict[str, pa.Table], duckdb_run: Callable[[], pa.Table]) -> pa.Table:
        """The stage's rows over ``tables``: by Arrow when it may, else ``duckdb_run()``."""
        if self.disabled or sum(t.num_rows for t in tables.values()) > MAX_ROWS:
            return duckdb_run()
        try:
            result = self.query(tables)
        except Exception as e:  # noqa: BLE001 - whatever the Arrow form fails on, DuckDB answers
            self._refused(str(e))
            return duckdb_run()
        if self.schema is None or (self.verified < VERIFY_CHUNKS and result.num_rows):
            expected = duckdb_run()
            self.schema = expected.schema
            if not _same(result, expected):
                self.disabled = True
                _LOG.debug("stage back to DuckDB: Arrow and DuckDB differ")
                return expected
            self.verified += 1 if result.num_rows else 0
            return expected
        try:
            cast = result.cast(self.schema)
        except (pa.ArrowException, ValueError) as e:
            self._refused(str(e))
            return duckdb_run()
        self.arrow_chunks += 1
        return cast

    def _refused(self, reason: str) -> None:
        self.refusals += 1
        if len(self.reasons) < 8:
            self.reasons.append(reason)
        if self.refusals > MAX_REFUSALS:
            self.disabled = True


def _same(result: pa.Table, expected: pa.Table) -> bool:
    """The same rows (in any order: a grouped stage's order is its hash table's)."""
    if result.column_names != expected.column_names:
        return False
    try:
        cast = result.cast(expected.schema)
        if cast.equals(expected):
            return True
        order = [(name, "ascending") for name in expected.column_names]
        return bool(cast.sort_by(order).equals(expected.sort_by(order)))
    except (pa.ArrowException, ValueError, NotImplementedError):
        return False


def compile_stage(tree: exp.Expr) -> ArrowStage | None:
    """The Arrow form of a stage's tree, or None when some node has none."""
    try:
        return ArrowStage(_query(tree))
    except Exception as e:  # noqa: BLE001 - a tree it cannot read is a stage DuckDB runs
        _LOG.debug("stage without an Arrow form: %s", e)
        return None


# -- queries -------------------------------------------------------------------------------

_REFUSED_ARGS = tuple(
    k for k in exp.Select.arg_types if k not in ("expressions", "from_", "from", "where", "group")
)


def _query(node: exp.Expr) -> Query:
    if isinstance(node, exp.Subquery):
        if any(node.args.get(k) for k in node.arg_types if k not in ("this", "alias")):
            raise Unsupported("subquery modifiers")
        node = node.this
    if not isinstance(node, exp.Select) or any(node.args.get(k) for k in _REFUSED_ARGS):
        raise Unsupported(type(node).__name__)
    source = node.args.get("from_") or node.args.get("from")
    if not isinstance(source, exp.From):
        raise Unsupported("no FROM")
    read = _source(source.this)
    where = node.args.get("where")
    predicate = None if where is None else _expr(where.this)
    group = node.args.get("group")
    if group is not None:
        return _grouped(node, group, read, predicate)
    outputs = [_projection(e) for e in node.expressions]

    def run(tables: dict[str, pa.Table]) -> pa.Table:
        table = _filtered(read(tables), predicate)
        columns = _columns(table)
        names: list[str] = []
        arrays: list[pa.Array] = []
        for output in outputs:
            for name, value in output(columns, table.num_rows):
                names.append(name)
                arrays.append(_as_array(value, table.num_rows))
        if len(set(names)) != len(names):
            raise Unsupported("duplicate output names")
        return pa.Table.from_arrays(arrays, names=names)

    return run


def _filtered(table: pa.Table, predicate: Expr | None) -> pa.Table:
    if predicate is None:
        return table
    mask = predicate(_columns(table), table.num_rows)
    return table.filter(_as_array(pc.fill_null(mask, False), table.num_rows))


def _grouped(node: exp.Select, group: exp.Group, read: Query, predicate: Expr | None) -> Query:
    """``SELECT keys, aggregates ... GROUP BY keys`` (the partial aggregate of a streaming
    aggregation) by ``pyarrow``'s hash aggregation; rows in no particular order, as DuckDB's."""
    if any(group.args.get(k) for k in group.arg_types if k != "expressions"):
        raise Unsupported("grouping sets")
    keys = [_expr(k) for k in group.expressions]
    outputs = _grouped_outputs(node, [k.sql() for k in group.expressions])

    def run(tables: dict[str, pa.Table]) -> pa.Table:
        table = _filtered(read(tables), predicate)
        columns, n = _columns(table), table.num_rows
        work: dict[str, pa.Array] = {}
        for i, key in enumerate(keys):
            work[f"k{i}"] = _as_array(key(columns, n), n)
            if pa.types.is_floating(work[f"k{i}"].type):
                raise Unsupported("floating group key")  # DuckDB groups -0.0 with 0.0
        aggregations: list[tuple[Any, str]] = []
        for i, (_, kind, value, _) in enumerate(outputs):
            if value is not None:
                work[f"a{i}"] = _aggregate_input(kind, _as_array(value(columns, n), n))
                aggregations.append((f"a{i}", kind))
            elif kind == "count_all":
                aggregations.append(([], "count_all"))
        grouped = pa.table(work or {"_": pa.nulls(n)}).group_by(
            [f"k{i}" for i in range(len(keys))], use_threads=False
        )
        result = grouped.aggregate(aggregations)
        named = dict(zip(result.column_names, result.columns, strict=True))
        arrays = []
        for i, (_, kind, value, column) in enumerate(outputs):
            name = column if kind == "key" else f"a{i}_{kind}" if value is not None else kind
            arrays.append(named[name].combine_chunks())
        return pa.Table.from_arrays(arrays, names=[o[0] for o in outputs])

    return run


GroupedOutput = tuple[str, str, Expr | None, str]  # name, aggregate kind, input, key column


def _grouped_outputs(node: exp.Select, key_sql: list[str]) -> list[GroupedOutput]:
    outputs: list[GroupedOutput] = []
    for projection in node.expressions:
        if not isinstance(projection, exp.Alias):
            raise Unsupported("unnamed grouped output")
        body = projection.this
        if body.sql() in key_sql:
            outputs.append((projection.alias, "key", None, f"k{key_sql.index(body.sql())}"))
            continue
        kind = _AGGREGATES.get(type(body))
        if kind is None or body.args.get("distinct") or isinstance(body.this, exp.Distinct):
            raise Unsupported(f"aggregate {type(body).__name__}")
        if isinstance(body, exp.Count) and isinstance(body.this, exp.Star):
            outputs.append((projection.alias, "count_all", None, ""))
        else:
            outputs.append((projection.alias, kind, _expr(body.this), ""))
    return outputs


_AGGREGATES: dict[type[exp.Expr], str] = {
    exp.Max: "max",
    exp.Min: "min",
    exp.Count: "count",
    exp.Sum: "sum",
}


def _aggregate_input(kind: str, values: pa.Array) -> pa.Array:
    """``values`` if the hash aggregate ``kind`` computes DuckDB's answer over them."""
    if pa.types.is_floating(values.type):
        if kind == "sum" or (kind != "count" and _has_nan(values)):
            raise Unsupported(f"{kind} of floating values")  # summation order, NaN's place
    elif kind == "sum":
        if not pa.types.is_integer(values.type):
            raise Unsupported(f"sum of {values.type}")
        bounds = pc.min_max(values)
        largest = max(abs(bounds["min"].as_py() or 0), abs(bounds["max"].as_py() or 0))
        if largest * max(len(values), 1) >= 2**62:
            raise Unsupported("sum that might overflow")  # Arrow's integer sum wraps
    return values


def _source(node: exp.Expr) -> Query:
    if isinstance(node, exp.Table | exp.Identifier):
        if any(node.args.get(k) for k in ("db", "catalog", "joins", "alias")):
            raise Unsupported("qualified table")
        name = node.name

        def leaf(tables: dict[str, pa.Table]) -> pa.Table:
            return tables[name].combine_chunks()

        return leaf
    if isinstance(node, exp.Subquery):
        return _query(node)
    raise Unsupported(type(node).__name__)


def _columns(table: pa.Table) -> Columns:
    columns: Columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        columns[name] = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return columns


Projection = Callable[[Columns, int], list[tuple[str, Value]]]


def _projection(node: exp.Expr) -> Projection:
    if isinstance(node, exp.Star):
        return lambda columns, _n: list(columns.items())
    if isinstance(node, exp.Alias):
        name, value = node.alias, _expr(node.this)
        return lambda columns, n: [(name, value(columns, n))]
    if isinstance(node, exp.Column) and not node.table:
        name, value = node.name, _expr(node)
        return lambda columns, n: [(name, value(columns, n))]
    raise Unsupported(type(node).__name__)


def _as_array(value: Value, length: int) -> pa.Array:
    if isinstance(value, pa.ChunkedArray):
        return value.combine_chunks()
    if isinstance(value, pa.Array):
        return value
    return pa.repeat(value, length)


# -- expressions ---------------------------------------------------------------------------

_COMPARE: dict[type[exp.Expr], Callable[..., Value]] = {
    exp.EQ: pc.equal,
    exp.NEQ: pc.not_equal,
    exp.GT: pc.greater,
    exp.GTE: pc.greater_equal,
    exp.LT: pc.less,
    exp.LTE: pc.less_equal,
}
_ARITHMETIC: dict[type[exp.Expr], Callable[..., Value]] = {
    exp.Add: pc.add_checked,
    exp.Sub: pc.subtract_checked,
    exp.Mul: pc.multiply_checked,
}


def _expr(node: exp.Expr) -> Expr:
    if node.meta.get(FROM_JSON):
        return _from_json(node)
    for kinds, build in _BUILDERS:
        if isinstance(node, kinds):
            return build(node)
    raise Unsupported(type(node).__name__)


def _literal_expr(node: exp.Expr) -> Expr:
    value = _literal(node)
    return lambda _c, _n: value


def _binary(node: exp.Expr) -> Expr:
    left, right = _expr(node.this), _expr(node.expression)
    compare = _COMPARE.get(type(node))
    if compare is not None:
        return _comparison(compare, left, right)
    arithmetic = _ARITHMETIC.get(type(node))
    if arithmetic is not None:
        return lambda c, n: arithmetic(_numeric(left(c, n)), _numeric(right(c, n)))
    if isinstance(node, exp.And | exp.Or):
        kleene = pc.and_kleene if isinstance(node, exp.And) else pc.or_kleene
        return lambda c, n: kleene(_boolean(left(c, n)), _boolean(right(c, n)))
    if isinstance(node, exp.DPipe):
        return lambda c, n: pc.binary_join_element_wise(
            _string(left(c, n)), _string(right(c, n)), ""
        )
    raise Unsupported(type(node).__name__)


def _unary(node: exp.Expr) -> Expr:
    inner = _expr(node.this)
    if isinstance(node, exp.Neg):
        return lambda c, n: pc.negate_checked(_numeric(inner(c, n)))
    if isinstance(node, exp.Not):
        return lambda c, n: pc.invert(_boolean(inner(c, n)))
    return inner  # Paren, Alias


def _is(node: exp.Expr) -> Expr:
    if not isinstance(node.expression, exp.Null):
        raise Unsupported("IS other than NULL")
    inner = _expr(node.this)
    return lambda c, n: _is_null(inner(c, n))


def _coalesce(node: exp.Expr) -> Expr:
    parts = [_expr(node.this), *(_expr(e) for e in node.expressions)]
    return lambda c, n: pc.coalesce(*(p(c, n) for p in parts))


def _concat(node: exp.Expr) -> Expr:
    if node.args.get("coalesce"):
        raise Unsupported("concat skipping NULLs")
    parts = [_expr(e) for e in node.expressions]
    return lambda c, n: pc.binary_join_element_wise(*(_string(p(c, n)) for p in parts), "")


def _column(node: exp.Column) -> Expr:
    if node.table:
        raise Unsupported("qualified column")
    name = node.name

    def read(columns: Columns, _n: int) -> Value:
        found = columns.get(name)
        if found is None:  # DuckDB's identifiers are case-insensitive
            matches = [v for k, v in columns.items() if k.lower() == name.lower()]
            if len(matches) != 1:
                raise Unsupported(f"column {name}")
            found = matches[0]
        return found

    return read


def _literal(node: exp.Expr) -> pa.Scalar:
    if isinstance(node, exp.Null):
        return pa.scalar(None)
    if isinstance(node, exp.Boolean):
        return pa.scalar(bool(node.this))
    assert isinstance(node, exp.Literal)
    if node.is_string:
        return pa.scalar(node.this, pa.string())
    text = node.this
    if text.lstrip("-").isdigit():
        number = int(text)
        return pa.scalar(number, pa.int32() if -(2**31) <= number < 2**31 else pa.int64())
    raise Unsupported(f"literal {text}")  # DuckDB's DECIMAL literals


def _type_of(value: Value) -> pa.DataType:
    return value.type


def _numeric(value: Value) -> Value:
    kind = _type_of(value)
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        raise Unsupported(f"arithmetic on {kind}")
    return value


def _boolean(value: Value) -> Value:
    kind = _type_of(value)
    if pa.types.is_null(kind):
        return pa.scalar(None, pa.bool_())
    if not pa.types.is_boolean(kind):
        raise Unsupported(f"logic on {kind}")
    return value


def _string(value: Value) -> Value:
    kind = _type_of(value)
    if pa.types.is_null(kind):
        return pa.scalar(None, pa.string())
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise Unsupported(f"string operation on {kind}")
    return value


def _is_null(value: Value) -> Value:
    if isinstance(value, pa.Scalar):
        return pa.scalar(not value.is_valid)
    return pc.is_null(value)


def _comparison(compare: Callable[..., Value], left: Expr, right: Expr) -> Expr:
    def run(columns: Columns, n: int) -> Value:
        a, b = left(columns, n), right(columns, n)
        kinds = (_type_of(a), _type_of(b))
        for value, kind in zip((a, b), kinds, strict=True):
            if pa.types.is_floating(kind) and _has_nan(value):
                raise Unsupported("NaN compared")  # DuckDB and Spark order NaN above all
        if not _comparable(*kinds):
            raise Unsupported(f"comparison of {kinds[0]} and {kinds[1]}")
        return compare(a, b)

    return run


def _comparable(a: pa.DataType, b: pa.DataType) -> bool:
    def group(kind: pa.DataType) -> str:
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            return "number"
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return "string"
        if pa.types.is_boolean(kind):
            return "boolean"
        return "null" if pa.types.is_null(kind) else str(kind)

    return group(a) == group(b) or "null" in (group(a), group(b))


def _has_nan(value: Value) -> bool:
    if isinstance(value, pa.Scalar):
        return bool(value.is_valid and value.as_py() != value.as_py())
    return bool(pc.any(pc.is_nan(value)).as_py())


def _case(node: exp.Expr) -> Expr:
    if isinstance(node, exp.If):
        branches = [(_expr(node.this), _expr(node.args["true"]))]
        fallback = node.args.get("false")
    else:
        if node.this is not None:
            raise Unsupported("CASE x WHEN")
        branches = [(_expr(i.this), _expr(i.args["true"])) for i in node.args.get("ifs", [])]
        fallback = node.args.get("default")
    otherwise = _expr(fallback) if fallback is not None else None

    def run(columns: Columns, n: int) -> Value:
        result = otherwise(columns, n) if otherwise is not None else pa.scalar(None)
        for condition, value in reversed(branches):
            chosen = pc.fill_null(_boolean(condition(columns, n)), False)
            result = pc.if_else(chosen, value(columns, n), result)
        return result

    return run


def _concat_ws(node: exp.ConcatWs) -> Expr:
    parts = [_expr(e) for e in node.expressions]
    if len(parts) < 2 or not isinstance(node.expressions[0], exp.Literal):
        raise Unsupported("concat_ws separator")
    separator, values = node.expressions[0].this, parts[1:]
    return lambda c, n: pc.binary_join_element_wise(
        *(_string(v(c, n)) for v in values), separator, null_handling="skip"
    )


_TEXT = (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR)
_INTEGER_TYPES = {
    exp.DataType.Type.BIGINT: pa.int64(),
    exp.DataType.Type.INT: pa.int32(),
    exp.DataType.Type.SMALLINT: pa.int16(),
    exp.DataType.Type.TINYINT: pa.int8(),
}


def _cast(node: exp.Expr) -> Expr:
    """``CAST`` (``TRY_CAST`` too: a value that would fail is refused, not made NULL)."""
    assert isinstance(node, exp.Cast)
    inner, target = _expr(node.this), node.to.this
    if node.to.expressions:
        raise Unsupported("parameterised type")
    convert = next((f for types, f in _CASTS if target in types), None)
    if convert is None:
        raise Unsupported(f"cast to {target}")

    def run(columns: Columns, n: int) -> Value:
        value = inner(columns, n)
        converted = convert(value, target)
        if converted is None:
            raise Unsupported(f"cast of {_type_of(value)} to {target}")
        return converted

    return run


def _to_text(value: Value, _target: Any) -> Value | None:
    kind = _type_of(value)
    if pa.types.is_string(kind):
        return value
    if any(is_(kind) for is_ in (pa.types.is_binary, pa.types.is_integer, pa.types.is_boolean)):
        return pc.cast(value, pa.string())  # binary: UTF-8 checked (DuckDB's DECODE)
    return pc.cast(value, pa.string()) if pa.types.is_null(kind) else None


def _to_integer(value: Value, target: Any) -> Value | None:
    kind = _type_of(value)
    if pa.types.is_integer(kind) or pa.types.is_null(kind):
        return pc.cast(value, _INTEGER_TYPES[target])  # overflow raises
    return None


def _to_double(value: Value, _target: Any) -> Value | None:
    kind = _type_of(value)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return pc.cast(value, pa.float64())
    if isinstance(value, pa.Scalar) and pa.types.is_string(kind) and value.is_valid:
        return pa.scalar(_decimal_text(value.as_py()), pa.float64())  # a literal
    return None


def _to_timestamp_tz(value: Value, _target: Any) -> Value | None:
    kind = _type_of(value)
    utc = pa.types.is_timestamp(kind) and kind.tz in ("UTC", "+00:00")
    return value if utc else None


_CASTS: list[tuple[Any, Callable[[Value, Any], Value | None]]] = [
    (_TEXT, _to_text),
    (tuple(_INTEGER_TYPES), _to_integer),
    ((exp.DataType.Type.DOUBLE,), _to_double),
    ((exp.DataType.Type.TIMESTAMPTZ,), _to_timestamp_tz),
]


def _decimal_text(text: str) -> float:
    """A plain decimal literal's double (correctly rounded, as DuckDB's); others refused."""
    stripped = text.strip()
    if not stripped or not all(ch in "0123456789.-+eE" for ch in stripped):
        raise Unsupported(f"cast of {text!r} to DOUBLE")
    return float(stripped)


def _struct_field(node: exp.Expr) -> Expr:
    inner = _expr(node.this)
    if isinstance(node, exp.Bracket):
        keys = node.expressions
        if len(keys) != 1 or not isinstance(keys[0], exp.Literal) or not keys[0].is_string:
            raise Unsupported("bracket other than a struct field")
        name = keys[0].this
    else:
        if not isinstance(node.expression, exp.Identifier):
            raise Unsupported("dot")
        name = node.expression.name

    def run(columns: Columns, n: int) -> Value:
        value = inner(columns, n)
        kind = _type_of(value)
        if not isinstance(value, pa.Array) or not pa.types.is_struct(kind):
            raise Unsupported("field of a non-struct")
        names = [kind.field(i).name for i in range(kind.num_fields)]
        if name in names:
            index = names.index(name)
        else:  # DuckDB's struct fields match case-insensitively
            matches = [i for i, f in enumerate(names) if f.lower() == name.lower()]
            if len(matches) != 1:
                raise Unsupported(f"field {name}")
            index = matches[0]
        return pc.struct_field(value, [index])

    return run


def _function(node: exp.Anonymous) -> Expr:
    name = str(node.this).lower()
    args = [_expr(e) for e in node.expressions]
    if name == "epoch_ms" and len(args) == 1:
        return lambda c, n: _epoch_ms(args[0](c, n))
    if name == "to_json" and len(args) == 1:
        return lambda c, n: _json_string(args[0](c, n))
    raise Unsupported(f"function {name}")


def _epoch_ms(value: Value) -> Value:
    kind = _type_of(value)
    if not pa.types.is_timestamp(kind) or kind.unit != "us" or isinstance(value, pa.Scalar):
        raise Unsupported(f"epoch_ms of {kind}")
    micros = pc.cast(value, pa.int64())
    quotient = pc.divide(micros, 1000)  # truncates toward zero; epoch_ms floors
    behind = pc.and_(pc.less(micros, 0), pc.not_equal(pc.multiply(quotient, 1000), micros))
    return pc.if_else(behind, pc.subtract(quotient, 1), quotient)


def _json_string(value: Value) -> Value:
    """DuckDB's ``to_json`` of a string: quoted, ``\\`` and ``"`` escaped (text with control
    characters, which it writes as escapes, is refused)."""
    value = _string(value)
    if isinstance(value, pa.Scalar) or pc.any(pc.match_substring_regex(value, _CONTROL)).as_py():
        raise Unsupported("to_json of control characters")
    escaped = pc.replace_substring(pc.replace_substring(value, "\\", "\\\\"), '"', '\\"')
    return pc.binary_join_element_wise('"', escaped, '"', "")


def _from_json(node: exp.Expr) -> Expr:
    """The marked ``CASE`` of ``from_json`` (``kaspar.sql.functions.json``): NULL for NULL or
    blank text, else the parsed struct. Its text operand is what the ``IS NULL`` tests."""
    fields = node.meta[FROM_JSON]
    if not all(isinstance(kind, str) and kind in _JSON_TYPES for _, kind in fields):
        raise Unsupported("from_json of a struct with other than plain fields")
    schema = pa.schema([pa.field(name, _JSON_TYPES[kind]) for name, kind in fields])
    tests = [n for n in node.find_all(exp.Is) if isinstance(n.expression, exp.Null)]
    if not tests:
        raise Unsupported("from_json without its NULL test")
    text = _expr(tests[0].this)
    options = pj.ParseOptions(
        explicit_schema=schema, unexpected_field_behavior="ignore", newlines_in_values=False
    )

    def run(columns: Columns, n: int) -> Value:
        values = _string(text(columns, n))
        if isinstance(values, pa.Scalar) or values.null_count:
            raise Unsupported("from_json of NULL text")
        if len(values) == 0:
            return pa.array([], pa.struct(schema))
        if not pc.all(pc.match_substring_regex(values, _ONE_OBJECT)).as_py():
            raise Unsupported("from_json text that is not one plain JSON object per value")
        offsets = pa.array([0, len(values)], pa.int32())
        joined = pc.binary_join(pa.ListArray.from_arrays(offsets, values), "\n")[0]
        data = joined.as_buffer()
        read = pj.ReadOptions(use_threads=False, block_size=max(1 << 16, data.size + 1))
        parsed = pj.read_json(pa.BufferReader(data), read_options=read, parse_options=options)
        if parsed.num_rows != len(values):
            raise Unsupported("from_json text with more than one value")
        arrays = [c.combine_chunks() for c in parsed.cast(schema).columns]
        return pa.StructArray.from_arrays(arrays, fields=list(schema))

    return run


_BUILDERS: list[tuple[Any, Callable[[Any], Expr]]] = [
    ((exp.Column,), _column),
    ((exp.Literal, exp.Null, exp.Boolean), _literal_expr),
    ((*_COMPARE, *_ARITHMETIC, exp.And, exp.Or, exp.DPipe), _binary),
    ((exp.Neg, exp.Not, exp.Paren, exp.Alias), _unary),
    ((exp.Is,), _is),
    ((exp.Case, exp.If), _case),
    ((exp.Coalesce,), _coalesce),
    ((exp.ConcatWs,), _concat_ws),
    ((exp.Concat,), _concat),
    ((exp.Cast,), _cast),
    ((exp.Bracket, exp.Dot), _struct_field),
    ((exp.Anonymous,), _function),
]

__all__ = ["FROM_JSON", "MAX_ROWS", "ArrowStage", "Unsupported", "compile_stage"]
