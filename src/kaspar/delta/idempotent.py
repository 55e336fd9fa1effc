"""Idempotent DML as delta-spark has it (Delta 2.3+): with the session confs
``spark.databricks.delta.write.txnAppId`` and ``spark.databricks.delta.write.txnVersion`` set,
MERGE, UPDATE and DELETE commit a ``txn`` action (app id, version), and are skipped when the
table already holds that version, or a later one, for the app. A ``foreachBatch`` function sets
them to (its query's name, ``batch_id``) so that a batch run again after a crash changes nothing.

Spark runs each streaming query on a clone of the session, so those confs set in one query's
``foreachBatch`` are that query's; kaspar's queries share the session, so kaspar's own code
(``kaspar.delta.cdc``) uses ``transaction(app_id, version)`` instead: the same effect for the
DML of the current thread (each query runs on its own thread), with no shared state changed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from kaspar.engine.sinks.delta import idempotent_commit
from kaspar.errors import IllegalArgumentException

if TYPE_CHECKING:
    from deltalake import CommitProperties

    from kaspar.sql.session import SparkSession

TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
TXN_VERSION = "spark.databricks.delta.write.txnVersion"
TXN_VERSION_AUTO_RESET = "spark.databricks.delta.write.txnVersion.autoReset.enabled"


_TRANSACTION: ContextVar[tuple[str, int] | None] = ContextVar("delta_transaction", default=None)


@contextlib.contextmanager
def transaction(app_id: str, version: int) -> Iterator[None]:
    """The txn (app id, version) of the DML run in this block, in this thread; it takes
    precedence over the session's confs."""
    token = _TRANSACTION.set((app_id, version))
    try:
        yield
    finally:
        _TRANSACTION.reset(token)


class AlreadyCommitted(Exception):
    """The session's (txnAppId, txnVersion) is already in the table: skip the operation."""


def session_commit(spark: SparkSession, path: str) -> CommitProperties | None:
    """The commit properties for a DML on ``path`` under the session's txn confs.

    None when the confs are not set (an ordinary commit); raises ``AlreadyCommitted`` when the
    table already holds the version. With ``txnVersion.autoReset.enabled`` the version conf is
    unset after use, as in delta-spark. A ``transaction`` block takes precedence.
    """
    given = _TRANSACTION.get()
    if given is not None:
        return _commit_or_skip(path, *given)
    app_id = spark.conf.get(TXN_APP_ID, None)
    version = spark.conf.get(TXN_VERSION, None)
    if app_id is None and version is None:
        return None
    if app_id is None or version is None:
        raise IllegalArgumentException(
            "[DELTA_INVALID_IDEMPOTENT_WRITES_OPTIONS.MISSING_SESSION_CONFS] Invalid options for "
            f"idempotent DataFrame writes: Both {TXN_APP_ID} and {TXN_VERSION} must be specified "
            "for idempotent Delta writes."
        )
    if str(spark.conf.get(TXN_VERSION_AUTO_RESET, "false")).lower() == "true":
        spark.conf.unset(TXN_VERSION)
    return _commit_or_skip(path, str(app_id), int(version))


def _commit_or_skip(path: str, app_id: str, version: int) -> CommitProperties:
    commit = idempotent_commit(path, app_id, version)
    if commit is None:
        raise AlreadyCommitted(f"{app_id} {version}")
    return commit
