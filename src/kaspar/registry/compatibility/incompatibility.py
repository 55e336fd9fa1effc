"""One reason a new schema is incompatible with an old one, in Confluent's message shape."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Incompatibility:
    """An `errorType` (Confluent's name for the rule broken), where, and what it means."""

    error_type: str
    path: str
    description: str
    additional_info: str = ""

    def __str__(self) -> str:
        return (
            f"{{errorType:'{self.error_type}', description:'{self.description}', "
            f"additionalInfo:'{self.additional_info or self.path}'}}"
        )
