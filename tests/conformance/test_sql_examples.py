"""Spark SQL's own function examples keep passing on kaspar's ``spark.sql``.

``python -m tools.sql_examples`` runs the SQL examples of Spark's built-in function documentation
(recorded with PySpark's outcomes in tests/fixtures/sql_examples.json) on kaspar and lists
those giving PySpark's names, types and values in tests/conformance/sql_examples_passing.txt;
this test runs them again and fails when one of them no longer passes.
"""

from __future__ import annotations

import pytest

from tools import sql_examples


@pytest.mark.timeout(900)
def test_sql_function_examples_still_pass() -> None:
    listed = set(sql_examples.PASSING_LIST.read_text().split())
    assert len(listed) > 700
    outcomes = sql_examples.check_all(None)
    broken = {
        key: (what, expected, got)
        for key, (what, expected, got) in outcomes.items()
        if key in listed and what != "same"
    }
    assert not broken, "\n".join(f"{k}: {v}" for k, v in sorted(broken.items())[:40])
