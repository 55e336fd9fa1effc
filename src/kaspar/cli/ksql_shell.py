"""`kaspar ksql --shell`: ksqlDB's interactive shell over the REST API of a ksql server.

Statements end with `;` and may span lines. `SET` / `UNSET` change the properties sent with
every later statement (as ksqlDB's CLI keeps them); `SELECT` runs through `/query-stream`
(a pull query prints one table, a push query prints rows as they come until Ctrl-C or its
LIMIT); `PRINT` through `/query`; everything else through `/ksql`, its entities printed as
tables. `exit` or Ctrl-D leaves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
from rich.table import Table

from kaspar.cli.errors import CliError
from kaspar.cli.terminal import stderr, stdout

PROMPT = "ksql> "
SET = re.compile(r"^\s*SET\s+'([^']+)'\s*=\s*'([^']*)'\s*;\s*$", re.IGNORECASE)
UNSET = re.compile(r"^\s*UNSET\s+'([^']+)'\s*;\s*$", re.IGNORECASE)


def statements(lines: Iterator[str]) -> Iterator[str]:
    """Complete statements (up to a `;` outside quotes) from the lines typed."""
    buffered = ""
    for line in lines:
        if not buffered.strip() and line.strip().rstrip(";").lower() in ("exit", "quit"):
            return
        buffered += line + "\n"
        if _ends_statement(buffered):
            yield buffered.strip()
            buffered = ""


def _ends_statement(text: str) -> bool:
    quoted = False
    for char in text:
        if char == "'":
            quoted = not quoted
    return not quoted and text.rstrip().endswith(";")


def _typed() -> Iterator[str]:
    prompt = PROMPT
    while True:
        try:
            line = stdout.input(prompt)
        except EOFError:
            return
        prompt = PROMPT if line.rstrip().endswith(";") else "   > "
        yield line


def run_shell(url: str) -> None:
    # a push query's response stays open until it is stopped: no read timeout
    with httpx.Client(base_url=url, timeout=httpx.Timeout(30.0, read=None)) as http:
        try:
            info = http.get("/info").json()["KsqlServerInfo"]
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach a ksql server at {url} (--listen): {exc}") from exc
        stdout.print(f"kaspar ksql {info['version']} at {url} (service {info['ksqlServiceId']})")
        properties: dict[str, str] = {}
        for statement in statements(_typed()):
            try:
                run_statement(http, statement, properties)
            except KeyboardInterrupt:
                stdout.print("Query terminated")
            except httpx.HTTPError as exc:
                stderr.print(f"[red]{exc}[/]")


def run_statement(http: httpx.Client, text: str, properties: dict[str, str]) -> None:
    if match := SET.match(text):
        properties[match[1]] = match[2]
        stdout.print(f"Successfully changed local property '{match[1]}' to '{match[2]}'.")
        return
    if match := UNSET.match(text):
        properties.pop(match[1], None)
        stdout.print(f"Successfully unset local property '{match[1]}'.")
        return
    word = text.split(None, 1)[0].upper()
    if word == "SELECT":
        select(http, text, properties)
    elif word == "PRINT":
        body = {"ksql": text, "streamsProperties": properties}
        with http.stream("POST", "/query", json=body) as response:
            for line in response.iter_lines():
                stdout.print(line, markup=False)
    else:
        response = http.post("/ksql", json={"ksql": text, "streamsProperties": properties})
        answer = response.json()
        if response.status_code != 200:
            stderr.print(answer.get("message", answer), markup=False)
            return
        for entity in answer:
            show_entity(entity)


def select(http: httpx.Client, text: str, properties: dict[str, str]) -> None:
    body = {"sql": text, "properties": properties}
    with http.stream("POST", "/query-stream", json=body) as response:
        lines = (json.loads(x) for x in response.iter_lines() if x)
        header = next(lines)
        if response.status_code != 200:
            stderr.print(header.get("message", header), markup=False)
            return
        names = header["columnNames"]
        if "queryId" not in header:
            stdout.print(table(names, list(lines)))
            return
        stdout.print(" | ".join(names), markup=False)
        for row in lines:
            stdout.print(" | ".join(_cell(v) for v in row), markup=False)


def table(names: list[str], rows: list[list[Any]]) -> Table:
    shown = Table(*names)
    for row in rows:
        shown.add_row(*(_cell(v) for v in row))
    return shown


def _cell(value: Any) -> str:
    if value is None:
        return "null"
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def show_entity(entity: dict[str, Any]) -> None:
    kind = entity.get("@type")
    if kind == "currentStatus":
        stdout.print(entity["commandStatus"]["message"], markup=False)
    elif kind in ("streams", "tables"):
        rows = [[s["name"], s["topic"], s["keyFormat"], s["valueFormat"], str(s["isWindowed"])]
                for s in entity[kind]]  # fmt: skip
        label = "Stream Name" if kind == "streams" else "Table Name"
        stdout.print(table([label, "Kafka Topic", "Key Format", "Value Format", "Windowed"], rows))
    elif kind == "queries":
        rows = [[q["id"], q["state"], ",".join(q["sinkKafkaTopics"]), q["queryString"]]
                for q in entity["queries"]]  # fmt: skip
        stdout.print(table(["Query ID", "Status", "Sink Kafka Topic", "Query String"], rows))
    elif kind == "kafka_topics":
        rows = [[t["name"], str(len(t["replicaInfo"]))] for t in entity["topics"]]
        stdout.print(table(["Kafka Topic", "Partitions"], rows))
    elif kind == "properties":
        rows = [[p["name"], p["scope"], p["value"]] for p in entity["properties"]]
        stdout.print(table(["Property", "Scope", "Value"], rows))
    elif kind == "sourceDescription":
        described = entity["sourceDescription"]
        stdout.print(f"Name                 : {described['name']}", markup=False)
        rows = [[f["name"], f["schema"]["type"] + (" (key)" if f.get("type") else "")]
                for f in described["fields"]]  # fmt: skip
        stdout.print(table(["Field", "Type"], rows))
    else:
        stdout.print(json.dumps(entity, indent=2), markup=False)
