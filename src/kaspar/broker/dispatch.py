"""API key -> request handler.

Which versions are answered is declared in ``versions.py``; this module only routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from kaspar.broker.context import BrokerContext
from kaspar.broker.handlers import (
    api_versions,
    configs,
    fetch,
    group_offsets,
    groups,
    metadata,
    offsets,
    produce,
    producers,
    topics,
    transactions,
)
from kaspar.broker.versions import SUPPORTED_VERSIONS
from kaspar.protocol.api_index import ApiKey

__all__ = ["HANDLERS", "Handler"]

#: A handler gets the broker context, the decoded request and its version; it returns the
#: response (None: no response, as for acks=0), or an awaitable of it.
Handler = Callable[[BrokerContext, Any, int], Any | Awaitable[Any]]

HANDLERS: Mapping[ApiKey, Handler] = {
    ApiKey.PRODUCE: produce.handle_produce,
    ApiKey.FETCH: fetch.handle_fetch,
    ApiKey.LIST_OFFSETS: offsets.handle_list_offsets,
    ApiKey.METADATA: metadata.handle_metadata,
    ApiKey.API_VERSIONS: api_versions.handle_api_versions,
    ApiKey.CREATE_TOPICS: topics.handle_create_topics,
    ApiKey.DELETE_TOPICS: topics.handle_delete_topics,
    ApiKey.DELETE_RECORDS: offsets.handle_delete_records,
    ApiKey.DESCRIBE_CONFIGS: configs.handle_describe_configs,
    ApiKey.ALTER_CONFIGS: configs.handle_alter_configs,
    ApiKey.CREATE_PARTITIONS: topics.handle_create_partitions,
    ApiKey.INCREMENTAL_ALTER_CONFIGS: configs.handle_incremental_alter_configs,
    ApiKey.DESCRIBE_CLUSTER: metadata.handle_describe_cluster,
    ApiKey.INIT_PRODUCER_ID: producers.handle_init_producer_id,
    ApiKey.FIND_COORDINATOR: groups.handle_find_coordinator,
    ApiKey.JOIN_GROUP: groups.handle_join_group,
    ApiKey.SYNC_GROUP: groups.handle_sync_group,
    ApiKey.HEARTBEAT: groups.handle_heartbeat,
    ApiKey.LEAVE_GROUP: groups.handle_leave_group,
    ApiKey.LIST_GROUPS: groups.handle_list_groups,
    ApiKey.DESCRIBE_GROUPS: groups.handle_describe_groups,
    ApiKey.DELETE_GROUPS: groups.handle_delete_groups,
    ApiKey.OFFSET_COMMIT: group_offsets.handle_offset_commit,
    ApiKey.OFFSET_FETCH: group_offsets.handle_offset_fetch,
    ApiKey.OFFSET_DELETE: group_offsets.handle_offset_delete,
    ApiKey.ADD_PARTITIONS_TO_TXN: transactions.handle_add_partitions_to_txn,
    ApiKey.ADD_OFFSETS_TO_TXN: transactions.handle_add_offsets_to_txn,
    ApiKey.END_TXN: transactions.handle_end_txn,
    ApiKey.TXN_OFFSET_COMMIT: transactions.handle_txn_offset_commit,
}

if set(HANDLERS) != set(SUPPORTED_VERSIONS):  # pragma: no cover - a programming error
    raise RuntimeError("versions.py and dispatch.py disagree on the supported API keys")
