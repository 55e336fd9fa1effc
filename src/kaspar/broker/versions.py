"""The (min, max) version the broker answers for each API key.

ApiVersions responses are derived from this table and the connection refuses any (key, version)
outside it. The ranges are chosen so that every common client (librdkafka, kafka-python,
aiokafka, Kafka's Java clients) finds its preferred version inside them; see
``../shared/reference/kafka-protocol/README.md`` section 5.
"""

from __future__ import annotations

from collections.abc import Mapping

from kaspar.protocol.api_index import ApiKey

__all__ = ["SUPPORTED_VERSIONS", "supports"]

SUPPORTED_VERSIONS: Mapping[ApiKey, tuple[int, int]] = {
    ApiKey.PRODUCE: (3, 9),
    ApiKey.FETCH: (4, 12),
    ApiKey.LIST_OFFSETS: (1, 7),
    ApiKey.METADATA: (0, 12),
    ApiKey.API_VERSIONS: (0, 3),
    ApiKey.CREATE_TOPICS: (0, 7),
    ApiKey.DELETE_TOPICS: (0, 6),
    ApiKey.DELETE_RECORDS: (0, 2),
    ApiKey.DESCRIBE_CONFIGS: (0, 4),
    ApiKey.ALTER_CONFIGS: (0, 2),
    ApiKey.CREATE_PARTITIONS: (0, 3),
    ApiKey.INCREMENTAL_ALTER_CONFIGS: (0, 1),
    ApiKey.DESCRIBE_CLUSTER: (0, 1),
    ApiKey.INIT_PRODUCER_ID: (0, 4),
    ApiKey.FIND_COORDINATOR: (0, 4),
    ApiKey.JOIN_GROUP: (0, 7),
    ApiKey.SYNC_GROUP: (0, 5),
    ApiKey.HEARTBEAT: (0, 4),
    ApiKey.LEAVE_GROUP: (0, 4),
    ApiKey.LIST_GROUPS: (0, 4),
    ApiKey.DESCRIBE_GROUPS: (0, 5),
    ApiKey.DELETE_GROUPS: (0, 2),
    ApiKey.OFFSET_COMMIT: (2, 8),
    ApiKey.OFFSET_FETCH: (1, 8),
    ApiKey.OFFSET_DELETE: (0, 0),
    ApiKey.ADD_PARTITIONS_TO_TXN: (0, 3),
    ApiKey.ADD_OFFSETS_TO_TXN: (0, 3),
    ApiKey.END_TXN: (0, 3),
    ApiKey.TXN_OFFSET_COMMIT: (0, 3),
}


def supports(api_key: int, api_version: int) -> bool:
    """True if the broker answers this key at this version."""
    try:
        low, high = SUPPORTED_VERSIONS[ApiKey(api_key)]
    except (ValueError, KeyError):
        return False
    return low <= api_version <= high
