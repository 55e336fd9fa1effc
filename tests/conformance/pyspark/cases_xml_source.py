"""Parity cases: the XML data source (``spark.read.xml``, ``df.write.xml``) and the XML options
of ``to_xml`` / ``schema_of_xml`` / ``from_xml``."""

from __future__ import annotations

import datetime as dt
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from tests.conformance.pyspark.registry import case

_FILES = {
    "books.xml": """<?xml version="1.0"?>
<catalog>
  <book id="bk101" flag="true">
    <author>Gambardella</author>
    <price>44.95</price>
    <qty>3</qty>
    <pub>2000-10-01</pub>
    <ts>2000-10-01T10:00:00</ts>
    <ts2>2000-10-01 10:00:00</ts2>
    <tag>a</tag><tag>b</tag>
    <nested><x>1</x><y attr="q">t</y></nested>
    <empty/>
    <ok>true</ok>
  </book>
  <book id="bk102">
    <author>Ralls</author>
    <price>5</price>
    <qty>x</qty>
    <pub>2000-12-16</pub>
    <tag>c</tag>
    <ok>false</ok>
    <mixed>text<b>1</b>more</mixed>
  </book>
</catalog>
""",
    # a value that does not fit (notnum), then a malformed record: the rest of the file is lost
    "malformed.xml": """<rows>
<r a="1"><x>1</x><y> 2.5 </y></r>
<r a="2"><x>notnum</x><y>3</y></r>
<r><x>3</x><y>4<z></y></r>
<r a="4">  hello  </r>
</rows>""",
    "options.xml": """<rows>
<r a="1"><x>1</x><y> 2.5 </y></r>
<r a="2"><x>notnum</x><y>3</y></r>
<r a="4">  hello  </r>
</rows>""",
    "values.xml": "<rows>"
    + "".join(
        f"<r><v{i}>{v}</v{i}></r>"
        for i, v in enumerate(
            [
                "1e3",
                "NaN",
                "-5",
                "+5",
                "0x10",
                "1.0",
                "2024-01-02",
                "2024-01-02T10:11:12Z",
                "2024-01-02T10:11:12.123",
                "2024-01-02 10:11:12+01:00",
                "2024-01-02T10:11",
                "true",
                "True",
                "yes",
                " ",
                "12345678901234567890123",
            ]
        )
    )
    + "</rows>",
    "nested_rows.xml": "<root><r><r>inner</r><v>1</v></r><other><r><v>2</v></r></other></root>",
    "prefixed.xml": '<root xmlns:h="urn:h"><h:r h:at="1"><h:x>1</h:x></h:r></root>',
    "content.xml": "<rows><r><s>a &amp; b &lt;c&gt;</s><c><![CDATA[<raw>]]></c>"
    "<mix>x<!-- c -->y</mix></r><r>text</r></rows>",
    "arrays.xml": '<rows><r><a><b>1</b></a><a><b>2</b><c>x</c></a><v k="1">2</v><v>3</v></r>'
    "<r><x/><y></y><z a='1'/></r></rows>",
    "no_root.xml": "<r><i>1</i></r>\n<r><i>2</i></r>\n",
    "formats.xml": "<rows><r><d>01/02/2024</d><t>2024/01/02 10:11:12</t><n> 7 </n></r>"
    "<r><d>12/31/2023</d><t>2023/12/31 23:59:59</t><n>8</n></r></rows>",
    "uniform.xml": "<rows>"
    + "".join(f"<r><i>{i}</i><s>s{i}</s></r>" for i in range(200))
    + "</rows>",
    "shapes.xml": "<rows><r><v>1</v></r><r><v><a>1</a></v></r><r><v>x</v><v>y</v></r></rows>",
    "structs.xml": '<rows><r><p k="1"><q>1</q><q>2</q></p><l><e n="a">1</e><e n="b">x</e></l></r>'
    '<r><p k="2"/></r></rows>',
}


@cache
def _data() -> Path:
    """The same input files for both engines (written once per test run)."""
    root = Path(tempfile.mkdtemp(prefix="kaspar-parity-xml-"))
    for name, text in _FILES.items():
        (root / name).write_text(text)
    return root


def _p(name: str) -> str:
    return str(_data() / name)


def _written(spark: Any, write: Any) -> Any:
    """The text of the part files ``write(path)`` leaves (one row per file)."""
    target = str(Path(tempfile.mkdtemp(prefix="kaspar-parity-xml-out-")) / "out")
    write(target)
    return spark.read.text(target, wholetext=True)


@case()
def case_xml_read_inferred(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("books.xml"), rowTag="book")


@case()
def case_xml_read_format_load(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.format("xml").option("rowTag", "book").load(_p("books.xml"))


@case(kind="error")
def case_xml_read_row_tag_missing(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("books.xml"))


@case()
def case_xml_read_malformed_inferred(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("malformed.xml"), rowTag="r")


@case()
def case_xml_read_malformed_schema(spark: Any, F: Any, T: Any) -> Any:
    schema = "_a int, x long, y double"
    return spark.read.xml(_p("malformed.xml"), rowTag="r", schema=schema)


@case()
def case_xml_read_malformed_corrupt_column(spark: Any, F: Any, T: Any) -> Any:
    schema = "_a int, x long, y double, bad string"
    return spark.read.xml(
        _p("malformed.xml"), rowTag="r", schema=schema, columnNameOfCorruptRecord="bad"
    )


@case()
def case_xml_read_dropmalformed(spark: Any, F: Any, T: Any) -> Any:
    schema = "_a int, x long, y double"
    return spark.read.xml(_p("malformed.xml"), rowTag="r", schema=schema, mode="DROPMALFORMED")


@case(kind="error")
def case_xml_read_failfast(spark: Any, F: Any, T: Any) -> Any:
    schema = "_a int, x long, y double"
    return spark.read.xml(_p("malformed.xml"), rowTag="r", schema=schema, mode="FAILFAST")


@case(kind="error")
def case_xml_read_failfast_inference(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("malformed.xml"), rowTag="r", mode="FAILFAST")


@case()
def case_xml_read_not_inferred(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("options.xml"), rowTag="r", inferSchema=False)


@case()
def case_xml_read_prefix_and_value_tag(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("options.xml"), rowTag="r", attributePrefix="@", valueTag="#v")


@case()
def case_xml_read_exclude_attribute(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("options.xml"), rowTag="r", excludeAttribute=True)


@case()
def case_xml_read_surrounding_spaces_kept(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("options.xml"), rowTag="r", ignoreSurroundingSpaces=False)


@case()
def case_xml_read_null_value(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("options.xml"), rowTag="r", nullValue="3")


@case()
def case_xml_read_inferred_values(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("values.xml"), rowTag="r")


@case()
def case_xml_read_nested_row_tags(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("nested_rows.xml"), rowTag="r")


@case()
def case_xml_read_prefixed_names(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("prefixed.xml"), rowTag="h:r")


@case()
def case_xml_read_text_content(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("content.xml"), rowTag="r")


@case()
def case_xml_read_arrays_and_empty(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("arrays.xml"), rowTag="r")


@case()
def case_xml_read_without_root(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("no_root.xml"), rowTag="r")


@case()
def case_xml_read_user_schema_types(spark: Any, F: Any, T: Any) -> Any:
    schema = (
        "author string, price decimal(10,2), qty int, pub date, ts timestamp, tag array<string>"
    )
    return spark.read.xml(_p("books.xml"), rowTag="book", schema=schema)


@case()
def case_xml_read_dataframe_of_documents(spark: Any, F: Any, T: Any) -> Any:
    docs = spark.createDataFrame(
        [("<p><name>Alice</name><age>25</age></p>",), ("<p><name>Bob</name></p>",)], "value string"
    )
    return spark.read.option("rowTag", "p").xml(docs)


def _typed(spark: Any) -> Any:
    return spark.createDataFrame(
        [
            (1, 2.5, True, "x<y&", None, dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5)),
            (2, 1.0e20, False, "plain", "n", None, None),
        ],
        "i int, d double, b boolean, s string, n string, day date, ts timestamp",
    )


@case()
def case_xml_write_layout(spark: Any, F: Any, T: Any) -> Any:
    return _written(spark, lambda path: _typed(spark).coalesce(1).write.xml(path, rowTag="r"))


@case()
def case_xml_write_nested(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [(1, [1, 2], (3, "z", "v"), [[1, 2], [3]], None)],
        "id int, arr array<int>, st struct<_k:int,v:string,_VALUE:string>, "
        "nest array<array<int>>, gone struct<a:int>",
    )
    return _written(spark, lambda path: df.coalesce(1).write.xml(path, rowTag="r"))


@case()
def case_xml_write_options(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [(1, None, [[1, 2]], (None, "b"))],
        "_id int, s string, a array<array<int>>, st struct<x:int,y:string>",
    )
    return _written(
        spark,
        lambda path: df.coalesce(1).write.xml(
            path,
            rowTag="item",
            rootTag="items",
            declaration="",
            arrayElementName="el",
            nullValue="NUL",
        ),
    )


@case()
def case_xml_write_formats(spark: Any, F: Any, T: Any) -> Any:
    return _written(
        spark,
        lambda path: (
            _typed(spark)
            .coalesce(1)
            .write.format("xml")
            .option("rowTag", "r")
            .option("dateFormat", "MM/dd/yyyy")
            .option("timestampFormat", "yyyy-MM-dd HH:mm")
            .save(path)
        ),
    )


@case()
def case_xml_write_empty(spark: Any, F: Any, T: Any) -> Any:
    """No rows: one empty part file, and ``_SUCCESS``."""
    target = Path(tempfile.mkdtemp(prefix="kaspar-parity-xml-out-")) / "out"
    spark.createDataFrame([], "a int").coalesce(1).write.xml(str(target), rowTag="r")
    files = [
        (f.name.split("-")[0], "".join(f.suffixes[-1:]), f.stat().st_size)
        for f in sorted(target.iterdir())
        if not f.name.startswith(".")
    ]
    return spark.createDataFrame(files, "name string, suffix string, size long")


@case(kind="error")
def case_xml_write_row_tag_missing(spark: Any, F: Any, T: Any) -> Any:
    target = str(Path(tempfile.mkdtemp(prefix="kaspar-parity-xml-out-")) / "out")
    _typed(spark).write.format("xml").save(target)


@case()
def case_xml_write_read_back(spark: Any, F: Any, T: Any) -> Any:
    target = str(Path(tempfile.mkdtemp(prefix="kaspar-parity-xml-out-")) / "out")
    _typed(spark).coalesce(1).write.xml(target, rowTag="r", compression="gzip")
    return spark.read.xml(target, rowTag="r")


@case()
def case_xml_functions_options(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [(1, (2, "x", "v"))], "k int, value struct<_a:int,b:string,_VALUE:string>"
    )
    return df.select(
        F.to_xml("value", {"rowTag": "p"}).alias("p"),
        F.to_xml("value", {"nullValue": "NUL", "attributePrefix": "_"}).alias("n"),
        F.schema_of_xml(F.lit('<p a="1"><b>x</b></p>'), {"attributePrefix": "@"}).alias("s"),
        F.schema_of_xml('<p a="2">1</p>', {"excludeAttribute": "true"}).alias("e"),
    )


@case()
def case_xml_from_xml_inferred_schema(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(1, "<p><a>1</a><a>2</a><b>x</b></p>")], "key int, value string")
    schema = F.schema_of_xml(F.lit("<p><a>1</a><a>2</a><b>x</b></p>"))
    return df.select(F.from_xml(df.value, schema).alias("xml"))


@case()
def case_xml_read_date_time_formats(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(
        _p("formats.xml"),
        rowTag="r",
        schema="d date, t timestamp, n int",
        dateFormat="MM/dd/yyyy",
        timestampFormat="yyyy/MM/dd HH:mm:ss",
    )


@case()
def case_xml_read_sampling_ratio(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("uniform.xml"), rowTag="r", samplingRatio=0.5).groupBy().count()


@case()
def case_xml_read_value_and_struct_shapes(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("shapes.xml"), rowTag="r")


@case()
def case_xml_read_nested_structs(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.xml(_p("structs.xml"), rowTag="r")


@case()
def case_xml_read_nested_structs_schema(spark: Any, F: Any, T: Any) -> Any:
    schema = "p struct<_k:int, q:array<long>>, l struct<e:array<struct<_n:string, _VALUE:string>>>"
    return spark.read.xml(_p("structs.xml"), rowTag="r", schema=schema)


@case()
def case_xml_from_xml_options(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([('<p a="1" z="9"><b>x</b>t</p>',)], "value string")
    return df.select(
        F.from_xml("value", "`@a` int, b string", {"attributePrefix": "@"}).alias("prefix"),
        F.from_xml("value", "_a int, b string, `#t` string", {"valueTag": "#t"}).alias("tag"),
        F.from_xml("value", "_a int, b string", {"excludeAttribute": "true"}).alias("excluded"),
    )


@case()
def case_xml_write_partitioned(spark: Any, F: Any, T: Any) -> Any:
    target = str(Path(tempfile.mkdtemp(prefix="kaspar-parity-xml-out-")) / "out")
    df = spark.createDataFrame(
        [(1, "a b", "x"), (2, "a b", "y"), (3, "c", "z")], "id int, k string, v string"
    )
    df.write.partitionBy("k").xml(target, rowTag="r")
    return spark.read.xml(target, rowTag="r")
