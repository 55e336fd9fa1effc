"""The published function coverage (docs/function-coverage.md and README) is up to date."""

from __future__ import annotations

import pytest

from tools import function_coverage as cov


def _status() -> dict[str, str]:
    if not cov.REFERENCE.exists():
        pytest.skip(f"PySpark reference list not found at {cov.REFERENCE}")
    return cov.implemented(cov.reference_functions())


def test_reference_lists_552_functions() -> None:
    assert len(_status()) == 552


def test_coverage_doc_is_up_to_date() -> None:
    status = _status()
    assert cov.DOC.read_text() == cov.render(status), "run `python -m tools.function_coverage`"


def test_readme_shows_the_percentage() -> None:
    assert cov.readme_line(_status()) in (cov.ROOT / "README.md").read_text()


def test_every_exported_function_is_callable() -> None:
    from kaspar.sql import functions as F

    assert all(callable(getattr(F, name)) for name in F.__all__)
