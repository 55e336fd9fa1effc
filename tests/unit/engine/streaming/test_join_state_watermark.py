"""Spark's state watermark of a stream-stream join from its range condition."""

from __future__ import annotations

import pytest
from sqlglot import exp, parse_one

from kaspar.engine.plan.attributes import ATTR_ID
from kaspar.engine.streaming.join_state_watermark import equi_pairs, state_value_watermark

IDS = {"ad": 1, "it": 2, "cad": 3, "ct": 4}
LEFT, RIGHT = {1, 2}, {3, 4}
W = 1_000_000  # the watermark, ms


def resolved(condition: str) -> exp.Expr:
    tree = parse_one(condition, read="spark")
    for column in tree.find_all(exp.Column):
        column.meta[ATTR_ID] = IDS[column.name]
    return tree


@pytest.mark.parametrize(
    ("condition", "left", "right"),
    [
        # Spark's docs example: clicks within an hour of the impression
        ("ct >= it AND ct <= it + interval 1 hour", W - 3_600_000 - 1, W - 1),
        ("ct > it AND ct < it + interval '30 seconds'", W - 30_000, W),
        (
            "ct BETWEEN it - interval 5 minutes AND it + interval 1 minute",
            W - 60_000 - 1,
            W - 300_000 - 1,
        ),
        ("it + interval 1 hour 30 minutes >= ct", W - 5_400_000 - 1, None),
        ("ad = cad", None, None),
        ("ct <= it + interval 1 month", None, None),  # months are not a fixed duration
    ],
)
def test_state_value_watermark_as_spark(
    condition: str, left: int | None, right: int | None
) -> None:
    tree = resolved(condition)
    assert state_value_watermark(tree, LEFT, {IDS["ct"]}, W) == left
    assert state_value_watermark(tree, RIGHT, {IDS["it"]}, W) == right


def test_no_watermark_on_the_other_side_no_bound() -> None:
    assert (
        state_value_watermark(resolved("ct >= it AND ct <= it + interval 1 hour"), LEFT, set(), W)
        is None
    )


def test_equi_pairs() -> None:
    assert equi_pairs(resolved("ad = cad AND ct >= it")) == [(1, 3)]
