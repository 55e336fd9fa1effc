"""Spark's variant functions as DuckDB trees over DuckDB's ``VARIANT`` (docs/variant.md).

* ``parse_json`` is the C encoder (``encoding``) as a built-in Arrow function giving Spark's
  binary encoding, which DuckDB's ``variant_bytes_to_variant`` reads;
* a path (``$.a.b[0]``, ``$['a']``) becomes one step per element. DuckDB's ``variant_extract``
  gives SQL NULL both for a missing field and for a JSON null, which Spark tells apart (a
  variant null), so each step asks ``variant_exists`` / ``variant_array_length`` first and puts
  a variant null back where the value was there;
* ``variant_get(v, path, type)`` casts by the value's own type (``variant_typeof``): integers
  through BIGINT, decimals and doubles through DOUBLE (or text, to a decimal target), strings
  and booleans as they are, each with Spark's cast rules (``TRY_CAST`` of the dialect); a value
  that does not cast raises ``INVALID_VARIANT_CAST`` (``try_variant_get``: NULL);
* ``to_json`` is DuckDB's ``CAST(v AS JSON)`` (sorted fields, no spaces, as Spark writes).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from functools import cache

import duckdb
import sqlglot
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.cast_sources import SOURCE_TYPE
from kaspar.engine.compile.cast_spark import spark_cast
from kaspar.engine.compile.cast_templates import RAW
from kaspar.engine.compile.json_text import json_sql
from kaspar.engine.type_conversion import from_sqlglot, to_sqlglot
from kaspar.engine.udf import PythonUDF, register
from kaspar.engine.variant import edit, encoding, schema
from kaspar.engine.variant.map_objects import with_map_objects
from kaspar.errors import AnalysisException, SparkRuntimeException

PARSE_JSON = register(PythonUDF(encoding.parse_json, T.BinaryType(), name="parse_json", arrow=True))
TRY_PARSE_JSON = register(
    PythonUDF(encoding.try_parse_json, T.BinaryType(), name="try_parse_json", arrow=True)
)

SCHEMAS = register(PythonUDF(schema.schemas, T.StringType(), name="schema_of_variant", arrow=True))

DELETE = register(PythonUDF(edit.delete, T.BinaryType(), name="variant_delete", arrow=True))
_WITH_VALUE = {
    name: register(
        PythonUDF(
            edit.with_value(name.removeprefix("try_"), mode, name.startswith("try_")),
            T.BinaryType(),
            name=name,
            arrow=True,
        )
    )
    for name, mode in (
        ("variant_array_append", edit.APPEND),
        ("try_variant_array_append", edit.APPEND),
        ("variant_set", edit.SET),
        ("try_variant_set", edit.SET),
        ("variant_insert", edit.INSERT),
        ("try_variant_insert", edit.INSERT),
    )
}
EXPLODE = register(
    PythonUDF(
        edit.explode,
        T.ArrayType(
            T.StructType(
                [
                    T.StructField("pos", T.IntegerType()),
                    T.StructField("key", T.StringType()),
                    T.StructField("value", T.BinaryType()),
                ]
            )
        ),
        name="variant_explode",
        arrow=True,
    )
)
STRIP_NULLS = register(
    PythonUDF(edit.strip_nulls, T.BinaryType(), name="variant_strip_nulls", arrow=True)
)

JSON_PATH = register(
    PythonUDF(edit.json_paths, T.StringType(), name="variant_json_path", arrow=True)
)

# Spark's encoding of a variant null: empty metadata (version 1), then the null value.
_NULL_HEX = "01000000"
_NAMES = itertools.count()
_PLACEHOLDER = "__variant_double"
INVALID_CAST = "INVALID_VARIANT_CAST"
_STEP = re.compile(r"\.([^.\[]+)|\[\s*(\d+)\s*\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def _raw(v: exp.Expr, to: str | exp.DataType) -> exp.Expr:
    """DuckDB's own cast (not Spark's rules, which the dialect applies to other casts)."""
    cast = exp.cast(v, to)
    cast.meta[RAW] = True
    cast.meta[SOURCE_TYPE] = "RAW"  # not probed: the dialect writes it as it is
    return cast


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _str(text: str) -> exp.Expr:
    return exp.Literal.string(text)


def variant_null() -> exp.Expr:
    """A variant holding JSON null (not a SQL NULL)."""
    return _fn("variant_bytes_to_variant", _fn("unhex", _str(_NULL_HEX)))


def bind(value: exp.Expr, body: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """``body(x)`` with ``x`` the value of ``value``, computed once (a one-element list's
    ``list_transform``: the expression is not copied into each use)."""
    name = f"__variant_{next(_NAMES)}"
    lam = exp.Lambda(this=body(exp.column(name)), expressions=[exp.to_identifier(name)])
    mapped = _fn("list_transform", exp.Array(expressions=[value]), lam)
    return _fn("list_extract", mapped, exp.Literal.number(1))


def parse(text: exp.Expr, try_: bool) -> exp.Expr:
    """``parse_json(text)`` / ``try_parse_json(text)``."""
    encoded = _fn(TRY_PARSE_JSON if try_ else PARSE_JSON, _raw(text, "VARCHAR"))
    return _fn("variant_bytes_to_variant", encoded)


def is_variant_null(v: exp.Expr) -> exp.Expr:
    """True for a variant holding JSON null, false for SQL NULL and any other value."""
    typed = exp.EQ(this=_fn("variant_typeof", v.copy()), expression=_str("VARIANT_NULL"))
    present = exp.Not(this=exp.Is(this=v.copy(), expression=exp.Null()))
    return exp.func("coalesce", exp.and_(present, typed), exp.false())


def path_steps(path: str, function: str) -> list[str | int]:
    """Spark's variant path (``$``, then ``.name``, ``['name']`` or ``[index]`` steps)."""
    steps: list[str | int] = []
    position = 1
    if not path.startswith("$"):
        raise _bad_path(path, function)
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise _bad_path(path, function)
        name, index, single, double = match.groups()
        key = next((s for s in (name, single, double) if s is not None), "")
        steps.append(int(index) if index is not None else key)
        position = match.end()
    return steps


def _bad_path(path: str, function: str) -> SparkRuntimeException:
    return SparkRuntimeException(
        f"The path `{path}` is not a valid variant extraction path "
        f"in `{function}`. A valid path should start with `$` and is followed by zero or more "
        "segments like `[123]`, `.name`, `['name']`, or `[\"name\"]`. SQLSTATE: 22023",
        "INVALID_VARIANT_GET_PATH",
    )


def _step(v: exp.Expr, step: str | int) -> exp.Expr:
    return bind(v, lambda x: _step_of(x, step))


def _step_of(v: exp.Expr, step: str | int) -> exp.Expr:
    if isinstance(step, str):
        present: exp.Expr = _fn("variant_exists", v.copy(), _str(step))
        value = _fn("variant_extract", v.copy(), _str(step))
    else:
        length = _fn("variant_array_length", v.copy())
        present = exp.GT(this=length, expression=exp.Literal.number(step))
        index = exp.cast(
            exp.Literal.number(step + 1), exp.DataType.build("UINTEGER", dialect="duckdb")
        )
        value = _fn("variant_extract", v.copy(), index)
        array = _fn("starts_with", _fn("variant_typeof", v.copy()), _str("ARRAY"))
        present = exp.and_(array, present)
    found = exp.func("coalesce", value, variant_null())
    return exp.Case(ifs=[exp.If(this=present, true=found)])


def extract(v: exp.Expr, steps: list[str | int]) -> exp.Expr:
    """The variant at ``steps`` in ``v``; SQL NULL where the path does not lead anywhere."""
    for step in steps:
        v = _step(v, step)
    return v


def to_json(v: exp.Expr) -> exp.Expr:
    """Spark's JSON text of a variant (``to_json``): DuckDB's, and Java's notation for a double
    at the top (a double inside an object or array keeps DuckDB's, docs/variant.md)."""

    def text(x: exp.Expr) -> exp.Expr:
        is_double = exp.EQ(this=_fn("variant_typeof", x.copy()), expression=_str("DOUBLE"))
        double = _java_double(_raw(x.copy(), "DOUBLE"))
        return exp.Case(
            ifs=[exp.If(this=is_double, true=double)], default=_raw(_raw(x, "JSON"), "VARCHAR")
        )

    return bind(v, text)


@cache
def _java_double_template() -> exp.Expr:
    built = sqlglot.parse_one(json_sql(_PLACEHOLDER, duckdb.sqltype("DOUBLE")), read="duckdb")
    return built


def _java_double(x: exp.Expr) -> exp.Expr:
    """Java's ``Double.toString`` of the DOUBLE ``x`` (``json_text``'s SQL)."""
    built = _java_double_template().copy()
    for cast in built.find_all(exp.Cast):
        cast.meta[RAW] = True
        cast.meta[SOURCE_TYPE] = "RAW"
    for column in list(built.find_all(exp.Column)):
        if column.name == _PLACEHOLDER:
            column.replace(x.copy())
    return built


def to_text(v: exp.Expr) -> exp.Expr:
    """``cast(v as string)``: a string value without quotes, anything else as JSON text."""
    is_text = exp.EQ(this=_fn("variant_typeof", v.copy()), expression=_str("VARCHAR"))
    json_text = to_json(v.copy())
    text = exp.If(this=is_text, true=_raw(v.copy(), "VARCHAR"))
    nulls = exp.If(this=is_variant_null(v), true=exp.null())
    return exp.Case(ifs=[nulls, text], default=json_text)


def _through(v: exp.Expr, via: str, target: T.DataType) -> exp.Expr:
    inner = _raw(v.copy(), via)
    to = to_sqlglot(target)
    built = spark_cast(inner, via, to, "try")
    if built is None:
        built = exp.TryCast(this=inner, to=to)
        built.meta[SOURCE_TYPE] = via
    for cast in built.find_all(exp.Cast):  # written as they are: no probe query
        if cast.meta.get(RAW):
            cast.meta.setdefault(SOURCE_TYPE, "RAW")
    return built


def _typed(v: exp.Expr, target: T.DataType) -> exp.Expr:
    """``v`` cast to ``target`` by Spark's rules for the value's own type; NULL if it cannot."""
    if isinstance(target, T.StringType):
        return to_text(v)
    kind = _fn("variant_typeof", v.copy())
    decimal_via = "VARCHAR" if isinstance(target, T.DecimalType) else "DOUBLE"
    branches = [
        (_fn("starts_with", kind, _str("INT")), "BIGINT"),
        (_fn("starts_with", kind.copy(), _str("DECIMAL")), decimal_via),
        (exp.EQ(this=kind.copy(), expression=_str("DOUBLE")), "DOUBLE"),
        (exp.EQ(this=kind.copy(), expression=_str("FLOAT")), "DOUBLE"),
        (exp.EQ(this=kind.copy(), expression=_str("VARCHAR")), "VARCHAR"),
        (_fn("starts_with", kind.copy(), _str("BOOL")), "BOOLEAN"),
    ]
    ifs = []
    for test, via in branches:
        try:
            ifs.append(exp.If(this=test, true=_through(v, via, target)))
        except AnalysisException:  # Spark casts no such value to target: NULL (or the error)
            continue
    return exp.Case(ifs=ifs) if ifs else exp.cast(exp.null(), to_sqlglot(target))


def _type_name(target: T.DataType) -> str:
    names: dict[type[T.DataType], str] = {
        T.IntegerType: "INT",
        T.LongType: "BIGINT",
        T.ShortType: "SMALLINT",
        T.ByteType: "TINYINT",
    }
    return names.get(type(target), target.simpleString().upper())


def get(v: exp.Expr, steps: list[str | int], target: T.DataType | None, try_: bool) -> exp.Expr:
    """``variant_get`` / ``try_variant_get`` (``target`` None: the variant itself)."""
    found = extract(v, steps)
    if target is None or isinstance(target, T.VariantType):
        return found
    return bind(found, lambda x: _cast(x, target, try_))


def get_by_column(
    v: exp.Expr, path: exp.Expr, target: T.DataType | None, try_: bool, function: str
) -> exp.Expr:
    """``variant_get`` with a path column: DuckDB's ``variant_extract`` takes constant steps
    only, so the value is found in the variant's JSON text by the row's path (translated once
    per distinct path) and parsed back (a date or timestamp inside comes back as a string)."""
    json_path = _fn(JSON_PATH, path.copy(), _str(function))
    text = _raw(_raw(v, "JSON"), "VARCHAR")
    found = parse(_raw(_fn("json_extract", text, json_path), "VARCHAR"), try_=False)
    return get(found, [], target, try_)


def _cast(found: exp.Expr, target: T.DataType, try_: bool) -> exp.Expr:
    typed = _typed(found, target)
    if try_:
        return exp.Case(ifs=[exp.If(this=is_variant_null(found), true=exp.null())], default=typed)
    message = exp.DPipe(
        this=exp.DPipe(
            this=_str(f"[{INVALID_CAST}] The variant value `"),
            expression=_raw(_raw(found.copy(), "JSON"), "VARCHAR"),
        ),
        expression=_str(
            f'` cannot be cast into `"{_type_name(target)}"`. Please use `try_variant_get` '
            "instead. SQLSTATE: 22023"
        ),
    )
    fails = exp.and_(
        exp.Not(this=exp.Is(this=found.copy(), expression=exp.Null())),
        exp.Not(this=is_variant_null(found)),
    )
    error = _raw(_fn("error", message), to_sqlglot(target).sql("duckdb"))
    checked = exp.func("coalesce", typed, exp.Case(ifs=[exp.If(this=fails, true=error)]))
    return exp.Case(ifs=[exp.If(this=is_variant_null(found), true=exp.null())], default=checked)


def cast(v: exp.Expr, to: exp.DataType, mode: str) -> exp.Expr:
    """``cast(v as T)`` of a variant: ``variant_get(v, '$', T)``; NULL where it does not cast
    outside ANSI mode."""
    return get(v, [], from_sqlglot(to), try_=mode != "ansi")


def encoded(v: exp.Expr) -> exp.Expr:
    """Spark's encoding of a variant: its metadata followed by its value (a BLOB)."""

    def joined(x: exp.Expr) -> exp.Expr:
        metadata = _fn("struct_extract", x, _str("metadata"))
        return exp.DPipe(this=metadata, expression=_fn("struct_extract", x.copy(), _str("value")))

    parts = exp.DataType.build("STRUCT(metadata BLOB, value BLOB)", dialect="duckdb")
    return bind(_raw(_fn("variant_to_parquet_variant", v), parts), joined)


def schema_of_variant(v: exp.Expr) -> exp.Expr:
    """Spark's schema text of a variant (NULL for NULL)."""
    schema_text = _fn(SCHEMAS, exp.Array(expressions=[encoded(v.copy())]))
    present = exp.Is(this=v.copy(), expression=exp.Null()).not_()
    return exp.Case(ifs=[exp.If(this=present, true=schema_text)])


def schema_of_variant_agg(v: exp.Expr) -> exp.Expr:
    """The merged schema of a group's variants (an aggregate: DuckDB's ``list`` of them)."""
    return _fn(SCHEMAS, exp.ArrayAgg(this=encoded(v)))


def _literal_text(e: exp.Expr) -> str:
    return str(e.this) if isinstance(e, exp.Literal) else e.sql("spark")


def sql_call(name: str, args: list[exp.Expr]) -> exp.Expr:
    """A Spark SQL call of a variant function (``KasparSpark``'s parser)."""
    if name in ("parse_json", "try_parse_json"):
        return parse(args[0], try_=name == "try_parse_json")
    if name == "is_variant_null":
        return is_variant_null(args[0])
    if name == "to_variant_object":
        return exp.cast(args[0], exp.DataType.build("VARIANT"))
    if name == "variant_delete":
        return delete(args[0], args[1:])
    if name in _WITH_VALUE:
        create = not (len(args) > 3 and isinstance(args[3], exp.Boolean) and not args[3].this)
        built = with_value(name, args[0], args[1], args[2], create)
        return _fn("coalesce", built)  # a call: sqlglot checks a CASE's 3 arguments against 4
    if name == "variant_strip_nulls":
        keep = len(args) > 1 and isinstance(args[1], exp.Boolean) and not args[1].this
        return strip_nulls(args[0], include_arrays=not keep)
    if name == "schema_of_variant":
        return schema_of_variant(args[0])
    if name == "schema_of_variant_agg":
        return schema_of_variant_agg(args[0])
    if name == "is_valid_variant":
        present = exp.Is(this=args[0].copy(), expression=exp.Null()).not_()
        return exp.Case(ifs=[exp.If(this=present, true=exp.true())])
    path = _literal_text(args[1]) if len(args) > 1 else "$"
    target = (
        from_sqlglot(exp.DataType.build(_literal_text(args[2]), dialect="spark"))
        if len(args) > 2
        else None
    )
    try_ = name == "try_variant_get"
    return get(args[0], path_steps(path, name), target, try_)


def to_variant(value: exp.Expr, source: str) -> exp.Expr:
    """``to_variant_object(x)`` / ``cast(x as variant)`` of a struct or an array (DuckDB's cast
    keeps each field's type); Spark refuses other types, and kaspar maps (DuckDB would make
    key/value pairs of them, Spark an object)."""
    nested = source.startswith(("STRUCT", "MAP")) or source.endswith("]")
    if source in ("VARIANT", ""):  # "": the operand's type was not asked (a probe query)
        return value if source else _raw(value, "VARIANT")
    if nested and "MAP(" in source:
        return _raw(with_map_objects(value, source, _raw), "VARIANT")
    if not nested:
        shown = source
        raise AnalysisException(
            f'Cannot resolve "to_variant_object" due to data type mismatch: cannot cast '
            f'"{shown}" to "VARIANT".',
            "DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION",
        )
    return _raw(value, "VARIANT")


def colon_paths(tree: exp.Expr) -> exp.Expr:
    """Spark SQL's ``v:a.b[0]`` extractions in ``tree`` (sqlglot's variant ``JSONExtract``) as
    variant paths, each named by its last field as Spark names it."""
    from kaspar.engine.plan.naming import SPARK_NAME  # plan -> compile -> this module

    def is_path(node: exp.Expr) -> bool:
        return isinstance(node, exp.JSONExtract) and bool(node.args.get("variant_extract"))

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Cast) and is_path(node.this):  # v:a::int is named a too
            cast = node.copy()
            cast.set("this", rewrite(cast.this))
            cast.meta[SPARK_NAME] = cast.this.meta[SPARK_NAME]
            return cast
        if not is_path(node):
            return node
        steps: list[str | int] = []
        for part in node.expression.expressions:
            if isinstance(part, exp.JSONPathKey):
                steps.append(str(part.this))
            elif isinstance(part, exp.JSONPathSubscript):
                steps.append(int(part.this))
        extracted = extract(node.this, steps)
        keys = [s for s in steps if isinstance(s, str)]
        extracted.meta[SPARK_NAME] = keys[-1] if keys else node.this.sql("spark")
        return extracted

    return tree.transform(rewrite)


def has_variant(dtype: T.DataType) -> bool:
    """Whether a schema holds a variant (``from_json`` then reads those fields as variants)."""
    if isinstance(dtype, T.VariantType):
        return True
    if isinstance(dtype, T.StructType):
        return any(has_variant(f.dataType) for f in dtype.fields)
    return False


def with_variant_fields(record: exp.Expr, text: exp.Expr, schema: T.StructType) -> exp.Expr:
    """``from_json``'s ``record`` of ``schema`` with each variant field taken from the text
    parsed as a variant (DuckDB's ``json_transform`` would type its numbers its own way and
    read a JSON null as a missing field)."""

    def nested(
        parsed: exp.Expr, dtype: T.StructType, path: list[str | int]
    ) -> Callable[[exp.Expr], exp.Expr]:
        return lambda x: rebuild(x, parsed, dtype, path)

    def rebuild(
        r: exp.Expr, parsed: exp.Expr, dtype: T.StructType, steps: list[str | int]
    ) -> exp.Expr:
        fields = []
        for field in dtype.fields:
            path: list[str | int] = [*steps, field.name]
            if isinstance(field.dataType, T.VariantType):
                value = extract(parsed.copy(), path)
            elif isinstance(field.dataType, T.StructType) and has_variant(field.dataType):
                inner = _fn("struct_extract", r.copy(), _str(field.name))
                value = bind(inner, nested(parsed, field.dataType, path))
            else:
                value = _fn("struct_extract", r.copy(), _str(field.name))
            fields.append(exp.PropertyEQ(this=exp.to_identifier(field.name), expression=value))
        present = exp.Is(this=r.copy(), expression=exp.Null()).not_()
        return exp.Case(ifs=[exp.If(this=present, true=_fn("struct_pack", *fields))])

    return bind(parse(text, try_=True), lambda p: bind(record, lambda r: rebuild(r, p, schema, [])))


def _edit_target(path: exp.Expr, function: str) -> str | None:
    """A literal path of an edit (None for NULL: skipped); ``$`` alone is no target."""
    if isinstance(path, exp.Null) or not is_literal_path(path):
        return None
    text = str(path.this)
    try:
        steps = path_steps(text, function)
    except SparkRuntimeException:
        steps = []
    if not steps:
        raise SparkRuntimeException(
            f"The path '{text}' is not a valid `{function}` target. A valid path should start "
            "with `$` and is followed by segments like `[123]`, `.name`, `['name']`, or "
            '`["name"]`. The root path `$` is not allowed.',
            "INVALID_VARIANT_PATH",
        )
    return text


def is_literal_path(path: exp.Expr) -> bool:
    """Whether ``path`` is a string literal (else a column: the path varies by row)."""
    return isinstance(path, exp.Literal) and path.is_string


def delete(v: exp.Expr, paths: list[exp.Expr]) -> exp.Expr:
    """``variant_delete(v, paths...)``: each path's value removed, left to right (a path
    column: each row's, see ``edit``)."""
    current = encoded(v)
    for path in paths:
        if not isinstance(path, exp.Null) and not is_literal_path(path):
            current = _fn(DELETE, current, path.copy())
            continue
        target = _edit_target(path, "variant_delete")
        if target is not None:
            current = _fn(DELETE, current, _str(target))
    return _unless_null(v, _fn("variant_bytes_to_variant", current))


def _unless_null(v: exp.Expr, value: exp.Expr) -> exp.Expr:
    """``value``, NULL where ``v`` is (an encoding of NULL is a variant null's)."""
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=v.copy(), expression=exp.Null()).not_(), true=value)]
    )


def strip_nulls(v: exp.Expr, include_arrays: bool) -> exp.Expr:
    """``variant_strip_nulls(v, include_arrays)``."""
    flag = exp.true() if include_arrays else exp.false()
    return _unless_null(v, _fn("variant_bytes_to_variant", _fn(STRIP_NULLS, encoded(v), flag)))


def with_value(
    function: str, v: exp.Expr, path: exp.Expr, value: exp.Expr, create: bool = True
) -> exp.Expr:
    """``variant_array_append``, ``variant_set`` (``create``: make what is missing) and
    ``variant_insert`` (and their ``try_`` forms) of ``value``, a variant or cast to one."""
    if is_literal_path(path):
        if function.removeprefix("try_") in ("variant_set", "variant_insert"):
            _edit_target(path, function)  # the root path is refused
        path_steps(str(path.this), function)  # Spark's INVALID_VARIANT_GET_PATH for a bad path
        path = _str(str(path.this))
    added = encoded(_raw(value, exp.DataType.build("VARIANT")))  # DuckDB keeps its type
    flag = exp.true() if create else exp.false()
    call = _fn(_WITH_VALUE[function], encoded(v), path.copy(), added, flag)
    both = exp.and_(
        exp.Is(this=v.copy(), expression=exp.Null()).not_(),
        exp.Is(this=value.copy(), expression=exp.Null()).not_(),
    )
    return exp.Case(ifs=[exp.If(this=both, true=_fn("variant_bytes_to_variant", call))])


def explode_items(v: exp.Expr) -> exp.Expr:
    """``variant_explode``'s rows as a list of ``{pos, key, value}`` structs (``inline``)."""
    name = f"__variant_{next(_NAMES)}"
    item = exp.column(name)
    fields = [
        ("pos", _fn("struct_extract", item.copy(), _str("pos"))),
        ("key", _fn("struct_extract", item.copy(), _str("key"))),
        (
            "value",
            _fn("variant_bytes_to_variant", _fn("struct_extract", item.copy(), _str("value"))),
        ),
    ]
    body = _fn(
        "struct_pack", *(exp.PropertyEQ(this=exp.to_identifier(n), expression=e) for n, e in fields)
    )
    lam = exp.Lambda(this=body, expressions=[exp.to_identifier(name)])
    return _fn("list_transform", _fn(EXPLODE, encoded(v)), lam)


def explode_rows(v: exp.Expr, outer: bool) -> exp.Select:
    """Spark SQL's ``FROM variant_explode(v)``: a query of its rows (``pos``, ``key``,
    ``value``); ``outer``: one row of NULLs where there are none."""
    items = explode_items(v)
    if outer:
        empty = exp.or_(
            exp.Is(this=items.copy(), expression=exp.Null()),
            exp.EQ(this=_fn("len", items.copy()), expression=exp.Literal.number(0)),
        )
        items = exp.Case(
            ifs=[exp.If(this=empty, true=exp.Array(expressions=[exp.null()]))], default=items
        )
    row = exp.column("__variant_row")
    unnested = exp.select(exp.alias_(_fn("unnest", items), "__variant_row"))
    fields = [
        exp.alias_(_fn("struct_extract", row.copy(), _str(n)), n) for n in ("pos", "key", "value")
    ]
    return exp.select(*fields).from_(unnested.subquery("__variant_rows"))
