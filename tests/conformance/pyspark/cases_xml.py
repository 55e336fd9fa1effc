"""Parity cases: the ``xpath*`` functions (lxml over Arrow batches in kaspar)."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case

DOC = '<a><b>b1</b><b>b2</b><b>3</b><c x="7">c1</c><c>c2</c></a>'


def documents(spark):
    rows = [
        (DOC, "a/b/text()"),
        ('<?xml version="1.0"?><a><b>12345678901</b><b>-2.7</b></a>', "a/b[1]"),
        ('<a xmlns="urn:x"><b>ns</b></a>', "a/b"),
        ("<a><b>x &amp; y</b></a>", "/a/b"),
        ("", "a"),
        (None, "a"),
        (DOC, None),
    ]
    return spark.createDataFrame(rows, "x string, p string")


@case()
def case_xpath_node_values(spark, F, T):
    df = documents(spark)
    return df.select(
        F.xpath("x", F.lit("a/b/text()")).alias("texts"),
        F.xpath("x", F.lit("a/b")).alias("elements"),
        F.xpath("x", F.lit("a/c/@x")).alias("attributes"),
        F.xpath("x", F.lit("a/zz")).alias("none"),
    )


@case("error")
def case_xpath_path_must_be_literal(spark, F, T):
    return documents(spark).select(F.xpath("x", "p"))


@case()
def case_xpath_typed(spark, F, T):
    df = documents(spark)
    return df.select(
        F.xpath_string("x", F.lit("a/b")).alias("s"),
        F.xpath_string("x", F.lit("a")).alias("all_text"),
        F.xpath_boolean("x", F.lit("a/b")).alias("b"),
        F.xpath_int("x", F.lit("a/b[1]")).alias("i"),
        F.xpath_long("x", F.lit("a/b[1]")).alias("l"),
        F.xpath_short("x", F.lit("a/b[1]")).alias("sh"),
        F.xpath_double("x", F.lit("a/b[2]")).alias("d"),
        F.xpath_float("x", F.lit("a/b[2]")).alias("f"),
        F.xpath_number("x", F.lit("count(a/b)")).alias("n"),
        F.xpath_int("x", F.lit("sum(a/c/@x)")).alias("sum"),
    )


@case()
def case_xpath_sql(spark, F, T):
    return spark.sql(
        "select xpath('<a><b>1</b><b>2</b></a>', 'a/b/text()') as t, "
        "xpath_string('<a><b>x</b></a>', '/a/b') as s, "
        "xpath_int('<a><b>40000</b></a>', 'a/b') as i, "
        "xpath_short('<a><b>40000</b></a>', 'a/b') as sh, "
        "xpath_double('<a/>', '1 div 0') as inf, "
        "xpath_string('<a/>', '') as empty_path"
    )


RECORDS = [
    ("<p><a>1</a><b>x</b></p>",),
    ('<p a="7"><b>1</b><b>2</b><c><d>true</d></c></p>',),
    ("<p>hi<a>bad</a></p>",),
    ("<p><a>1",),
    (None,),
]


@case()
def case_from_xml_schema_types(spark, F, T):
    df = spark.createDataFrame(RECORDS, "x string")
    schema = "_a int, a int, b array<int>, c struct<d:boolean>"
    return df.select(F.from_xml("x", schema).alias("r")).select("r.*")


@case()
def case_from_xml_value_field(spark, F, T):
    df = spark.createDataFrame(RECORDS, "x string")
    schema = "_a int, a int, b array<int>, _VALUE string"
    return df.select(F.from_xml("x", schema).alias("r")).select("r.*")


@case()
def case_schema_of_xml(spark, F, T):
    texts = ["<p><a>1</a><b>x</b></p>", '<p a="1"><b>1.5</b><b>2</b><c><d>true</d></c></p>',
             "<p>text</p>", "<p><a>2024-01-02</a><t>2024-01-02T03:04:05</t><n></n></p>",
             "<p><a>1</a><a>x</a></p>"]  # fmt: skip
    return spark.sql(
        "select " + ", ".join(f"schema_of_xml('{t}') as s{i}" for i, t in enumerate(texts))
    )


@case()
def case_to_xml_records(spark, F, T):
    return spark.sql(
        "select to_xml(named_struct('a', 1, 'b', 'x')) as plain, "
        "to_xml(named_struct('_a', 1, 'b', array(1, 2), 'c', named_struct('d', true))) as nested, "
        "to_xml(named_struct('a', cast(null as int), 'b', 'x<y & \"z\"')) as escaped"
    )
