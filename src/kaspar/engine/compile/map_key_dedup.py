"""Spark's ``spark.sql.mapKeyDedupPolicy`` for the functions that build maps.

``EXCEPTION`` (Spark's default): a duplicate key fails the query with ``DUPLICATED_MAP_KEY``.
DuckDB's ``MAP`` already refuses duplicate keys (the error is translated), but its
``map_concat`` lets the last map win silently, so ``map_concat`` is always rewritten as one
``MAP`` of the maps' keys and values concatenated (NULL when any map is NULL, as in Spark).

``LAST_WIN``: a duplicate key keeps the position of its first occurrence and the value of its
last, as Spark's map builder does. ``map``/``create_map``, ``map_from_arrays``,
``map_from_entries`` (and so ``str_to_map``) and ``map_concat`` are rewritten to keep, of each
key, the first index with the value at the last index (list lambdas over the keys: a map's
size is small, so the quadratic search stays cheap).

``dedup_map_keys`` runs on the compiled tree before generation, like the typed rewrites.
"""

from __future__ import annotations

from sqlglot import exp

POLICIES = ("EXCEPTION", "LAST_WIN")
DEFAULT_POLICY = "EXCEPTION"
NATIVE = "kaspar_native_map_concat"  # meta: keep DuckDB's map_concat (the last map wins)


def native_map_concat(call: exp.Expr) -> exp.Expr:
    """Mark a ``map_concat`` call to keep DuckDB's own semantics whatever the policy: ksqlDB's
    ``MAP_UNION`` and ``JSON_CONCAT`` let the last map win."""
    call.meta[NATIVE] = True
    return call


def map_key_dedup_policy(value: str) -> str:
    """The policy named by a ``spark.sql.mapKeyDedupPolicy`` value (any case), or Spark's
    error for another value."""
    policy = value.upper()
    if policy not in POLICIES:
        from kaspar.errors import IllegalArgumentException

        raise IllegalArgumentException(
            f"[INVALID_CONF_VALUE.OUT_OF_RANGE_OF_OPTIONS] The value '{value}' in the config "
            f'"spark.sql.mapKeyDedupPolicy" is invalid. It should be one of EXCEPTION, LAST_WIN.',
            "INVALID_CONF_VALUE.OUT_OF_RANGE_OF_OPTIONS",
        )
    return policy


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _lambda(var: str, body: exp.Expr) -> exp.Lambda:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(var)])


def _concat(lists: list[exp.Expr]) -> exp.Expr:
    return lists[0] if len(lists) == 1 else _fn("list_concat", *lists)


def _any_null(values: list[exp.Expr]) -> exp.Expr:
    return exp.or_(*(exp.Is(this=v.copy(), expression=exp.Null()) for v in values))


def _last_win(keys: exp.Expr, values: exp.Expr) -> exp.Expr:
    """``MAP(keys, values)`` with each duplicate key once, at its first index, holding the
    value of its last."""
    i = exp.column("_mk_i")
    key_at = exp.Bracket(this=keys.copy(), expressions=[i.copy()])
    first = exp.EQ(this=_fn("list_position", keys.copy(), key_at.copy()), expression=i.copy())
    size = exp.Length(this=keys.copy())
    kept = _fn(
        "list_filter",
        _fn("range", exp.Literal.number(1), exp.Add(this=size, expression=exp.Literal.number(1))),
        _lambda("_mk_i", first),
    )
    from_end = _fn("list_position", _fn("list_reverse", keys.copy()), key_at.copy())
    last = exp.Sub(
        this=exp.Add(this=exp.Length(this=keys.copy()), expression=exp.Literal.number(1)),
        expression=from_end,
    )
    value_at = exp.Bracket(this=values.copy(), expressions=[last])
    built = _fn(
        "map",
        _fn("list_transform", kept.copy(), _lambda("_mk_i", key_at)),
        _fn("list_transform", kept, _lambda("_mk_i", value_at)),
    )
    guard = _any_null([keys, values])
    return exp.Case(ifs=[exp.If(this=guard, true=exp.Null())], default=built)


def _concatenated(maps: list[exp.Expr], last_win: bool) -> exp.Expr:
    keys = _concat([_fn("map_keys", m.copy()) for m in maps])
    values = _concat([_fn("map_values", m.copy()) for m in maps])
    built = _last_win(keys, values) if last_win else _fn("map", keys, values)
    return exp.Case(ifs=[exp.If(this=_any_null(maps), true=exp.Null())], default=built)


def _field_values(entries: exp.Expr, index: int) -> exp.Expr:
    """Field ``index`` (1-based) of each struct in the list ``entries``."""
    field = _fn("struct_extract_at", exp.column("_mk_e"), exp.Literal.number(index))
    return _fn("list_transform", entries.copy(), _lambda("_mk_e", field))


def _entries(entries: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    return _field_values(entries, 1), _field_values(entries, 2)


def _name(node: exp.Expr) -> str:
    return str(node.this).lower() if isinstance(node, exp.Anonymous) else ""


def _rewrite(node: exp.Expr, last_win: bool) -> exp.Expr | None:
    """The replacement of one map-building call, or None to keep it."""
    name = _name(node)
    if node.meta.get(NATIVE):
        return None
    if name == "map_concat":
        return _concatenated(list(node.expressions), last_win)
    if not last_win:
        return None
    if isinstance(node, exp.VarMap | exp.Map) and node.args.get("keys") is not None:
        return _last_win(node.args["keys"], node.args["values"])
    if name == "map" and len(node.expressions) == 2:
        return _last_win(node.expressions[0], node.expressions[1])
    if name == "map_from_entries" or isinstance(node, exp.MapFromEntries):
        entries = node.expressions[0] if name else node.this
        return _last_win(*_entries(entries))
    return None


def dedup_map_keys(tree: exp.Expr, policy: str) -> None:
    """Apply ``policy`` to every map-building call in ``tree`` (inner calls first)."""
    last_win = policy.upper() == "LAST_WIN"
    nodes = [
        n
        for n in tree.walk()
        if isinstance(n, exp.VarMap | exp.Map | exp.MapFromEntries | exp.Anonymous)
    ]
    for node in reversed(nodes):
        replacement = _rewrite(node, last_win)
        if replacement is not None:
            node.replace(replacement)


__all__ = [
    "DEFAULT_POLICY",
    "POLICIES",
    "dedup_map_keys",
    "map_key_dedup_policy",
    "native_map_concat",
]
