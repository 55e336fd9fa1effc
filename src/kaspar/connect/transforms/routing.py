"""`RegexRouter` (rename the topic) and `Filter` (drop the records a predicate matches)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar

from kaspar.connect.data import ConnectRecord, DataError

PACKAGE = "org.apache.kafka.connect.transforms."
JAVA_GROUP = re.compile(r"\$(\d+)")


class RegexRouter:
    names: ClassVar[tuple[str, ...]] = (PACKAGE + "RegexRouter", "RegexRouter")

    def configure(self, props: Mapping[str, str]) -> None:
        try:
            self.regex = re.compile(props["regex"])
        except (KeyError, re.error) as exc:
            raise DataError(f"Invalid value for configuration regex: {exc}") from exc
        # Java's $1 is Python's \g<1>
        self.replacement = JAVA_GROUP.sub(r"\\g<\1>", props.get("replacement", ""))

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        if self.regex.fullmatch(record.topic) is None:
            return record
        return replace(record, topic=self.regex.sub(self.replacement, record.topic, count=1))


class Filter:
    """Drops every record it is applied to: used with a predicate, it drops those matching."""

    names: ClassVar[tuple[str, ...]] = (PACKAGE + "Filter", "Filter")

    def configure(self, props: Mapping[str, str]) -> None:
        pass

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return None
