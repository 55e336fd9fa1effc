"""Spark SQL text calls of functions sqlglot does not know, built by ``kaspar.sql.functions``.

``spark.sql("SELECT substring_index(s, '.', 2) ...")``, ``expr("try_sum(x)")`` and
``selectExpr`` parse Spark SQL with sqlglot; a function sqlglot has no node for stays an
anonymous call, which DuckDB would then not find (or find with other semantics). PySpark's
DataFrame functions of the same name are already Spark's behaviour, names and errors, so such
a call is handed to them: a parameter typed as a column gets the argument's expression, one
typed as a plain Python value (``delim: str``, ``count: int``) gets the literal's value, and a
lambda (``x -> x + 1``) becomes a Python function that substitutes its variables. A call that
does not fit the function's signature (a column where a literal is needed) stays as it was.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

from sqlglot import exp

from kaspar.engine.compile.ansi_interval_sql import mark_operators
from kaspar.engine.compile.dialect import BUILT_CALL, SQL_FUNCTION_HOOKS
from kaspar.engine.plan.naming import SPARK_NAME, output_name
from kaspar.sql._sql_generators import GENERATORS, TABLE_ONLY
from kaspar.sql.column import Column

# Generators are expanded by the projection (they make rows, not values).
_GENERATORS = GENERATORS | TABLE_ONLY
# Names of the functions module that are not SQL functions (or are handled elsewhere).
_NOT_SQL = frozenset({"col", "column", "lit", "expr", "udf", "pandas_udf", "udtf", "broadcast"})


# The SQL functions built by the DataFrame functions: those whose SQL form (sqlglot's node, or
# DuckDB's function of the same name) gives other values, types or names than Spark.
BRIDGED = frozenset(
    {
        "acos",
        "acosh",
        "aes_decrypt",
        "aes_encrypt",
        "aggregate",
        "array_append",
        "array_contains",
        "array_distinct",
        "array_join",
        "array_position",
        "array_prepend",
        "array_remove",
        "array_repeat",
        "array_sort",
        "array_union",
        "arrays_overlap",
        "arrays_zip",
        "ascii",
        "asin",
        "asinh",
        "assert_true",
        "atan",
        "atan2",
        "atanh",
        "base64",
        "bin",
        "bit_and",
        "bit_count",
        "bit_get",
        "bit_length",
        "bit_or",
        "bit_xor",
        "bool_and",
        "bool_or",
        "bround",
        "btrim",
        "cardinality",
        "cbrt",
        "ceiling",
        "char_length",
        "character_length",
        "collate",
        "collation",
        "collect_set",
        "collect_union",
        "concat_ws",
        "contains",
        "conv",
        "convert_timezone",
        "cos",
        "cosh",
        "cot",
        "csc",
        "cume_dist",
        "date_add",
        "date_diff",
        "date_format",
        "date_from_unix_date",
        "date_part",
        "date_sub",
        "date_trunc",
        "dateadd",
        "datediff",
        "datepart",
        "day",
        "dayname",
        "dayofmonth",
        "dayofweek",
        "dayofyear",
        "degrees",
        "dense_rank",
        "e",
        "element_at",
        "elt",
        "endswith",
        "every",
        "exists",
        "exp",
        "expm1",
        "filter",
        "find_in_set",
        "first",
        "first_value",
        "forall",
        "format_number",
        "format_string",
        "from_csv",
        "from_json",
        "from_unixtime",
        "from_xml",
        "get",
        "get_json_object",
        "getbit",
        "grouping",
        "grouping_id",
        "hash",
        "histogram_numeric",
        "hmac",
        "hour",
        "hypot",
        "ifnull",
        "ilike",
        "instr",
        "is_valid_utf8",
        "isnotnull",
        "isnull",
        "json_array_length",
        "json_object_keys",
        "kurtosis",
        "lag",
        "last",
        "last_day",
        "last_value",
        "lcase",
        "lead",
        "left",
        "length",
        "levenshtein",
        "like",
        "locate",
        "log",
        "log10",
        "log1p",
        "log2",
        "lpad",
        "ltrim",
        "make_dt_interval",
        "make_interval",
        "make_time",
        "make_timestamp",
        "make_timestamp_ltz",
        "make_timestamp_ntz",
        "make_valid_utf8",
        "map_concat",
        "map_contains_key",
        "map_entries",
        "map_filter",
        "map_from_arrays",
        "map_from_entries",
        "map_keys",
        "map_values",
        "map_zip_with",
        "mask",
        "median",
        "minute",
        "mode",
        "month",
        "monthname",
        "nanvl",
        "negative",
        "next_day",
        "nth_value",
        "ntile",
        "nullifzero",
        "nvl",
        "octet_length",
        "parse_url",
        "percent_rank",
        "pi",
        "pmod",
        "positive",
        "pow",
        "power",
        "quarter",
        "quote",
        "radians",
        "rank",
        "reduce",
        "regexp",
        "regexp_extract",
        "regexp_extract_all",
        "regexp_instr",
        "regexp_like",
        "regexp_replace",
        "regexp_substr",
        "reverse",
        "rint",
        "rlike",
        "row_number",
        "rpad",
        "rtrim",
        "schema_of_csv",
        "schema_of_json",
        "schema_of_xml",
        "sec",
        "second",
        "sentences",
        "sequence",
        "session_window",
        "sha1",
        "shiftleft",
        "shiftright",
        "shiftrightunsigned",
        "sign",
        "signum",
        "sin",
        "sinh",
        "size",
        "skewness",
        "slice",
        "some",
        "sort_array",
        "split",
        "sqrt",
        "st_asbinary",
        "st_geogfromwkb",
        "st_geomfromwkb",
        "st_setsrid",
        "st_srid",
        "startswith",
        "std",
        "str_to_map",
        "substring_index",
        "sum",
        "tan",
        "tanh",
        "time_bucket",
        "timestamp_micros",
        "timestamp_millis",
        "timestamp_nanos",
        "timestamp_seconds",
        "to_base32",
        "to_char",
        "to_csv",
        "to_date",
        "to_json",
        "to_timestamp",
        "to_timestamp_ltz",
        "to_timestamp_ntz",
        "to_unix_timestamp",
        "to_varchar",
        "to_variant_object",
        "to_xml",
        "transform",
        "transform_keys",
        "transform_values",
        "try_add",
        "try_aes_decrypt",
        "try_avg",
        "try_divide",
        "try_element_at",
        "try_make_timestamp",
        "try_make_timestamp_ltz",
        "try_make_timestamp_ntz",
        "try_mod",
        "try_multiply",
        "try_parse_url",
        "try_subtract",
        "try_sum",
        "try_to_binary",
        "try_to_date",
        "try_to_timestamp",
        "try_url_decode",
        "try_validate_utf8",
        "try_variant_get",
        "ucase",
        "unbase64",
        "unix_date",
        "unix_micros",
        "unix_millis",
        "unix_nanos",
        "unix_seconds",
        "unix_timestamp",
        "validate_utf8",
        "var_pop",
        "var_samp",
        "variant_delete",
        "variant_get",
        "vector_avg",
        "vector_cosine_similarity",
        "vector_inner_product",
        "vector_l2_distance",
        "vector_norm",
        "vector_normalize",
        "vector_sum",
        "weekday",
        "weekofyear",
        "width_bucket",
        "window",
        "window_time",
        "year",
        "zeroifnull",
        "zip_with",
    }
)


_BUILDING = threading.local()  # set while a DataFrame function builds a call


class _NotBridged(Exception):
    """The call's arguments do not fit the Python function's signature."""


@cache
def _functions() -> dict[str, Callable[..., Any]]:
    from kaspar.sql import functions

    return {
        name: fn
        for name in dir(functions)
        if not name.startswith("_")
        and name not in _NOT_SQL
        and name not in _GENERATORS
        and callable(fn := getattr(functions, name))
        and inspect.isfunction(fn)
    }


def bridge_functions(tree: exp.Expr) -> exp.Expr:
    """``tree`` with each anonymous call of a bridged function built by its DataFrame function
    (innermost first; what the functions build is not visited again)."""
    for node in reversed(list(tree.find_all(exp.Anonymous))):
        if node.meta.get(BUILT_CALL):  # a builder's own call, not the user's
            continue
        built = _built(str(node.this), list(node.expressions))
        if built is not None:
            if node is tree:
                return built
            node.replace(built)
    return tree


def _built(name: str, given: list[exp.Expr]) -> exp.Expr | None:
    """The call ``name(given)`` built by the DataFrame function, None if it is not bridged."""
    fn = _functions().get(name.lower()) if name.lower() in BRIDGED else None
    if fn is None or any(isinstance(a, exp.Distinct | exp.Star) for a in given):
        return None
    if getattr(_BUILDING, "active", False):  # the function's own calls: sqlglot's builders
        return None
    _BUILDING.active = True
    try:
        if name.lower() == "convert_timezone" and len(given) == 2:  # (targetTz, sourceTs)
            args: list[Any] = [None, Column(given[0]), Column(given[1])]
        else:
            args, _ = _arguments(fn, given)
        built = fn(*args)
    except (_NotBridged, TypeError):
        return None
    finally:
        _BUILDING.active = False
    if not isinstance(built, Column):
        return None
    mark_operators(given, built.expr)
    if any(isinstance(a, exp.Lambda) for a in given):
        built.expr.meta[SPARK_NAME] = f"{name.lower()}({', '.join(map(_sql_name, given))})"
    return built.expr


def _sql_name(argument: exp.Expr) -> str:
    """An argument's part of Spark SQL's generated name: a lambda is ``lambdafunction(body,
    variables)`` with each variable shown as ``namedlambdavariable()``."""
    if not isinstance(argument, exp.Lambda):
        return output_name(argument)
    names = {str(v.name).lower() for v in argument.expressions}
    variable = exp.Anonymous(this="namedlambdavariable", expressions=[])

    def shown(node: exp.Expr) -> exp.Expr:
        plain = isinstance(node, exp.Column) and not node.table
        bare = isinstance(node, exp.Identifier) and not isinstance(node.parent, exp.Column)
        return variable.copy() if (plain or bare) and node.name.lower() in names else node

    body = output_name(argument.this.copy().transform(shown))
    return f"lambdafunction({', '.join([body, *['namedlambdavariable()'] * len(names)])})"


SQL_FUNCTION_HOOKS.append(_built)  # every Spark SQL call sqlglot has a builder for


def _arguments(fn: Callable[..., Any], given: list[exp.Expr]) -> tuple[list[Any], dict[str, Any]]:
    """The Python arguments for the SQL arguments ``given``, by ``fn``'s parameters."""
    params = list(inspect.signature(fn).parameters.values())
    args: list[Any] = []
    for index, value in enumerate(given):
        if index < len(params) and params[index].kind is not inspect.Parameter.VAR_POSITIONAL:
            param = params[index]
        elif params and params[-1].kind is inspect.Parameter.VAR_POSITIONAL:
            param = params[-1]
        else:
            raise _NotBridged
        args.append(_argument(param, value))
    return args, {}


def _argument(param: inspect.Parameter, value: exp.Expr) -> Any:
    annotation = str(param.annotation)
    if isinstance(value, exp.Lambda):
        return _python_lambda(value)
    if "dict" in annotation:  # options: map('k', 'v', ...) of literals
        return _options(value)
    if "Column" in annotation or param.annotation is inspect.Parameter.empty:
        return Column(value)
    if isinstance(value, exp.Null) and "None" not in annotation:
        raise _NotBridged  # SQL's NULL where the Python function wants a value
    return _python_value(value)


def _options(value: exp.Expr) -> dict[str, str] | None:
    if isinstance(value, exp.Null):
        return None
    if not isinstance(value, exp.VarMap):
        raise _NotBridged
    keys, values = value.args["keys"].expressions, value.args["values"].expressions
    return {str(_python_value(k)): str(_python_value(v)) for k, v in zip(keys, values, strict=True)}


def _python_value(value: exp.Expr) -> Any:
    """A literal's Python value; anything else cannot be a plain Python argument."""
    if isinstance(value, exp.Null):
        return None
    if isinstance(value, exp.Boolean):
        return bool(value.this)
    if isinstance(value, exp.Neg):
        inner = _python_value(value.this)
        if isinstance(inner, int | float) and not isinstance(inner, bool):
            return -inner
        raise _NotBridged
    if isinstance(value, exp.Literal):
        if value.is_string:
            return str(value.this)
        text = str(value.this)
        try:
            return int(text)
        except ValueError:
            return float(text)
    raise _NotBridged


def _python_lambda(value: exp.Lambda) -> Callable[..., Column]:
    """``(a, b) -> body`` as a Python function of Columns (the variables substituted)."""
    names = [str(v.name).lower() for v in value.expressions]
    body = value.this

    def call(*cols: Column) -> Column:
        bound = {n: c.expr for n, c in zip(names, cols, strict=False)}

        def substitute(node: exp.Expr) -> exp.Expr:
            plain = isinstance(node, exp.Column) and not node.table
            bare = isinstance(node, exp.Identifier) and not isinstance(node.parent, exp.Column)
            if (plain or bare) and node.name.lower() in bound:
                return bound[node.name.lower()].copy()
            return node

        return Column(body.copy().transform(substitute))

    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in names]
    )
    return call
