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
    metadata,
    offsets,
    produce,
    producers,
    topics,
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
}

if set(HANDLERS) != set(SUPPORTED_VERSIONS):  # pragma: no cover - a programming error
    raise RuntimeError("versions.py and dispatch.py disagree on the supported API keys")
