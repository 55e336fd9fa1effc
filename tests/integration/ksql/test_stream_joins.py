"""ksqlDB stream-stream joins (``WITHIN``) run by the engine's stream-stream join."""

from __future__ import annotations

from tests.integration.ksql.conftest import Ksql, create_stream

EARLIEST = {"auto.offset.reset": "earliest"}


def _streams(ksql: Ksql, name: str) -> tuple[str, str]:
    impressions = create_stream(ksql, f"{name}_IMPRESSIONS", "id STRING KEY, ad STRING")
    clicks = create_stream(ksql, f"{name}_CLICKS", "id STRING KEY, ad STRING")
    ksql.produce(impressions, [("i1", {"AD": "ad1"}, 1_000), ("i2", {"AD": "ad2"}, 2_000)])
    # c2 comes 198 s after its impression: outside the window
    ksql.produce(clicks, [("c1", {"AD": "ad1"}, 30_000), ("c2", {"AD": "ad2"}, 200_000)])
    return impressions, clicks


def _terminate(ksql: Ksql, name: str) -> None:
    for query in ksql.run("SHOW QUERIES;")[0]["queries"]:
        if name in query["sinks"][0]:
            ksql.run(f"TERMINATE {query['id']};")


def test_inner_join_within(ksql: Ksql, name: str) -> None:
    _streams(ksql, name)
    ksql.run(
        f"CREATE STREAM {name}_MATCHED AS SELECT i.ad, i.id AS imp, c.id AS clk "
        f"FROM {name}_IMPRESSIONS i JOIN {name}_CLICKS c WITHIN 1 MINUTE ON i.ad = c.ad "
        "EMIT CHANGES;",
        **EARLIEST,
    )
    # keyed by the join key; the later of the two records' times
    assert ksql.read(f"{name}_MATCHED", 1) == [(b"ad1", {"IMP": "i1", "CLK": "c1"}, 30_000)]
    _terminate(ksql, name)


def test_left_join_within_grace_emits_unmatched_once_closed(ksql: Ksql, name: str) -> None:
    impressions, clicks = _streams(ksql, name)
    ksql.run(
        f"CREATE STREAM {name}_ALL AS SELECT i.ad, i.id AS imp, c.id AS clk "
        f"FROM {name}_IMPRESSIONS i LEFT JOIN {name}_CLICKS c "
        "WITHIN (0 SECONDS, 1 MINUTE) GRACE PERIOD 1 SECOND ON i.ad = c.ad EMIT CHANGES;",
        **EARLIEST,
    )
    # later records on both sides move the watermark past i2's window
    ksql.produce(impressions, [("i9", {"AD": "ad9"}, 1_000_000)])
    ksql.produce(clicks, [("c9", {"AD": "ad9"}, 1_000_000)])
    assert sorted(ksql.read(f"{name}_ALL", 3)) == [
        (b"ad1", {"IMP": "i1", "CLK": "c1"}, 30_000),
        (b"ad2", {"IMP": "i2", "CLK": None}, 2_000),
        (b"ad9", {"IMP": "i9", "CLK": "c9"}, 1_000_000),
    ]
    _terminate(ksql, name)
