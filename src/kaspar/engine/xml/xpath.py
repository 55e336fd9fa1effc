"""Spark's ``xpath*`` functions over Arrow arrays with lxml (libxml2's XPath 1.0).

DuckDB has no XML parser, so each function is a built-in Arrow function: one call per batch,
the XPath compiled once per distinct path in the batch (a path is nearly always a literal),
each document parsed by libxml2. lxml has no call over many documents, so the loop over a
batch's rows stays in Python; that is the one place kaspar accepts it (docs/xml.md).

Spark's results, as its ``UDFXPathUtil`` gives them:

* ``xpath``: the values of the nodes the path selects (text and attribute nodes; an element
  has none: NULL), an empty array when none match;
* ``xpath_string``: the XPath ``string()`` of the result ('' when nothing matches);
* ``xpath_boolean``: XPath ``boolean()``;
* ``xpath_double`` / ``xpath_number`` / ``xpath_float``: XPath ``number()`` (NaN when not a
  number); ``xpath_int`` / ``xpath_long`` / ``xpath_short``: that number as Java narrows a
  double (NaN 0, toward zero, saturated at the type's range; a short from the int);
* NULL for a NULL or empty document or a NULL or empty path; a document that is not XML, or
  a path that is not XPath, fails the query (Spark: ``RuntimeException``);
* namespaces are ignored, as Spark's parser (not namespace-aware) does.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
from lxml import etree
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.deferred_errors import defer
from kaspar.errors import SparkRuntimeException

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_WRAPPER = "kaspar-document"
_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>)?\s*(<!DOCTYPE[^>\[]*>)?")
_ABSOLUTE = re.compile(r"(^|[(,|\[])\s*/(?!/)")
_INT_RANGE = {32: (-(2**31), 2**31 - 1), 64: (-(2**63), 2**63 - 1)}


def _invalid(detail: object) -> BaseException:
    return defer(SparkRuntimeException(f"Invalid XML document: {detail}", "INVALID_XML"))


def _document(text: str) -> Any:
    """The document under a wrapper element: lxml evaluates a path from an element, never from
    the document node, so the wrapper stands for it (a relative path starts at it, as Spark's
    starts at the document; an absolute one is moved under it by ``_from_wrapper``)."""
    body = _PROLOG.sub("", text, count=1)
    try:
        wrapper = etree.fromstring(f"<{_WRAPPER}>{body}</{_WRAPPER}>".encode(), _PARSER)
    except etree.XMLSyntaxError as e:
        raise _invalid(e) from e
    stray = (wrapper.text or "").strip() or any((c.tail or "").strip() for c in wrapper)
    if len(wrapper) != 1 or stray:
        raise _invalid("one root element expected")
    if "xmlns" in text:  # Spark's parser is not namespace-aware: names without namespaces
        for element in wrapper.iter():
            if isinstance(element.tag, str):
                element.tag = etree.QName(element).localname
        etree.cleanup_namespaces(wrapper)
    return wrapper


def _from_wrapper(path: str) -> str:
    """``path`` with its absolute location paths starting under the wrapper element."""
    return _ABSOLUTE.sub(rf"\1/{_WRAPPER}/", path)


def _compiled(path: str, wrap: str | None) -> Any:
    text = f"{wrap}({_from_wrapper(path)})" if wrap else _from_wrapper(path)
    try:
        return etree.XPath(text)
    except etree.XPathSyntaxError as e:
        raise defer(SparkRuntimeException(f"Invalid XPath '{path}': {e}", "INVALID_XPATH")) from e


def _evaluated(xml: pa.Array, paths: pa.Array, wrap: str | None) -> Iterator[Any]:
    """Each row's XPath result (None where the document or the path is NULL or empty)."""
    cache: dict[str, Any] = {}
    for text, path in zip(xml.to_pylist(), paths.to_pylist(), strict=True):
        if not text or not path:
            yield None
            continue
        compiled = cache.get(path)
        if compiled is None:
            compiled = cache[path] = _compiled(path, wrap)
        try:
            yield compiled(_document(text))
        except etree.XPathEvalError as e:
            raise defer(
                SparkRuntimeException(f"Invalid XPath '{path}': {e}", "INVALID_XPATH")
            ) from e


def _node_values(result: Any) -> list[str | None]:
    if not isinstance(result, list):
        raise defer(
            SparkRuntimeException(
                "Invalid XML document: the XPath does not select a node set", "INVALID_XPATH"
            )
        )
    return [str(node) if isinstance(node, str) else None for node in result]


def xpath(xml: pa.Array, paths: pa.Array) -> pa.Array:
    values = [None if r is None else _node_values(r) for r in _evaluated(xml, paths, None)]
    return pa.array(values, pa.list_(pa.string()))


def xpath_string(xml: pa.Array, paths: pa.Array) -> pa.Array:
    return pa.array(
        [None if r is None else str(r) for r in _evaluated(xml, paths, "string")], pa.string()
    )


def xpath_boolean(xml: pa.Array, paths: pa.Array) -> pa.Array:
    return pa.array(
        [None if r is None else bool(r) for r in _evaluated(xml, paths, "boolean")], pa.bool_()
    )


def _numbers(xml: pa.Array, paths: pa.Array) -> list[float | None]:
    return [None if r is None else float(r) for r in _evaluated(xml, paths, "number")]


def xpath_double(xml: pa.Array, paths: pa.Array) -> pa.Array:
    return pa.array(_numbers(xml, paths), pa.float64())


def xpath_float(xml: pa.Array, paths: pa.Array) -> pa.Array:
    return pa.array(_numbers(xml, paths), pa.float64()).cast(pa.float32(), safe=False)


def _java_integral(value: float, bits: int) -> int:
    """Java's narrowing of a double to an int (32) or a long (64)."""
    if math.isnan(value):
        return 0
    low, high = _INT_RANGE[bits]
    if math.isinf(value):
        return high if value > 0 else low
    return max(low, min(high, int(value)))


def _integral(bits: int, arrow: pa.DataType) -> Callable[[pa.Array, pa.Array], pa.Array]:
    def evaluate(xml: pa.Array, paths: pa.Array) -> pa.Array:
        values: list[int | None] = []
        for number in _numbers(xml, paths):
            if number is None:
                values.append(None)
            elif bits == 16:  # Java: (short) of the int
                values.append((_java_integral(number, 32) + 2**15) % 2**16 - 2**15)
            else:
                values.append(_java_integral(number, bits))
        return pa.array(values, arrow)

    return evaluate


FUNCTIONS: dict[str, tuple[Callable[[pa.Array, pa.Array], pa.Array], T.DataType]] = {
    "xpath": (xpath, T.ArrayType(T.StringType())),
    "xpath_string": (xpath_string, T.StringType()),
    "xpath_boolean": (xpath_boolean, T.BooleanType()),
    "xpath_double": (xpath_double, T.DoubleType()),
    "xpath_number": (xpath_double, T.DoubleType()),
    "xpath_float": (xpath_float, T.FloatType()),
    "xpath_int": (_integral(32, pa.int32()), T.IntegerType()),
    "xpath_long": (_integral(64, pa.int64()), T.LongType()),
    "xpath_short": (_integral(16, pa.int16()), T.ShortType()),
}


def _register() -> dict[str, str]:
    from kaspar.engine.udf import PythonUDF, register  # udf -> compile -> dialect -> here

    return {
        name: register(PythonUDF(function, rtype, name=name, arrow=True))
        for name, (function, rtype) in FUNCTIONS.items()
    }


SQL_NAMES: dict[str, str] = _register()


def call(name: str, xml: exp.Expr, path: exp.Expr | None = None) -> exp.Expr:
    """The sqlglot call of Spark's ``name(xml, path)``; the path must be a literal (Spark).
    ``from_xml``, ``to_xml`` and ``schema_of_xml`` too (``records``)."""
    if name in RECORD_FUNCTIONS:
        return RECORD_FUNCTIONS[name](xml, path)
    assert path is not None
    if not isinstance(path, exp.Literal | exp.Null):
        from kaspar.errors import AnalysisException

        raise AnalysisException(
            f'Cannot resolve "{name}({xml.sql("spark")}, {path.sql("spark")})" due to data type '
            'mismatch: the input `path` should be a foldable "STRING" expression; however, got '
            f'"{path.sql("spark")}".',
            "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
        )
    return exp.Anonymous(this=SQL_NAMES[name], expressions=[xml, path])


def _from_xml(xml: exp.Expr, schema: exp.Expr | None) -> exp.Expr:
    from kaspar.engine.type_conversion import parse_data_type

    if not isinstance(schema, exp.Literal):
        from kaspar.errors import AnalysisException

        raise AnalysisException(
            "[INVALID_SCHEMA.NON_STRING_LITERAL] The input schema is not a valid schema string.",
            "INVALID_SCHEMA.NON_STRING_LITERAL",
        )
    dtype = parse_data_type(str(schema.this))
    if not isinstance(dtype, T.StructType):
        dtype = T.StructType([T.StructField("value", dtype)])
    return exp.Anonymous(this=from_xml_udf(dtype), expressions=[xml])


def from_xml_udf(schema: T.StructType, options: dict[str, str] | None = None) -> str:
    """The SQL name of ``from_xml`` into ``schema`` (one built-in Arrow function per schema and
    set of options)."""
    from kaspar.engine.udf import PythonUDF, register
    from kaspar.engine.xml import records

    pairs = tuple(sorted((str(k), str(v)) for k, v in (options or {}).items()))
    key = (schema.simpleString(), pairs)
    if key not in _FROM_XML:
        function = functools.partial(records.from_xml, schema=schema, options=pairs)
        _FROM_XML[key] = register(PythonUDF(function, schema, name="from_xml", arrow=True))
    return _FROM_XML[key]


_FROM_XML: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}


def _records_udf(name: str, rtype: T.DataType) -> str:
    from kaspar.engine.udf import PythonUDF, register
    from kaspar.engine.xml import records

    return register(PythonUDF(getattr(records, name), rtype, name=name, arrow=True))


def options_udf(name: str, options: dict[str, str] | None) -> str:
    """The SQL name of ``to_xml`` or ``schema_of_xml`` with XML options (one built-in Arrow
    function per distinct set of options)."""
    from kaspar.engine.udf import PythonUDF, register
    from kaspar.engine.xml import records

    key = (name, tuple(sorted((str(k), str(v)) for k, v in (options or {}).items())))
    if not key[1]:
        return _RECORD_UDFS[name]
    if key not in _WITH_OPTIONS:
        function = functools.partial(getattr(records, name), options=key[1])
        udf = PythonUDF(function, T.StringType(), name=name, arrow=True)
        _WITH_OPTIONS[key] = register(udf)
    return _WITH_OPTIONS[key]


_WITH_OPTIONS: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}


def _to_xml(value: exp.Expr, _: exp.Expr | None) -> exp.Expr:
    return exp.Anonymous(this=_RECORD_UDFS["to_xml"], expressions=[value])


def _schema_of_xml(text: exp.Expr, _: exp.Expr | None) -> exp.Expr:
    return exp.Anonymous(this=_RECORD_UDFS["schema_of_xml"], expressions=[text])


_RECORD_UDFS = {
    "to_xml": _records_udf("to_xml", T.StringType()),
    "schema_of_xml": _records_udf("schema_of_xml", T.StringType()),
}
RECORD_FUNCTIONS: dict[str, Callable[[exp.Expr, exp.Expr | None], exp.Expr]] = {
    "from_xml": _from_xml,
    "to_xml": _to_xml,
    "schema_of_xml": _schema_of_xml,
}
