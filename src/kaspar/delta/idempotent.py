"""Idempotent DML as delta-spark has it (Delta 2.3+): with the session confs
``spark.databricks.delta.write.txnAppId`` and ``spark.databricks.delta.write.txnVersion`` set,
MERGE, UPDATE and DELETE commit a ``txn`` action (app id, version), and are skipped when the
table already holds that version, or a later one, for the app. A ``foreachBatch`` function sets
them to (its query's name, ``batch_id``) so that a batch run again after a crash changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaspar.engine.sinks.delta import idempotent_commit
from kaspar.errors import IllegalArgumentException

if TYPE_CHECKING:
    from deltalake import CommitProperties

    from kaspar.sql.session import SparkSession

TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
TXN_VERSION = "spark.databricks.delta.write.txnVersion"
TXN_VERSION_AUTO_RESET = "spark.databricks.delta.write.txnVersion.autoReset.enabled"


class AlreadyCommitted(Exception):
    """The session's (txnAppId, txnVersion) is already in the table: skip the operation."""


def session_commit(spark: SparkSession, path: str) -> CommitProperties | None:
    """The commit properties for a DML on ``path`` under the session's txn confs.

    None when the confs are not set (an ordinary commit); raises ``AlreadyCommitted`` when the
    table already holds the version. With ``txnVersion.autoReset.enabled`` the version conf is
    unset after use, as in delta-spark.
    """
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
    commit = idempotent_commit(path, str(app_id), int(version))
    if commit is None:
        raise AlreadyCommitted(f"{app_id} {version}")
    return commit
