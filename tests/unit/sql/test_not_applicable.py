"""Functions that cannot apply raise PySparkNotImplementedError naming the alternative."""

from __future__ import annotations

import pytest

from kaspar.errors import PySparkNotImplementedError
from kaspar.sql import functions as F
from kaspar.sql.functions.not_applicable import NOT_APPLICABLE
from kaspar.sql.not_applicable import NOT_APPLICABLE_MEMBERS


@pytest.mark.parametrize("name", sorted(NOT_APPLICABLE))
def test_not_applicable_function_raises_with_the_alternative(name: str) -> None:
    with pytest.raises(PySparkNotImplementedError, match=r"not available in kaspar") as raised:
        getattr(F, name)("x")
    assert raised.value.getCondition() == "NOT_IMPLEMENTED"
    assert NOT_APPLICABLE[name] in str(raised.value)


@pytest.mark.parametrize("member", sorted(NOT_APPLICABLE_MEMBERS))
def test_not_applicable_member_raises_with_the_alternative(member: str) -> None:
    from kaspar.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    owner_name, attribute = member.split(".")
    owner = spark if owner_name == "SparkSession" else spark.range(1)
    with pytest.raises(PySparkNotImplementedError, match=r"not available in kaspar") as raised:
        getattr(owner, attribute)
    assert NOT_APPLICABLE_MEMBERS[member] in str(raised.value)
    assert not hasattr(owner, attribute)  # an AttributeError too: introspection goes on
