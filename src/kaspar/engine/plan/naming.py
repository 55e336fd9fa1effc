"""Spark's output column names for expressions: ``(x + 1)``, ``upper(s)``, ``count(1)``.

The DataFrame functions record the exact Spark name of what they build in ``expr.meta``
(under ``SPARK_NAME``); expressions parsed from SQL text are named by the rules below, which
follow Spark's ``toPrettySQL``.
"""

from __future__ import annotations

from sqlglot import exp

SPARK_NAME = "spark_name"
# The name when ``e`` is selected itself, where it differs from its name inside another
# expression: a cast of a column is named after the column (Spark's ``Column.named``).
SPARK_TOP_NAME = "spark_top_name"
# The frame Spark names a window function with when the window gives none (ranking: ROWS
# BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW; lag/lead: their offset row).
SPARK_FRAME = "spark_frame"

_BINARY_OPS: dict[type[exp.Expr], str] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Div: "/",
    exp.Mod: "%",
    exp.IntDiv: "div",
    exp.EQ: "=",
    exp.NullSafeEQ: "<=>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.And: "AND",
    exp.Or: "OR",
    exp.BitwiseAnd: "&",
    exp.BitwiseOr: "|",
    exp.BitwiseXor: "^",
}


def column_text(e: exp.Expr) -> str:
    """How PySpark 4 prints a Column (``repr``): operators as calls (``+(id, 1)``), an alias
    as ``expr AS name``, a column as the path it was given (``st.n``)."""
    if isinstance(e, exp.Paren):
        return column_text(e.this)
    if isinstance(e, exp.Alias):
        return f"{column_text(e.this)} AS {e.alias}"
    if isinstance(e, exp.Column) and not isinstance(e.this, exp.Star):
        return ".".join(part.name for part in e.parts)
    op = _BINARY_OPS.get(type(e))
    if op is not None and e.meta.get(SPARK_NAME) is None:
        return f"{op}({column_text(e.this)}, {column_text(e.expression)})"
    return output_name(e)


def top_level_name(e: exp.Expr) -> str:
    """The column name Spark gives to ``e`` selected itself without an alias (a cast of a
    column written in SQL text is named after the column, as ``Column.cast`` is)."""
    top = e.meta.get(SPARK_TOP_NAME) if e.meta else None
    if top is not None:
        return str(top)
    if (
        isinstance(e, exp.Cast | exp.TryCast)
        and not (e.meta and e.meta.get(SPARK_NAME))
        and isinstance(e.this, exp.Column)
        and not isinstance(e.this.this, exp.Star)
    ):
        return output_name(e.this)
    return output_name(e)


def output_name(e: exp.Expr) -> str:
    """The column name Spark gives to ``e`` when it is selected without an alias."""
    named = e.meta.get(SPARK_NAME) if e.meta else None
    if named is not None:
        return str(named)
    if isinstance(e, exp.Alias):
        return e.alias
    if isinstance(e, exp.Column):
        return "*" if isinstance(e.this, exp.Star) else e.name
    if isinstance(e, exp.Star):
        return "*"
    if isinstance(e, exp.Literal | exp.Null | exp.Boolean):
        return _literal_name(e)
    if isinstance(e, exp.Paren):
        return output_name(e.this)
    if isinstance(e, exp.Neg):
        if isinstance(e.this, exp.Literal):
            return f"-{e.this.this}"
        return f"negative({output_name(e.this)})"
    if isinstance(e, exp.Not):
        return _not_name(e)
    if isinstance(e, exp.NEQ):
        return f"(NOT ({output_name(e.this)} = {output_name(e.expression)}))"
    op = _BINARY_OPS.get(type(e))
    if op is not None:
        return f"({output_name(e.this)} {op} {output_name(e.expression)})"
    return _compound_name(e)


def _literal_name(e: exp.Expr) -> str:
    if isinstance(e, exp.Null):
        return "NULL"
    if isinstance(e, exp.Boolean):
        return "true" if e.this else "false"
    return str(e.this)


def _not_name(e: exp.Not) -> str:
    inner = e.this.unnest() if isinstance(e.this, exp.Paren) else e.this
    if isinstance(inner, exp.Is):
        return f"({output_name(inner.this)} IS NOT NULL)"
    return f"(NOT {output_name(inner)})"


def _compound_name(e: exp.Expr) -> str:
    if isinstance(e, exp.Is):
        return f"({output_name(e.this)} IS NULL)"
    if isinstance(e, exp.Cast | exp.TryCast):
        kind = "TRY_CAST" if isinstance(e, exp.TryCast) else "CAST"
        to = e.to.sql(dialect="spark").upper()
        return f"{kind}({output_name(e.this)} AS {to})"
    if isinstance(e, exp.In):
        items = ", ".join(output_name(x) for x in e.expressions)
        return f"({output_name(e.this)} IN ({items}))"
    if isinstance(e, exp.Between):
        x, lo, hi = (output_name(e.this), output_name(e.args["low"]), output_name(e.args["high"]))
        return f"(({x} >= {lo}) AND ({x} <= {hi}))"
    if isinstance(e, exp.Case):
        return _case_name(e)
    if isinstance(e, exp.Count) and isinstance(e.this, exp.Star):
        return "count(1)"
    if isinstance(e, exp.Distinct):
        return "DISTINCT " + ", ".join(output_name(x) for x in e.expressions)
    if isinstance(e, exp.Like | exp.ILike | exp.RegexpLike) and not e.args.get("escape"):
        return _like_name(e)
    if isinstance(e, exp.Bracket):
        return f"{output_name(e.this)}[{', '.join(output_name(x) for x in e.expressions)}]"
    return _constructed_name(e)


def _constructed_name(e: exp.Expr) -> str:
    if isinstance(e, exp.Window):
        return _window_name(e)
    if isinstance(e, exp.Struct):
        return _struct_name(e)
    if isinstance(e, exp.VarMap):
        return _map_name(e)
    if isinstance(e, exp.Func):
        return _func_name(e)
    return e.sql(dialect="spark")


def _like_name(e: exp.Expr) -> str:
    """``s LIKE p`` (``(NOT s LIKE p)``), ``ilike(s, p)``, ``RLIKE(s, p)``: Spark's names."""
    this, pattern = output_name(e.this), output_name(e.expression)
    if isinstance(e, exp.Like):
        like = f"{this} LIKE {pattern}"
        return f"(NOT {like})" if e.args.get("negate") else like
    return f"{'ilike' if isinstance(e, exp.ILike) else 'RLIKE'}({this}, {pattern})"


def _case_name(e: exp.Case) -> str:
    parts = ["CASE"]
    if e.this:
        parts.append(output_name(e.this))
    for branch in e.args.get("ifs") or []:
        parts.append(f"WHEN {output_name(branch.this)} THEN {output_name(branch.args['true'])}")
    default = e.args.get("default")
    if default is not None:
        parts.append(f"ELSE {output_name(default)}")
    parts.append("END")
    return " ".join(parts)


# sqlglot's node name where Spark's generated name differs (array_agg is collect_list in Spark)
_SPARK_FUNCTION_NAMES: dict[type[exp.Expr], str] = {
    exp.ArrayAgg: "collect_list",
    exp.ArrayUniqueAgg: "collect_set",
    exp.IsNan: "isnan",
}


_UPPER_CASE_RANKING = (exp.Rank, exp.DenseRank, exp.PercentRank)


def _func_name(e: exp.Func) -> str:
    if isinstance(e, _UPPER_CASE_RANKING) and not e.expressions:
        return f"{e.sql_name()}()"
    if isinstance(e, exp.Lag | exp.Lead):  # Spark names the default offset and value
        offset, default = e.args.get("offset"), e.args.get("default")
        shown = [output_name(e.this), output_name(offset) if offset else "1"]
        shown.append(output_name(default) if default else "NULL")
        return f"{e.sql_name().lower()}({', '.join(shown)})"
    spark_name = _SPARK_FUNCTION_NAMES.get(type(e))
    name = e.name if isinstance(e, exp.Anonymous) else spark_name or e.sql_name()
    args: list[str] = []
    for key in e.arg_types:
        value = e.args.get(key)
        if value is None or (isinstance(e, exp.Anonymous) and key == "this"):
            continue
        values = value if isinstance(value, list) else [value]
        args.extend(output_name(v) for v in values if isinstance(v, exp.Expr))
    return f"{name.lower()}({', '.join(args)})"


def _struct_name(e: exp.Struct) -> str:
    """``struct(i, 1)``; a field named other than its value is shown ``i AS a``."""
    parts = []
    for k, field in enumerate(e.expressions):
        if not isinstance(field, exp.PropertyEQ):
            parts.append(output_name(field))
            continue
        value, name = field.expression, field.name
        shown = output_name(value)
        default = shown if isinstance(value, exp.Column) else f"col{k + 1}"
        parts.append(shown if name == default else f"{shown} AS {name}")
    return f"struct({', '.join(parts)})"


def _map_name(e: exp.VarMap) -> str:
    keys, values = e.args["keys"], e.args["values"]
    if not (isinstance(keys, exp.Array) and isinstance(values, exp.Array)):
        return _func_name(e)
    pairs = zip(keys.expressions, values.expressions, strict=True)
    return f"map({', '.join(f'{output_name(k)}, {output_name(v)}' for k, v in pairs)})"


_ROWS_TO_CURRENT = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
_RANKING = frozenset({"row_number", "rank", "dense_rank", "percent_rank", "ntile"})


def _window_name(e: exp.Window) -> str:
    """``sum(i) OVER (PARTITION BY k ORDER BY i ASC NULLS FIRST <frame>)``, the frame written
    out as Spark does when the query leaves it implicit."""
    func = e.this
    parts = []
    partition = e.args.get("partition_by") or []
    if partition:
        parts.append("PARTITION BY " + ", ".join(output_name(p) for p in partition))
    order = e.args.get("order")
    ordered = list(order.expressions) if order is not None else []
    if ordered:
        parts.append("ORDER BY " + ", ".join(_ordered_name(o) for o in ordered))
    parts.append(_frame_name(func, e.args.get("spec"), bool(ordered)))
    return f"{output_name(func)} OVER ({' '.join(parts)})"


def _ordered_name(o: exp.Expr) -> str:
    if not isinstance(o, exp.Ordered):
        return f"{output_name(o)} ASC NULLS FIRST"
    desc = bool(o.args.get("desc"))
    nulls_first = o.args.get("nulls_first")
    first = (not desc) if nulls_first is None else bool(nulls_first)
    return f"{output_name(o.this)} {'DESC' if desc else 'ASC'} NULLS {'FIRST' if first else 'LAST'}"


def _frame_name(func: exp.Expr, spec: exp.Expr | None, ordered: bool) -> str:
    if isinstance(spec, exp.WindowSpec) and spec.args.get("kind"):
        start = _bound_name(spec.args.get("start"), spec.args.get("start_side"))
        end = _bound_name(spec.args.get("end"), spec.args.get("end_side"))
        return f"{str(spec.args['kind']).upper()} BETWEEN {start} AND {end}"
    frame = func.meta.get(SPARK_FRAME) if func.meta else None
    if frame is not None:
        return str(frame)
    if isinstance(func, exp.Anonymous):
        name = func.name.lower()
    else:
        name = func.sql_name().lower() if isinstance(func, exp.Func) else func.key
    if name in _RANKING:
        return _ROWS_TO_CURRENT
    if isinstance(func, exp.Lag | exp.Lead):
        offset = func.args.get("offset")
        n = int(offset.this) if isinstance(offset, exp.Literal) and not offset.is_string else 1
        row = -n if isinstance(func, exp.Lag) else n
        return f"ROWS BETWEEN {row} FOLLOWING AND {row} FOLLOWING"
    if ordered:
        return "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    return "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"


def _bound_name(value: object, side: object) -> str:
    text = value.sql(dialect="spark") if isinstance(value, exp.Expr) else str(value or "")
    if text.upper() == "CURRENT ROW":
        return "CURRENT ROW"
    return f"{text.upper()} {str(side or '').upper()}".strip()


def name_projections(query: exp.Query) -> exp.Query:
    """Alias the unnamed top-level projections of a SQL query with Spark's names."""
    if not isinstance(query, exp.Select):
        return query
    named = [
        e
        if isinstance(e, exp.Alias | exp.Column | exp.Star)
        else exp.Alias(this=e, alias=exp.to_identifier(top_level_name(e), quoted=True))
        for e in query.expressions
    ]
    return query.select(*named, append=False, copy=True)
