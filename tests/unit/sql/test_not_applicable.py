"""Functions that cannot apply raise PySparkNotImplementedError naming the alternative."""

from __future__ import annotations

import pytest

from kaspar.errors import PySparkNotImplementedError
from kaspar.sql import functions as F
from kaspar.sql.functions.not_applicable import NOT_APPLICABLE


@pytest.mark.parametrize("name", sorted(NOT_APPLICABLE))
def test_not_applicable_function_raises_with_the_alternative(name: str) -> None:
    with pytest.raises(PySparkNotImplementedError, match=r"not available in kaspar") as raised:
        getattr(F, name)("x")
    assert raised.value.getCondition() == "NOT_IMPLEMENTED"
    assert NOT_APPLICABLE[name] in str(raised.value)
