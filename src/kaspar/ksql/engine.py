"""The ksql server's engine: statements executed against the metastore, the running queries
and Kafka.

A statement that changes state (CREATE, CREATE ... AS SELECT, INSERT INTO ... SELECT, DROP,
TERMINATE) runs in three steps:

1. Validate it (parse, resolve, compile the query) against the current metastore; a bad
   statement is refused here and never reaches the command topic.
2. Append it to the command topic; its offset is its sequence number (and names its query).
3. Apply it: change the metastore, create or delete topics, start or stop queries.
On start, the command topic is replayed: step 3 without Kafka side effects for each command,
then the persistent queries left running are started, with their old ids and checkpoints.
Several servers may share one service id (``cluster.py``): each follows the command topic, so a
command another server accepted is applied here too (step 3, its Kafka side effects already
done), and each runs the persistent queries whose lease it holds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx

from kaspar.errors import PySparkException
from kaspar.ksql import entities
from kaspar.ksql import statements as st
from kaspar.ksql.avro_schema import columns_from_avro
from kaspar.ksql.cluster import CommandFollower, QueryLeases, lease_of
from kaspar.ksql.command_topic import Command, CommandTopic, command_id, query_id_of
from kaspar.ksql.compiler import CompiledQuery, compile_query, engine_message
from kaspar.ksql.config import KsqlConfig
from kaspar.ksql.connectors import ConnectClient
from kaspar.ksql.definitions import (
    check_insert_schema,
    check_key_projected,
    sink_from,
    source_from,
)
from kaspar.ksql.errors import QUERY_ENDPOINT, KsqlError
from kaspar.ksql.functions import describe_function, function_list
from kaspar.ksql.inserts import Inserter
from kaspar.ksql.metastore import Metastore
from kaspar.ksql.parser import parse
from kaspar.ksql.queries import PersistentQuery, batch_reader, stream_reader
from kaspar.ksql.topics import TopicAdmin
from kaspar.ksql.transient import PushQuery, pull_rows
from kaspar.ksql.variables import DEFINE, SHOW_VARIABLES, UNDEFINE, split_statements, substitute
from kaspar.sql import SparkSession

log = logging.getLogger(__name__)
TIMEOUT_S = 30.0
CATCH_UP_S = 10.0
Apply = Callable[[int], dict[str, Any]]


class KsqlEngine:
    def __init__(self, config: KsqlConfig, spark: SparkSession | None = None) -> None:
        self.config = config
        # a session of its own: ksqlDB's times are UTC, and a host's session (kaspar demo)
        # keeps its own settings
        self.spark = spark or SparkSession({"spark.sql.session.timeZone": "UTC"})
        self.metastore = Metastore()
        self.queries: dict[str, PersistentQuery] = {}
        self.commands: dict[str, dict[str, Any]] = {}
        self.command_topic = CommandTopic(config.bootstrap_servers, config.command_topic)
        self.topics = TopicAdmin(config.bootstrap_servers)
        self.connect = ConnectClient(config.connect_url)
        self.inserter = Inserter(self.spark, config.bootstrap_servers)
        self.push_queries: dict[str, PushQuery] = {}
        self._lock = threading.RLock()
        self._replaying = False  # commands of the log at start: no side effects, no queries
        self._following = False  # a command another server accepted: its Kafka side effects done
        self._accepted: set[int] = set()  # sequence numbers of the commands accepted here
        self._leased: set[int] = set()  # the lease partitions this server holds
        self._follower: CommandFollower | None = None
        timeout = str(config.properties.get("ksql.kaspar.lease.session.timeout.ms", "10000"))
        self.leases = QueryLeases(
            config.bootstrap_servers, config.service_id, self._lease, self._unlease, timeout
        )

    # -- lifecycle

    def start(self) -> None:
        """Replay the command topic, then start the persistent queries it left running."""
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        self.command_topic.create()
        self._replaying = True
        try:
            for command in self.command_topic.replay():
                try:
                    (statement,) = parse(command.statement)
                    result = self._plan(statement, command.properties)(command.sequence)
                    self.commands[command.id] = result["commandStatus"]
                except (KsqlError, ValueError) as exc:
                    log.warning("ksql: command %s not replayed: %s", command.id, exc)
        finally:
            self._replaying = False
        self._follower = CommandFollower(
            self.config.bootstrap_servers, self.config.command_topic, self.command_topic.end,
            self._follow,
        )  # fmt: skip
        self.leases.start()  # the queries start as their leases come

    def stop(self) -> None:
        for push in list(self.push_queries.values()):
            push.close()
        if self._follower is not None:
            self._follower.stop()
        self.leases.stop()
        with self._lock:
            for query in self.queries.values():
                query.stop()
        self.command_topic.close()
        self.inserter.close()

    # -- POST /query, /query-stream

    def query_statement(
        self, text: str, variables: dict[str, str] | None = None
    ) -> st.Select | st.Print:
        self.catch_up()
        try:
            statements = parse(substitute(text, variables or {}))
        except KsqlError as exc:
            exc.statement_text = exc.statement_text or text.strip()
            raise
        if len(statements) != 1 or not isinstance(statements[0], st.Select | st.Print):
            raise KsqlError(
                "Expected exactly one SELECT or PRINT statement", statement_text=text.strip()
            )
        return statements[0]

    def _offset_reset(self, properties: dict[str, Any]) -> str:
        """A request's ``auto.offset.reset``, also spelt ``ksql.streams.auto.offset.reset``
        (ksqlDB takes both in ``streamsProperties``), else the server's."""
        for key in ("auto.offset.reset", "ksql.streams.auto.offset.reset"):
            if key in properties:
                return str(properties[key])
        return self.config.offset_reset

    def start_push(self, statement: st.Select, properties: dict[str, Any]) -> PushQuery:
        offset_reset = self._offset_reset(properties)
        reader = stream_reader(self.spark, self.config.bootstrap_servers, offset_reset)
        tables = batch_reader(self.spark, self.config.bootstrap_servers)
        with self._lock:
            compiled = compile_query(self.metastore, statement.query, reader, read_table=tables)
        push = PushQuery(compiled, statement.query.limit, self.config.state_dir / "transient")
        push.statement = statement.text
        push.start(self.config.trigger_ms)
        self.push_queries[push.id] = push
        return push

    def run_pull(self, statement: st.Select) -> tuple[CompiledQuery, list[list[Any]]]:
        reader = batch_reader(self.spark, self.config.bootstrap_servers)
        with self._lock:
            compiled = compile_query(self.metastore, statement.query, reader, snapshot=True)
        if compiled.aggregate:
            raise KsqlError(
                "Pull queries don't support GROUP BY clauses. Add EMIT CHANGES for a push query.",
                statement_text=statement.text,
            )
        return compiled, pull_rows(compiled, statement.query.limit)

    def close_query(self, query_id: str, wait: bool = True) -> bool:
        """Stop a push query; ``wait=False`` stops it on a thread of its own (a response being
        torn down cannot wait)."""
        push = self.push_queries.pop(query_id, None)
        if push is None:
            return False
        if wait:
            push.close()
        else:
            threading.Thread(target=push.close, name=f"close-{query_id}", daemon=True).start()
        return True

    def topic_name(self, name: str) -> str:
        """A PRINT's topic: as written, else the one topic named so but for case."""
        topics = self.topics.partition_counts()
        if name in topics:
            return name
        matches = [t for t in topics if t.lower() == name.lower()]
        if len(matches) != 1:
            raise KsqlError(f"Could not find topic '{name}', or the KSQL user does not have "
                            "permissions to list the topic.")  # fmt: skip
        return matches[0]

    # -- POST /ksql

    def execute(
        self,
        text: str,
        properties: dict[str, Any],
        variables: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Each statement of ``text`` in order; SET/UNSET and DEFINE/UNDEFINE apply to the
        statements after them (``variables.py``)."""
        self.catch_up()
        properties = dict(properties)
        variables = {k.upper(): str(v) for k, v in (variables or {}).items()}
        results: list[dict[str, Any]] = []
        for raw in split_statements(text):
            if define := DEFINE.match(raw):
                variables[define[1].upper()] = define[2].replace("''", "'")
            elif undefine := UNDEFINE.match(raw):
                variables.pop(undefine[1].upper(), None)
            elif SHOW_VARIABLES.match(raw):
                results.append(entities.variables(raw.strip(), variables))
            else:
                results += self._execute_all(substitute(raw, variables), properties)
        return results

    def _execute_all(self, text: str, properties: dict[str, Any]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        try:
            statements = parse(text)
        except KsqlError as exc:
            exc.statement_text = exc.statement_text or text.strip()
            raise
        for statement in statements:
            try:
                result = self._execute(statement, properties)
            except PySparkException as exc:  # the engine refused an expression or a value
                raise KsqlError(engine_message(exc), statement_text=statement.text) from None
            except KsqlError as exc:
                if exc.statement_text is None:
                    exc.statement_text = statement.text
                raise
            if result is not None:
                results.append(result)
        return results

    def _execute(
        self, statement: st.Statement, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        if isinstance(statement, st.Select | st.Print):
            raise KsqlError(
                "The following statement types should be issued to the websocket endpoint "
                "'/query':\n\t* PRINT\n\t* SELECT",
                QUERY_ENDPOINT,
                statement.text,
            )
        if isinstance(statement, st.SetProperty):
            properties[statement.name] = statement.value
            return entities.property_set(statement.text, statement.name, statement.value)
        if isinstance(statement, st.UnsetProperty):
            properties.pop(statement.name, None)
            return entities.property_set(statement.text, statement.name, None)
        if isinstance(statement, st.CreateConnector | st.ConnectorStatement):
            return self.connect.execute(statement)
        if isinstance(statement, st.InsertValues):
            sink = self.metastore.writable(statement.target)
            self.inserter.insert_values(sink, statement.columns, statement.values)
            return None
        with self._lock:
            reader = self._reads(statement, properties)
            if reader is not None:
                return reader()
            apply = self._plan(statement, properties)
            key = command_id(statement)
            sequence = self.command_topic.append(key, statement.text, properties)
            self._accepted.add(sequence)
            result = apply(sequence)
            self.commands[key] = result["commandStatus"]
            return result

    # -- statements that only read

    def _reads(
        self, statement: st.Statement, properties: dict[str, Any]
    ) -> Callable[[], dict[str, Any]] | None:
        text = statement.text
        if isinstance(statement, st.Show):
            if statement.what in ("STREAMS", "TABLES"):
                kind = statement.what.removesuffix("S")
                return lambda: entities.source_list(text, kind, self.metastore.sources.values())
            if statement.what == "QUERIES":
                push = {i: q.statement for i, q in self.push_queries.items()}
                return lambda: entities.query_list(text, self.queries.values(), push)
            if statement.what == "TOPICS":
                return lambda: entities.topic_list(text, self.topics.partition_counts())
            if statement.what == "FUNCTIONS":
                return lambda: function_list(text)
            shown = {**self.config.properties, **properties}
            return lambda: entities.property_list(text, shown, properties)
        if isinstance(statement, st.Describe):
            source = self.metastore.get(statement.name)
            return lambda: entities.source_description(
                text, source, self.queries.values(), statement.extended
            )
        if isinstance(statement, st.DescribeFunction):
            return lambda: describe_function(text, statement.name)
        if isinstance(statement, st.Explain):
            return lambda: self._explain(statement)
        return None

    def _explain(self, statement: st.Explain) -> dict[str, Any]:
        """EXPLAIN a running query's id, or a SELECT / CREATE ... AS SELECT / INSERT INTO ...
        SELECT compiled but not run."""
        text = statement.text
        if statement.query_id is not None:
            query = self._query(statement.query_id)
            return entities.query_description(
                text, query, query.compiled, query.statement, [query.sink]
            )
        inner = statement.statement
        if not isinstance(inner, st.Select | st.CreateAsSelect | st.InsertSelect):
            raise KsqlError("EXPLAIN takes a query id or a query statement")
        reader = stream_reader(self.spark, self.config.bootstrap_servers, self.config.offset_reset)
        tables = batch_reader(self.spark, self.config.bootstrap_servers)
        compiled = compile_query(self.metastore, inner.query, reader, read_table=tables)
        sinks = [] if isinstance(inner, st.Select) else [_sink_name(inner)]
        return entities.query_description(text, None, compiled, inner.text, sinks)

    def _query(self, query_id: str) -> PersistentQuery:
        found = self.queries.get(query_id) or self.queries.get(query_id.upper())
        if found is None:
            raise KsqlError(f"Unknown queryId: {query_id}")
        return found

    # -- statements that change state: step 1 returns step 3

    def _plan(self, statement: st.Statement, properties: dict[str, Any]) -> Apply:
        if isinstance(statement, st.CreateSource):
            return self._plan_create(statement)
        if isinstance(statement, st.CreateAsSelect | st.InsertSelect):
            return self._plan_query(statement, properties)
        if isinstance(statement, st.DropSource):
            return self._plan_drop(statement)
        if isinstance(statement, st.Terminate):
            return self._plan_terminate(statement)
        if isinstance(statement, st.PauseResume):
            return self._plan_pause_resume(statement)
        raise KsqlError(f"Statement not supported by kaspar.ksql: {statement.text}")

    def _plan_create(self, statement: st.CreateSource) -> Apply:
        existing = self.metastore.sources.get(statement.name)
        if existing is not None and statement.if_not_exists:
            return lambda seq: entities.current_status(
                statement.text, command_id(statement), seq, f"Cannot add {statement.kind.lower()}"
                f" {statement.name}: already exists"
            )  # fmt: skip
        statement = self._infer_columns(statement)
        source = source_from(statement, self.config.schema_registry_url)
        if existing is not None and not statement.or_replace and not self._logged:
            self.metastore.add(source)  # raises ksqlDB's "already exists"
        partitions = statement.properties.get("PARTITIONS")
        if not self._logged:
            source = replace(source, partitions=self.topics.ensure(source, partitions))

        def apply(sequence: int) -> dict[str, Any]:
            self.metastore.add(source, or_replace=True)
            kind = statement.kind.capitalize()
            return entities.current_status(
                statement.text, command_id(statement), sequence, f"{kind} created"
            )

        return apply

    def _infer_columns(self, statement: st.CreateSource) -> st.CreateSource:
        """AVRO value columns left out are the registered `<topic>-value` schema's fields
        (ksqlDB's schema inference; read again when the command is replayed)."""
        props = statement.properties
        value_format = str(props.get("VALUE_FORMAT", props.get("FORMAT", ""))).upper()
        if value_format != "AVRO" or any(not c.key for c in statement.columns):
            return statement
        registry, topic = self.config.schema_registry_url, props.get("KAFKA_TOPIC")
        if registry is None or topic is None:
            return statement
        url = f"{registry.rstrip('/')}/subjects/{topic}-value/versions/latest"
        try:
            answer = httpx.get(url, timeout=TIMEOUT_S)
            answer.raise_for_status()
            inferred = columns_from_avro(answer.json()["schema"])
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise KsqlError(
                f"Schema for message values on topic '{topic}' does not exist in the Schema "
                f"Registry (subject {topic}-value): {exc}"
            ) from None
        return replace(statement, columns=(*statement.columns, *inferred))

    def _plan_query(
        self, statement: st.CreateAsSelect | st.InsertSelect, properties: dict[str, Any]
    ) -> Apply:
        offset_reset = self._offset_reset(properties)
        reader = stream_reader(self.spark, self.config.bootstrap_servers, offset_reset)
        tables = batch_reader(self.spark, self.config.bootstrap_servers)
        compiled = compile_query(self.metastore, statement.query, reader, read_table=tables)
        if isinstance(statement, st.InsertSelect):
            sink = self.metastore.writable(statement.target)
            check_insert_schema(sink, compiled)
        else:
            check_key_projected(statement, compiled)
            sink = sink_from(statement, compiled, self.config.schema_registry_url)
            exists = statement.name in self.metastore.sources
            if exists and not statement.or_replace and not self._logged:
                if statement.if_not_exists:
                    return lambda seq: entities.current_status(
                        statement.text, command_id(statement), seq, "already exists"
                    )
                self.metastore.add(sink)  # raises ksqlDB's "already exists"
            if not self._logged:
                partitions = statement.properties.get("PARTITIONS", compiled.source.partitions)
                sink = replace(sink, partitions=self.topics.ensure(sink, partitions))

        def apply(sequence: int) -> dict[str, Any]:
            query_id = query_id_of(statement, sequence)
            query = PersistentQuery(
                query_id,
                statement.text,
                sink.name,
                sink.topic,
                compiled.sources,
                self.config.state_dir / "queries" / query_id,
                compiled,
                {k: str(v) for k, v in properties.items()},
            )
            self.metastore.add(sink, or_replace=True)
            self.queries[query_id] = query
            if not self._replaying:
                self._start_query(query)
            return entities.current_status(
                statement.text,
                command_id(statement),
                sequence,
                f"Created query with ID {query_id}",
                query_id,
            )

        return apply

    def _start_query(self, query: PersistentQuery) -> None:
        """Run ``query`` here if this server holds its lease (else the server that does)."""
        if not self._holds(query.id) or query.query is not None:
            return
        sink = self.metastore.get(query.sink)
        query.start(sink, self.config.bootstrap_servers, self.config.trigger_ms)

    # -- several servers on one service id (cluster.py)

    @property
    def _logged(self) -> bool:
        """The command came from the log: the server that accepted it did its Kafka side
        effects (topics created or deleted) and checks."""
        return self._replaying or self._following

    def catch_up(self) -> None:
        """Wait until every command in the log (to its end now) is applied here: the ones
        followed and the ones accepted here; gives up after CATCH_UP_S (a log warning)."""
        follower = self._follower
        if follower is None:
            return
        deadline = time.monotonic() + CATCH_UP_S
        end = follower.end()
        while any(o not in self._accepted for o in range(follower.position, end)):
            if time.monotonic() > deadline:
                log.warning("ksql: commands up to %d not applied in %.0f s", end, CATCH_UP_S)
                return
            time.sleep(0.01)

    def _holds(self, query_id: str) -> bool:
        return lease_of(query_id) in self._leased

    def _follow(self, command: Command) -> None:
        """A command read from the log after the replay: applied unless accepted here."""
        with self._lock:
            if command.sequence in self._accepted:
                return
            self._following = True
            try:
                (statement,) = parse(command.statement)
                result = self._plan(statement, command.properties)(command.sequence)
                self.commands[command.id] = result["commandStatus"]
            except (KsqlError, ValueError, PySparkException) as exc:
                log.warning("ksql: command %s of another server not applied: %s", command.id, exc)
            finally:
                self._following = False

    def _lease(self, partitions: set[int]) -> None:
        with self._lock:
            self._leased |= partitions
            for query in self.queries.values():
                if not query.paused and lease_of(query.id) in partitions:
                    self._start_query(query)

    def _unlease(self, partitions: set[int]) -> None:
        with self._lock:
            for query in self.queries.values():
                if lease_of(query.id) in partitions:
                    _stop(query)
            self._leased -= partitions

    def _plan_drop(self, statement: st.DropSource) -> Apply:
        source = self.metastore.sources.get(statement.name)
        if source is None:
            if statement.if_exists:
                return lambda seq: entities.current_status(
                    statement.text, command_id(statement), seq, "Source does not exist."
                )
            raise KsqlError(f"{statement.kind.capitalize()} {statement.name} does not exist.")
        if source.kind != statement.kind:
            raise KsqlError(
                f"Incompatible data source type is {source.kind}, but statement was "
                f"DROP {statement.kind}"
            )
        reads = [q.id for q in self.queries.values() if source.name in q.sources]
        writes = [q.id for q in self.queries.values() if q.sink == source.name]
        if reads or writes:
            raise KsqlError(
                f"Cannot drop {source.name}.\nThe following queries read from this source: "
                f"[{', '.join(reads)}].\nThe following queries write into this source: "
                f"[{', '.join(writes)}].\nYou need to terminate them before dropping "
                f"{source.name}."
            )

        def apply(sequence: int) -> dict[str, Any]:
            self.metastore.remove(source.name)
            if statement.delete_topic and not self._logged:
                self.topics.delete(source.topic)
            return entities.current_status(
                statement.text,
                command_id(statement),
                sequence,
                f"Source `{source.name}` (topic: {source.topic}) was dropped.",
            )

        return apply

    def _plan_terminate(self, statement: st.Terminate) -> Apply:
        ids = list(self.queries) if statement.query_id is None else [statement.query_id]
        targets = [self._query(i) for i in ids]

        def apply(sequence: int) -> dict[str, Any]:
            for query in targets:
                self.queries.pop(query.id, None)
                if not self._replaying and self._holds(query.id):
                    query.terminate()  # its checkpoint goes with it, by the server running it
            return entities.current_status(
                statement.text, command_id(statement), sequence, "Query terminated."
            )

        return apply

    def _plan_pause_resume(self, statement: st.PauseResume) -> Apply:
        ids = list(self.queries) if statement.query_id is None else [statement.query_id]
        targets = [self._query(i) for i in ids]
        pause = statement.action == "PAUSE"

        def apply(sequence: int) -> dict[str, Any]:
            for query in targets:
                if query.paused == pause:
                    continue
                query.paused = pause
                if self._replaying:
                    continue
                if pause:
                    _stop(query)  # its checkpoint stays: RESUME goes on from it
                else:
                    self._start_query(query)
            message = "Query paused." if pause else "Query resumed."
            return entities.current_status(statement.text, command_id(statement), sequence, message)

        return apply


def _sink_name(statement: st.CreateAsSelect | st.InsertSelect) -> str:
    return statement.target if isinstance(statement, st.InsertSelect) else statement.name


def _stop(query: PersistentQuery) -> None:
    """Stop ``query`` at a batch boundary (its checkpoint committed); it may start again."""
    query.stop()
    query.query = None
