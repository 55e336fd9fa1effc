"""The statement front-end: every statement kind into its tree, ksqlDB's clauses out of the
SQL, names upper-cased unless back-quoted, and syntax errors at their line and column."""

from __future__ import annotations

import pytest
from sqlglot import exp

from kaspar.ksql import statements as st
from kaspar.ksql.dialect import Ksql
from kaspar.ksql.errors import KsqlError, KsqlSyntaxError
from kaspar.ksql.expressions import rewrite
from kaspar.ksql.parser import parse


def one(text: str) -> st.Statement:
    (statement,) = parse(text)
    return statement


def test_create_stream_with_columns_keys_and_properties() -> None:
    statement = one(
        "CREATE STREAM pv (id INT KEY, `url` STRING, tags ARRAY<STRING>, "
        "m MAP<STRING, ARRAY<INT>>, s STRUCT<a INT, b DECIMAL(4, 2)>) "
        "WITH (kafka_topic='pv', value_format='JSON', partitions=3, wrap_single_value=false);"
    )
    assert isinstance(statement, st.CreateSource)
    assert (statement.kind, statement.name) == ("STREAM", "PV")
    assert [(c.name, c.type.ksql, c.key) for c in statement.columns] == [
        ("ID", "INTEGER", True),
        ("url", "STRING", False),
        ("TAGS", "ARRAY<STRING>", False),
        ("M", "MAP<STRING, ARRAY<INTEGER>>", False),
        ("S", "STRUCT<`A` INTEGER, `B` DECIMAL(4, 2)>", False),
    ]
    assert statement.columns[4].type.spark == "STRUCT<`A`: INT, `B`: DECIMAL(4,2)>"
    assert statement.properties == {
        "KAFKA_TOPIC": "pv", "VALUE_FORMAT": "JSON", "PARTITIONS": 3, "WRAP_SINGLE_VALUE": "false"
    }  # fmt: skip


def test_create_table_as_select_with_window_and_emit() -> None:
    statement = one(
        "CREATE OR REPLACE TABLE counts WITH (kafka_topic='c') AS SELECT url, COUNT(*) AS n "
        "FROM pv WINDOW HOPPING (SIZE 1 MINUTE, ADVANCE BY 10 SECONDS, GRACE PERIOD 2 SECONDS) "
        "WHERE s->a > 2 GROUP BY url EMIT FINAL;"
    )
    assert isinstance(statement, st.CreateAsSelect)
    assert statement.or_replace and statement.kind == "TABLE"
    assert statement.query.window == st.WindowSpec("HOPPING", 60_000, 10_000, 2_000)
    assert statement.query.emit == "FINAL"
    where = statement.query.select.args["where"].this
    assert rewrite(where).sql(dialect=Ksql) == "`S`.`A` > 2"


def test_select_clauses_limit_partition_by_and_functions() -> None:
    statement = one(
        "SELECT UCASE(page), arr[1], LATEST_BY_OFFSET(x) FROM s PARTITION BY page "
        "EMIT CHANGES LIMIT 3;"
    )
    assert isinstance(statement, st.Select)
    query = statement.query
    assert (query.emit, query.limit) == ("CHANGES", 3)
    assert isinstance(query.partition_by, exp.Column)
    projected = [rewrite(e).sql(dialect=Ksql) for e in query.select.expressions]
    assert projected[:2] == ["UPPER(`PAGE`)", "ELEMENT_AT(`ARR`, 1)"]
    assert projected[2].startswith("MAX_BY(`X`, ")  # by arrival: batch time, then offset


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INSERT INTO s (a, b) VALUES (1, 'it''s');", st.InsertValues),
        ("INSERT INTO s SELECT * FROM t EMIT CHANGES;", st.InsertSelect),
        ("DROP TABLE IF EXISTS t DELETE TOPIC;", st.DropSource),
        ("TERMINATE ALL;", st.Terminate),
        ("PAUSE CSAS_T_1;", st.PauseResume),
        ("RESUME ALL;", st.PauseResume),
        ("SHOW QUERIES EXTENDED;", st.Show),
        ("LIST STREAMS;", st.Show),
        ("DESCRIBE EXTENDED t;", st.Describe),
        ("EXPLAIN CSAS_T_1;", st.Explain),
        ("SET 'auto.offset.reset' = 'earliest';", st.SetProperty),
        ("UNSET 'auto.offset.reset';", st.UnsetProperty),
        ("PRINT 'topic' FROM BEGINNING INTERVAL 2 LIMIT 5;", st.Print),
    ],
)
def test_statement_kinds(text: str, expected: type[st.Statement]) -> None:
    statement = one(text)
    assert isinstance(statement, expected)
    assert statement.text == text


def test_many_statements_keep_their_own_text() -> None:
    found = parse("SHOW STREAMS;\n  SHOW TABLES ;SHOW TOPICS")
    assert [s.text for s in found] == ["SHOW STREAMS;", "SHOW TABLES ;", "SHOW TOPICS"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT * FROM WHERE x;", "line 1:15: Syntax error at or near 'WHERE'"),
        ("CREATE STREAM s\n  (a FOO) WITH (k=1);", "line 2:6: Syntax error at or near 'FOO'"),
        ("CREATE STREAM s (a INT) WITH (k=);", "line 1:33: Syntax error at or near ')'"),
        ("FROB s;", "line 1:1: Syntax error at or near 'FROB'"),
        ("SELECT * FROM s WINDOW TUMBLING (SIZE 1 PARSEC) EMIT CHANGES;", "line 1:41:"),
    ],
)
def test_syntax_errors_name_line_column_and_token(text: str, message: str) -> None:
    with pytest.raises(KsqlSyntaxError) as raised:
        parse(text)
    assert raised.value.message.startswith(message)
    assert raised.value.body()["error_code"] == 40001


def test_unknown_function_is_named() -> None:
    statement = one("SELECT NO_SUCH_FN(a) FROM s;")
    assert isinstance(statement, st.Select)
    with pytest.raises(KsqlError, match="Can't find any functions with the name 'NO_SUCH_FN'"):
        rewrite(statement.query.select.expressions[0])


def test_variables_split_and_substitute() -> None:
    from kaspar.ksql.variables import split_statements, substitute

    text = "DEFINE a = 'x;y'; SELECT '${a}' FROM `s;t`;"
    assert list(split_statements(text)) == ["DEFINE a = 'x;y';", " SELECT '${a}' FROM `s;t`;"]
    assert substitute("SELECT '${A}' FROM ${t};", {"a": "1", "T": "s"}) == "SELECT '1' FROM s;"
    with pytest.raises(KsqlError, match="Unknown variable: nope"):
        substitute("${nope}", {})
