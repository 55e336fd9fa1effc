"""Attributes: the resolved output columns of a plan node, with unique ids like Spark's exprIds."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqlglot import exp

from kaspar.engine.plan.logical import LogicalPlan
from kaspar.engine.plan.nullability import Shape

_attribute_ids = itertools.count(1)

ATTR_ID = "attr_id"
METADATA = "metadata"  # an Alias's column metadata (JSON text), as ``alias(metadata=...)`` sets


def next_attribute_id() -> int:
    return next(_attribute_ids)


@dataclass(frozen=True)
class Attribute:
    """One output column: its user-facing ``name`` and the ``id`` it has in generated SQL."""

    name: str
    id: int = field(default_factory=next_attribute_id)
    qualifiers: tuple[str, ...] = ()
    nullable: bool = True
    metadata: str = field(default="", compare=False)  # the column's metadata as JSON, or ""
    shape: Shape | None = field(default=None, compare=False)  # nullability inside (nullability.py)

    @property
    def column_name(self) -> str:
        return f"_{self.id}"

    def reference(self) -> exp.Column:
        """A SQL reference to this attribute (with its id in ``meta``)."""
        col = exp.column(self.column_name, quoted=True)
        col.meta[ATTR_ID] = self.id
        return col

    def renamed(self, name: str) -> Attribute:
        return Attribute(name, self.id, self.qualifiers, self.nullable, self.metadata, self.shape)

    def fresh(self) -> Attribute:
        """The same column under a new id (the right side of a self-join)."""
        return Attribute(
            self.name,
            next_attribute_id(),
            self.qualifiers,
            self.nullable,
            self.metadata,
            self.shape,
        )


@dataclass(frozen=True, eq=False)
class ResolvedPlan:
    """A plan node whose expressions refer to attribute ids, with its output attributes.

    ``plan`` is a node of the same class as the user's node; its expression fields are rewritten
    over ``children``'s attributes and its child fields are left as they were (compile walks
    ``children``).
    """

    plan: LogicalPlan
    output: tuple[Attribute, ...]
    children: tuple[ResolvedPlan, ...] = ()

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.output]
