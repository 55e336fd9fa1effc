"""kaspar's Kafka source and sinks against Apache Kafka, with the integration tests' own code.

The tests below are the integration tests of ``tests/integration/`` (imported: pytest runs them
here as well), with Apache Kafka in place of the kaspar broker: this module overrides the
fixtures they ask for (``kaspar_broker``, and ``broker`` through it, so ``topic_factory`` makes
topics on Apache Kafka). What they cover:

* ``spark.read.format("kafka")``: schema, every record, offsets as JSON, assign and
  subscribePattern, startingTimestamp (``test_kafka_batch_source``);
* ``df.write.format("kafka")`` (``test_kafka_batch_sink``);
* ``readStream`` into memory and foreachBatch, a restart from the checkpoint, and the Kafka
  sink's exactly-once transactions read back with read_committed (``test_streaming_kafka``);
* the columnar fetch client (``kaspar.engine.kafka_fetch``) against librdkafka's reads of the
  same ranges: every codec, aborted transactions, DeleteRecords, kept records and prefetch, a
  partition added under a running query (``test_kafka_columnar``). Its compaction test is left
  out: it needs 16 KiB segments, and Kafka 4 refuses segments under 1 MiB.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from kaspar.sql import SparkSession
from tests.integration.test_kafka_batch_sink import (
    test_topic_column_routes_rows,
    test_topic_option_key_value_partition,
)
from tests.integration.test_kafka_batch_source import (
    orders,
    test_assign_and_pattern,
    test_cast_value_to_string,
    test_filter_by_partition_and_offset,
    test_offset_ranges_as_json,
    test_reads_every_record,
    test_schema_is_sparks,
    test_starting_timestamp,
)
from tests.integration.test_kafka_columnar import (
    create_topic,
    test_every_codec_with_headers,
    test_kept_records_and_prefetch_follow_consecutive_ranges,
    test_offsets_deleted_under_the_reader,
    test_partition_added_while_the_query_runs,
    test_query_over_aborted_transactions,
    test_query_with_records_deleted_under_it,
    test_read_committed_hides_aborted_transactions,
)
from tests.integration.test_streaming_kafka import (
    test_foreach_batch_ids,
    test_kafka_to_kafka_exactly_once,
    test_kafka_to_memory_available_now,
    test_restart_continues_exactly,
)

pytestmark = [pytest.mark.apache_kafka, pytest.mark.timeout(120)]

__all__ = [
    "create_topic",
    "orders",
    "test_assign_and_pattern",
    "test_cast_value_to_string",
    "test_every_codec_with_headers",
    "test_filter_by_partition_and_offset",
    "test_foreach_batch_ids",
    "test_kafka_to_kafka_exactly_once",
    "test_kafka_to_memory_available_now",
    "test_kept_records_and_prefetch_follow_consecutive_ranges",
    "test_offset_ranges_as_json",
    "test_offsets_deleted_under_the_reader",
    "test_partition_added_while_the_query_runs",
    "test_query_over_aborted_transactions",
    "test_query_with_records_deleted_under_it",
    "test_read_committed_hides_aborted_transactions",
    "test_reads_every_record",
    "test_restart_continues_exactly",
    "test_schema_is_sparks",
    "test_starting_timestamp",
    "test_topic_column_routes_rows",
    "test_topic_option_key_value_partition",
]


@pytest.fixture(scope="module")
def kaspar_broker(apache_kafka_broker: SimpleNamespace) -> SimpleNamespace:
    """The integration tests' broker: Apache Kafka here."""
    return apache_kafka_broker


@pytest.fixture(scope="module")
def broker(apache_kafka_broker: SimpleNamespace) -> SimpleNamespace:
    """The columnar tests' broker: Apache Kafka here."""
    return apache_kafka_broker


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


def test_fixtures_point_at_apache_kafka(
    broker: SimpleNamespace, topic_factory: Callable[..., str], apache_kafka: str
) -> None:
    """The overrides hold: topics of the imported tests are made on Apache Kafka."""
    from confluent_kafka.admin import AdminClient

    name = topic_factory(partitions=2)
    assert broker.bootstrap_servers == apache_kafka
    listed = AdminClient({"bootstrap.servers": apache_kafka}).list_topics(name, timeout=10)
    assert len(listed.topics[name].partitions) == 2
