"""ksqlDB's statements: a request's text -> ``Statement`` trees (``statements.py``).

1. Tokenize the whole text with sqlglot's tokenizer under ksqlDB's lexical rules
   (``dialect.Ksql``): every token knows its offset, so errors name ``line:column``.
2. Split at top-level semicolons; each statement keeps its text (with the ``;``).
3. Read each statement's grammar by recursive descent over its tokens; a ``SELECT`` goes to
   ``query_parser`` (ksqlDB's clauses here, standard SQL to sqlglot).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

from sqlglot import exp
from sqlglot.errors import TokenError
from sqlglot.tokenizer_core import Token, TokenType

from kaspar.ksql import statements as st
from kaspar.ksql.dialect import Ksql
from kaspar.ksql.errors import KsqlSyntaxError
from kaspar.ksql.query_parser import parse_expression, parse_query
from kaspar.ksql.tokens import TokenCursor
from kaspar.ksql.types import KsqlType, array_of, decimal, map_of, primitive, struct_of

HEADERS_TYPE = "ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>>"
SHOWABLE = ("STREAMS", "TABLES", "TOPICS", "QUERIES", "PROPERTIES", "FUNCTIONS")
NESTING = {
    TokenType.L_PAREN: 1,
    TokenType.R_PAREN: -1,
    TokenType.L_BRACKET: 1,
    TokenType.R_BRACKET: -1,
}


def parse(text: str) -> list[st.Statement]:
    """Steps 1-3 of the module docstring."""
    try:
        tokens = Ksql().tokenize(text)
    except TokenError as e:
        raise KsqlSyntaxError(1, 1, f"Syntax error: {e}") from None
    found: list[st.Statement] = []
    start = 0
    for i, token in enumerate([*tokens, None]):
        if token is not None and token.token_type != TokenType.SEMICOLON:
            continue
        if i > start:
            last = tokens[i] if token is not None else tokens[i - 1]
            statement_text = text[tokens[start].start : last.end + 1]
            found.append(Statement(text, tokens, start, i, statement_text).parse())
        start = i + 1
    return found


class Statement:
    """One statement's tokens [start, end) of ``text``."""

    def __init__(self, text: str, tokens: list[Token], start: int, end: int, own: str) -> None:
        self.cursor = TokenCursor(text, tokens, start, end)
        self.own = own

    def parse(self) -> st.Statement:
        parsers: dict[str, Callable[[], st.Statement]] = {
            "CREATE": self.create,
            "INSERT": self.insert,
            "SELECT": self.select,
            "DROP": self.drop,
            "TERMINATE": self.terminate,
            "PAUSE": self.pause_resume,
            "RESUME": self.pause_resume,
            "SHOW": self.show,
            "LIST": self.show,
            "DESCRIBE": self.describe,
            "EXPLAIN": self.explain,
            "SET": self.set_property,
            "UNSET": self.unset_property,
            "PRINT": self.print_topic,
        }
        word = self.cursor.word()
        if word not in parsers:
            raise self.cursor.error(f"expecting one of {', '.join(parsers)}")
        statement = parsers[word]()
        if not self.cursor.at_end():
            raise self.cursor.error("expecting the end of the statement")
        return statement

    def create(self) -> st.Statement:
        c = self.cursor
        c.expect("CREATE")
        or_replace = c.accept("OR", "REPLACE")
        if c.word() in ("SOURCE", "SINK") and c.word(1) == "CONNECTOR":
            return self.create_connector()
        read_only = c.accept("SOURCE")
        kind = self.source_kind()
        if_not_exists = c.accept("IF", "NOT", "EXISTS")
        name = c.name("a stream or table name")
        columns = self.columns() if c.at(TokenType.L_PAREN) else ()
        properties = self.properties()
        if c.accept("AS"):
            if columns:
                raise c.error("a CREATE ... AS SELECT takes no column list")
            return st.CreateAsSelect(
                self.own,
                kind,
                name,
                properties,
                parse_query(c),
                or_replace,
                if_not_exists,
            )
        return st.CreateSource(
            self.own,
            kind,
            name,
            columns,
            properties,
            or_replace,
            if_not_exists,
            read_only,
        )

    def source_kind(self) -> st.SourceKind:
        c = self.cursor
        kind = c.word()
        if kind == "STREAM":
            c.next()
            return "STREAM"
        if kind == "TABLE":
            c.next()
            return "TABLE"
        raise c.error("expecting STREAM or TABLE")

    def columns(self) -> tuple[st.ColumnDef, ...]:
        c = self.cursor
        c.expect_type(TokenType.L_PAREN, "(")
        found: list[st.ColumnDef] = []
        while True:
            name = c.name("a column name")
            column_type = self.column_type()
            key = c.accept("KEY") or c.accept("PRIMARY KEY") or c.accept("PRIMARY", "KEY")
            header = self.header_marker(name, column_type.ksql)
            found.append(st.ColumnDef(name, column_type, key, header))
            if not c.accept_type(TokenType.COMMA):
                break
        c.expect_type(TokenType.R_PAREN, ")")
        return tuple(found)

    def header_marker(self, name: str, ksql_type: str) -> str | None:
        """``HEADERS`` (every header: "") or ``HEADER('k')`` (the last header k), or None."""
        c = self.cursor
        if c.accept("HEADERS"):
            if ksql_type != HEADERS_TYPE:
                raise c.error(f"a HEADERS column is {HEADERS_TYPE}, not {ksql_type} ({name})")
            return ""
        if c.accept("HEADER"):
            c.expect_type(TokenType.L_PAREN, "(")
            header = c.expect_type(TokenType.STRING, "a quoted header key").text
            c.expect_type(TokenType.R_PAREN, ")")
            if ksql_type != "BYTES":
                raise c.error(f"a HEADER('{header}') column is BYTES, not {ksql_type} ({name})")
            return header
        return None

    def column_type(self) -> KsqlType:
        c = self.cursor
        word = c.word()
        c.next()
        if word == "ARRAY":
            c.expect_type(TokenType.LT, "<")
            element = self.column_type()
            c.expect_type(TokenType.GT, ">")
            return array_of(element)
        if word == "MAP":
            c.expect_type(TokenType.LT, "<")
            key = self.column_type()
            c.expect_type(TokenType.COMMA, ",")
            value = self.column_type()
            c.expect_type(TokenType.GT, ">")
            return map_of(key, value)
        if word == "STRUCT":
            return self.struct_type()
        if word == "DECIMAL":
            c.expect_type(TokenType.L_PAREN, "(")
            precision = c.integer("a precision")
            c.expect_type(TokenType.COMMA, ",")
            scale = c.integer("a scale")
            c.expect_type(TokenType.R_PAREN, ")")
            return decimal(precision, scale)
        found = primitive(word)
        if found is None:
            c.i -= 1
            raise c.error("expecting a type")
        if word == "VARCHAR" and c.accept_type(TokenType.L_PAREN):
            c.integer()
            c.expect_type(TokenType.R_PAREN, ")")
        return found

    def struct_type(self) -> KsqlType:
        c = self.cursor
        c.expect_type(TokenType.LT, "<")
        fields: list[tuple[str, KsqlType]] = []
        while True:
            fields.append((c.name("a field name"), self.column_type()))
            if not c.accept_type(TokenType.COMMA):
                break
        c.expect_type(TokenType.GT, ">")
        return struct_of(fields)

    def create_connector(self) -> st.Statement:
        """``CREATE SOURCE|SINK CONNECTOR [IF NOT EXISTS] name WITH ('key' = 'value', ...)``:
        keys are Connect's, kept as written."""
        c = self.cursor
        kind = cast(Literal["SOURCE", "SINK"], c.word())
        c.i += 2
        if_not_exists = c.accept("IF", "NOT", "EXISTS")
        name = c.next().text
        c.expect("WITH")
        c.expect_type(TokenType.L_PAREN, "(")
        config: dict[str, str] = {}
        while True:
            key = c.expect_type(TokenType.STRING, "a quoted property name").text
            c.expect_type(TokenType.EQ, "=")
            config[key] = str(self.property_value())
            if not c.accept_type(TokenType.COMMA):
                break
        c.expect_type(TokenType.R_PAREN, ")")
        return st.CreateConnector(self.own, kind, name, config, if_not_exists)

    def properties(self) -> dict[str, str | int]:
        """``WITH (name = value, ...)``; names upper-cased, values strings, numbers, booleans."""
        c = self.cursor
        if not c.accept("WITH"):
            return {}
        c.expect_type(TokenType.L_PAREN, "(")
        found: dict[str, str | int] = {}
        while True:
            name = c.name("a property name").upper()
            c.expect_type(TokenType.EQ, "=")
            found[name] = self.property_value()
            if not c.accept_type(TokenType.COMMA):
                break
        c.expect_type(TokenType.R_PAREN, ")")
        return found

    def property_value(self) -> str | int:
        c = self.cursor
        if (token := c.accept_type(TokenType.STRING)) is not None:
            return token.text
        negative = c.accept_type(TokenType.DASH) is not None
        if (token := c.accept_type(TokenType.NUMBER)) is not None:
            return -int(token.text) if negative else int(token.text)
        if c.word() in ("TRUE", "FALSE"):
            return c.next().text.lower()
        raise c.error("expecting a string, a number or a boolean")

    def insert(self) -> st.Statement:
        c = self.cursor
        c.expect("INSERT")
        c.expect("INTO")
        target = c.name("a stream name")
        columns: tuple[str, ...] | None = None
        if c.accept_type(TokenType.L_PAREN):
            names = [c.name("a column name")]
            while c.accept_type(TokenType.COMMA):
                names.append(c.name("a column name"))
            c.expect_type(TokenType.R_PAREN, ")")
            columns = tuple(names)
        if c.accept("VALUES"):
            return st.InsertValues(self.own, target, columns, self.values())
        properties = self.properties()
        if columns is not None or c.word() != "SELECT":
            raise c.error("expecting VALUES or SELECT")
        return st.InsertSelect(self.own, target, parse_query(c), properties)

    def values(self) -> tuple[exp.Expr, ...]:
        c = self.cursor
        c.expect_type(TokenType.L_PAREN, "(")
        found: list[exp.Expr] = []
        while True:
            first, depth = c.i, 0
            while not c.at_end():
                kind = c.next().token_type
                c.i -= 1
                if depth == 0 and kind in (TokenType.COMMA, TokenType.R_PAREN):
                    break
                depth += NESTING.get(kind, 0)
                c.next()
            found.append(parse_expression(c, first, c.i))
            if not c.accept_type(TokenType.COMMA):
                break
        c.expect_type(TokenType.R_PAREN, ")")
        return tuple(found)

    def select(self) -> st.Statement:
        return st.Select(self.own, parse_query(self.cursor))

    def drop(self) -> st.Statement:
        c = self.cursor
        c.expect("DROP")
        if c.accept("CONNECTOR"):
            if_exists = c.accept("IF", "EXISTS")
            return st.ConnectorStatement(self.own, "DROP", c.next().text, if_exists)
        kind = self.source_kind()
        if_exists = c.accept("IF", "EXISTS")
        name = c.name("a stream or table name")
        delete_topic = c.accept("DELETE", "TOPIC")
        return st.DropSource(self.own, kind, name, if_exists, delete_topic)

    def terminate(self) -> st.Statement:
        c = self.cursor
        c.expect("TERMINATE")
        if c.accept("ALL"):
            return st.Terminate(self.own, None)
        return st.Terminate(self.own, c.name("a query id"))

    def pause_resume(self) -> st.Statement:
        c = self.cursor
        action = cast(Literal["PAUSE", "RESUME"], c.word())
        c.next()
        if c.accept("ALL"):
            return st.PauseResume(self.own, action, None)
        return st.PauseResume(self.own, action, c.name("a query id"))

    def show(self) -> st.Statement:
        c = self.cursor
        c.next()
        what = c.word()
        if what == "CONNECTORS":
            c.next()
            return st.ConnectorStatement(self.own, "SHOW")
        if what not in SHOWABLE:
            raise c.error(f"expecting one of {', '.join(SHOWABLE)}")
        c.next()
        return st.Show(self.own, cast(st.Showable, what), c.accept("EXTENDED"))

    def describe(self) -> st.Statement:
        c = self.cursor
        c.expect("DESCRIBE")
        if c.accept("CONNECTOR"):
            return st.ConnectorStatement(self.own, "DESCRIBE", c.next().text)
        if c.accept("FUNCTION"):
            return st.DescribeFunction(self.own, c.next().text)
        extended = c.accept("EXTENDED")
        name = c.name("a stream or table name")
        return st.Describe(self.own, name, extended or c.accept("EXTENDED"))

    def explain(self) -> st.Statement:
        c = self.cursor
        c.expect("EXPLAIN")
        if c.word() in ("SELECT", "CREATE", "INSERT"):
            inner = Statement(c.text, c.tokens, c.i, c.end, self.own).parse()
            c.i = c.end
            return st.Explain(self.own, None, inner)
        return st.Explain(self.own, c.name("a query id"))

    def set_property(self) -> st.Statement:
        c = self.cursor
        c.expect("SET")
        name = c.expect_type(TokenType.STRING, "a quoted property name").text
        c.expect_type(TokenType.EQ, "=")
        return st.SetProperty(self.own, name, c.expect_type(TokenType.STRING, "a value").text)

    def unset_property(self) -> st.Statement:
        c = self.cursor
        c.expect("UNSET")
        return st.UnsetProperty(self.own, c.expect_type(TokenType.STRING, "a property").text)

    def print_topic(self) -> st.Statement:
        c = self.cursor
        c.expect("PRINT")
        token = c.accept_type(TokenType.STRING)
        topic = token.text if token is not None else c.next().text
        from_beginning = c.accept("FROM", "BEGINNING")
        interval, limit = 1, None
        while not c.at_end():
            if c.accept("INTERVAL") or c.accept("SAMPLE"):
                interval = c.integer()
            elif c.accept("LIMIT"):
                limit = c.integer()
            else:
                raise c.error("expecting FROM BEGINNING, INTERVAL or LIMIT")
        return st.Print(self.own, topic, from_beginning, limit, interval)
