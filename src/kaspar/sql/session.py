"""``SparkSession``: the entry point (PySpark ``pyspark.sql.SparkSession``)."""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import sqlglot
from sqlglot import exp

from kaspar.engine.compile.dialect import KasparSpark, user_sql
from kaspar.engine.compile.map_key_dedup import map_key_dedup_policy
from kaspar.engine.compile.nanos_timestamps import NANOS_CONF, NANOS_TYPES
from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
from kaspar.engine.plan.naming import name_projections
from kaspar.errors import AnalysisException, ParseException
from kaspar.sql._local_data import local_table
from kaspar.sql._partitions import default_parallelism
from kaspar.sql._session_statements import run_text_statement
from kaspar.sql._sql_files import bind_file_tables, hidden_file_columns
from kaspar.sql._sql_formatting import (
    bind_parameters,
    empty_collected_arrays,
    format_query,
    spark_table_functions,
)
from kaspar.sql._sql_function_bridge import bridge_functions
from kaspar.sql._sql_generator_rewrite import expand_generators
from kaspar.sql._sql_statements import run_statement
from kaspar.sql._udtf_sql import bind_table_functions
from kaspar.sql._warehouse import Warehouse
from kaspar.sql.catalog import GLOBAL_TEMP, Catalog
from kaspar.sql.conf import RuntimeConfig, default_conf
from kaspar.sql.dataframe import DataFrame
from kaspar.sql.not_applicable import NotApplicable
from kaspar.sql.readwriter import DataFrameReader
from kaspar.sql.udf_registration import UDFRegistration
from kaspar.sql.udtf import UDTFRegistration

if TYPE_CHECKING:
    from kaspar.sql.streaming.query import StreamingQueryManager
    from kaspar.sql.streaming.readwriter import DataStreamReader
    from kaspar.sql.tvf import TableValuedFunction

__version__ = "4.0.0"


class _Builder:
    """``SparkSession.builder``: collects options, then ``getOrCreate()``."""

    def __init__(self) -> None:
        self._options: dict[str, str] = {}

    def config(
        self,
        key: str | None = None,
        value: Any = None,
        conf: Any = None,
        map: dict[str, Any] | None = None,
    ) -> _Builder:
        if key is not None:
            self._options[key] = str(value).lower() if isinstance(value, bool) else str(value)
        for k, v in (map or {}).items():
            self.config(k, v)
        return self

    def appName(self, name: str) -> _Builder:
        return self.config("spark.app.name", name)

    def master(self, master: str) -> _Builder:
        return self.config("spark.master", master)

    def remote(self, url: str) -> _Builder:
        return self

    def enableHiveSupport(self) -> _Builder:
        return self

    def getOrCreate(self) -> SparkSession:
        with SparkSession._lock:
            session = SparkSession._active
            if session is None:
                session = SparkSession(self._options)
                SparkSession._active = session
                atexit.register(session._stop_at_exit)
            else:
                for k, v in self._options.items():
                    session.conf.set(k, v)
            return session

    def create(self) -> SparkSession:
        return SparkSession(self._options)


_Builder.__name__ = "Builder"
_Builder.__qualname__ = "SparkSession.Builder"  # repr as PySpark's class


class _BuilderDescriptor:
    def __get__(self, obj: Any, owner: Any) -> _Builder:
        return _Builder()


class SparkSession:
    """A session: configuration, temp views and one DuckDB connection."""

    builder: ClassVar[_BuilderDescriptor] = _BuilderDescriptor()
    Builder: ClassVar[type[_Builder]] = _Builder
    sparkContext = NotApplicable("SparkSession.sparkContext")
    profile = NotApplicable("SparkSession.profile")
    _active: ClassVar[SparkSession | None] = None
    _lock: ClassVar[threading.RLock] = threading.RLock()

    def __init__(self, options: dict[str, str] | None = None) -> None:
        values = default_conf()
        values.update(options or {})
        self._executor = Executor(
            ansi=values["spark.sql.ansi.enabled"] == "true",
            time_zone=values["spark.sql.session.timeZone"],
        )
        self._conf = RuntimeConfig(values, self._conf_changed)
        self._catalog = Catalog(Warehouse(self))
        self._streams: StreamingQueryManager | None = None
        self._udf = UDFRegistration()
        self._udtf = UDTFRegistration(self)
        self._tags: set[str] = set()
        self._python_sources: dict[str, type] = {}  # spark.dataSource.register, by name

    def _conf_changed(self, key: str, value: str) -> None:
        if key == "spark.sql.ansi.enabled":
            self._executor.configure(ansi=value == "true")
        elif key == "spark.sql.session.timeZone":
            self._executor.configure(time_zone=value)
        elif key == NANOS_CONF:
            NANOS_TYPES.set(value.lower() == "true")
        elif key == "spark.sql.mapKeyDedupPolicy":
            self._executor.configure(map_key_dedup=map_key_dedup_policy(value))

    @property
    def conf(self) -> RuntimeConfig:
        return self._conf

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def udf(self) -> UDFRegistration:
        return self._udf

    @property
    def dataSource(self) -> Any:
        """``spark.dataSource.register(cls)``: Python data sources (``pyspark.sql.datasource``)."""
        from kaspar.sql.datasource import DataSourceRegistration

        return DataSourceRegistration(self)

    @property
    def udtf(self) -> UDTFRegistration:
        return self._udtf

    # Spark Connect's members: a classic session (kaspar's, like PySpark's own) refuses them.
    @property
    def client(self) -> Any:
        _connect_only("SparkSession.client")

    def addArtifacts(
        self, *path: str, pyfile: bool = False, archive: bool = False, file: bool = False
    ) -> None:
        _connect_only("SparkSession.addArtifact(s)")

    addArtifact = addArtifacts

    def copyFromLocalToFs(self, local_path: str, dest_path: str) -> None:
        _connect_only("SparkSession.copyFromLocalToFs")

    # Tags of the operations this session starts (interrupt*: kaspar runs each query to its
    # end in the calling thread, so nothing is running to interrupt from another call).
    def addTag(self, tag: str) -> None:
        self._tags.add(tag)

    def removeTag(self, tag: str) -> None:
        self._tags.discard(tag)

    def getTags(self) -> set[str]:
        return set(self._tags)

    def clearTags(self) -> None:
        self._tags.clear()

    def interruptAll(self) -> list[str]:
        return []

    def interruptTag(self, tag: str) -> list[str]:
        return []

    def interruptOperation(self, op_id: str) -> list[str]:
        return []

    @property
    def tvf(self) -> TableValuedFunction:
        from kaspar.sql.tvf import TableValuedFunction

        return TableValuedFunction(self)

    def emptyDataFrame(self, schema: Any) -> DataFrame:
        """No rows, with ``schema`` (a StructType or a DDL string)."""
        return self.createDataFrame([], schema)

    def registerProgressHandler(self, handler: Callable[[list[Any], int, bool], None]) -> None:
        """``handler(stages, inflight_tasks, done)`` is called as each query of this session
        ends (``done`` True; DuckDB runs a query with no Spark stages, so ``stages`` is [])."""
        self._executor.progress_handlers.append(handler)

    def removeProgressHandler(self, handler: Callable[[list[Any], int, bool], None]) -> None:
        if handler in self._executor.progress_handlers:
            self._executor.progress_handlers.remove(handler)

    def clearProgressHandlers(self) -> None:
        self._executor.progress_handlers.clear()

    @property
    def version(self) -> str:
        return __version__

    @property
    def read(self) -> DataFrameReader:
        return DataFrameReader(self)

    @property
    def readStream(self) -> DataStreamReader:
        from kaspar.sql.streaming.readwriter import DataStreamReader

        return DataStreamReader(self)

    @property
    def streams(self) -> StreamingQueryManager:
        if self._streams is None:
            from kaspar.sql.streaming.query import StreamingQueryManager

            self._streams = StreamingQueryManager(self)
        return self._streams

    @classmethod
    def getActiveSession(cls) -> SparkSession | None:
        return cls._active

    @classmethod
    def active(cls) -> SparkSession:
        return cls._active or cls.builder.getOrCreate()

    def newSession(self) -> SparkSession:
        return SparkSession(self._conf.getAll())

    def createDataFrame(
        self,
        data: Any,
        schema: Any = None,
        samplingRatio: float | None = None,
        verifySchema: bool = True,
    ) -> DataFrame:
        table, struct = local_table(data, schema)
        slices = default_parallelism(self.conf)
        relation = L.LocalRelation(table, tuple(struct.names), num_partitions=slices, schema=struct)
        return DataFrame(self, relation)

    def range(
        self, start: int, end: int | None = None, step: int = 1, numPartitions: int | None = None
    ) -> DataFrame:
        if end is None:
            start, end = 0, start
        slices = default_parallelism(self.conf) if numPartitions is None else numPartitions
        return DataFrame(self, L.Range(start, end, step, int(slices)))

    def table(self, tableName: str) -> DataFrame:
        return DataFrame(self, L.SubqueryAlias(self._catalog._lookup(tableName), tableName))

    def sql(self, sqlQuery: str, args: Any = None, **kwargs: Any) -> DataFrame:
        text, views = format_query(self, sqlQuery, kwargs)
        try:
            return self._sql(text, args)
        finally:
            for view in views:
                self._catalog.dropTempView(view)

    def _sql(self, sqlQuery: str, args: Any) -> DataFrame:
        done = run_text_statement(self, sqlQuery)
        if done is not None:
            return done
        try:
            with user_sql():
                statement = sqlglot.parse_one(sqlQuery, dialect=KasparSpark)
        except sqlglot.errors.ParseError as e:
            raise ParseException(f"Syntax error in SQL: {e}", "PARSE_SYNTAX_ERROR") from None
        statement = bind_parameters(statement, args)
        udtf_views = bind_table_functions(self, statement)  # before range() is rewritten
        udtf_views += bind_file_tables(self, statement)
        statement = bridge_functions(spark_table_functions(statement))
        statement = expand_generators(self, statement)
        try:
            return self._statement(sqlQuery, statement)
        finally:
            for view in udtf_views:
                self._catalog.dropTempView(view)

    def _statement(self, sqlQuery: str, statement: exp.Expr) -> DataFrame:
        if isinstance(statement, exp.Create) and statement.kind == "VIEW":
            return self._create_view(statement)
        if isinstance(statement, exp.Drop) and statement.kind in ("TABLE", "VIEW"):
            return self._drop(statement)
        done = run_statement(self, statement)
        if done is not None:
            return done
        if not isinstance(statement, exp.Query):
            raise ParseException(f"Unsupported statement: {sqlQuery}", "PARSE_SYNTAX_ERROR")
        for hint in list(statement.find_all(exp.Hint)):  # plan hints: DuckDB plans alone
            hint.pop()
        named = name_projections(self._udf.bind_calls(statement))
        query = _global_temp_tables(empty_collected_arrays(named))
        views = self._catalog._views_for(_referenced_tables(query))
        query, views = hidden_file_columns(self, query, views)
        names = self._executor.describe(query, views)
        return DataFrame(self, L.SqlQuery(query, tuple(names), views))

    def _drop(self, statement: exp.Drop) -> DataFrame:
        """``DROP VIEW|TABLE [IF EXISTS] name``: a temporary view, else a warehouse table."""
        tables = statement.args.get("tables") or [statement.this]
        table = tables[0]
        name = ".".join(p.name for p in table.parts) if isinstance(table, exp.Table) else str(table)
        catalog = self._catalog
        dropped = catalog.dropTempView(name) or catalog.dropGlobalTempView(name)
        if not dropped and statement.kind == "TABLE" and catalog._warehouse.exists(name):
            catalog.dropTable(name)
            dropped = True
        if not dropped and statement.kind == "VIEW":
            dropped = (
                catalog._persistent_views.pop(catalog._warehouse.split(name), None) is not None
            )
        if not dropped and not statement.args.get("exists"):
            kind = "VIEW" if statement.kind == "VIEW" else "TABLE_OR_VIEW"
            raise AnalysisException(
                f"The {kind.lower().replace('_', ' or ')} `{name}` cannot be found.",
                f"{kind}_NOT_FOUND",
            )
        return self.createDataFrame([], "x int").limit(0).select()

    def _create_view(self, statement: exp.Create) -> DataFrame:
        target = statement.this
        name = ".".join(p.name for p in target.parts) if isinstance(target, exp.Table) else ""
        body = statement.expression
        df = self.sql(body.sql(dialect=KasparSpark))
        replace = bool(statement.args.get("replace"))
        props = statement.args.get("properties")
        kinds = {type(p) for p in props.expressions} if props else set()
        if exp.TemporaryProperty not in kinds:
            self._catalog._register_view(name, df.plan, replace=replace)
        else:
            is_global = exp.GlobalProperty in kinds
            self._catalog._register(name, df.plan, replace=replace, is_global=is_global)
        return self.createDataFrame([], "x int").limit(0).select()

    def stop(self) -> None:
        """Stop the session's streaming queries and close its engine (also run at exit, as
        Spark stops its context when the JVM shuts down)."""
        self._stop(at_exit=False)

    def _stop(self, *, at_exit: bool) -> None:
        with SparkSession._lock:
            if SparkSession._active is self:
                SparkSession._active = None
        if self._streams is not None:
            for query in self._streams.active:
                with contextlib.suppress(Exception):  # stopping is best effort
                    query.stop()
        self._executor.close(at_exit=at_exit)

    def _stop_at_exit(self) -> None:
        with contextlib.suppress(Exception):
            self._stop(at_exit=True)

    def __enter__(self) -> SparkSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _global_temp_tables(query: exp.Query) -> exp.Query:
    """``global_temp.v`` as one quoted name (the view's CTE), still qualified by ``v``."""
    for table in list(query.find_all(exp.Table)):
        if table.db.lower() == GLOBAL_TEMP and isinstance(table.this, exp.Identifier):
            name = table.name
            alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name))
            local = exp.Table(this=exp.to_identifier(f"{GLOBAL_TEMP}.{name}", quoted=True))
            table.replace(local.as_(alias.this))
    return query


def _referenced_tables(query: exp.Query) -> list[str]:
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    names = []
    for table in query.find_all(exp.Table):
        local = table.name and not table.args.get("db") and isinstance(table.this, exp.Identifier)
        if local and table.name.lower() not in ctes:
            names.append(table.name)
    return names


def _connect_only(feature: str) -> NoReturn:
    from kaspar.errors import PySparkRuntimeError

    raise PySparkRuntimeError(
        f"{feature} is only supported with Spark Connect; however, the current Spark session "
        "does not use Spark Connect.",
        "ONLY_SUPPORTED_WITH_SPARK_CONNECT",
        {"feature": feature},
    )
