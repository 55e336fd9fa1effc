"""Connect's predicates: `TopicNameMatches`, `HasHeaderKey`, `RecordIsTombstone`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from kaspar.connect.data import ConnectRecord, DataError

PACKAGE = "org.apache.kafka.connect.transforms.predicates."


class TopicNameMatches:
    names: ClassVar[tuple[str, ...]] = (PACKAGE + "TopicNameMatches", "TopicNameMatches")

    def configure(self, props: Mapping[str, str]) -> None:
        try:
            self.pattern = re.compile(props["pattern"])
        except (KeyError, re.error) as exc:
            raise DataError(f"Invalid value for configuration pattern: {exc}") from exc

    def test(self, record: ConnectRecord) -> bool:
        return self.pattern.fullmatch(record.topic) is not None


class HasHeaderKey:
    names: ClassVar[tuple[str, ...]] = (PACKAGE + "HasHeaderKey", "HasHeaderKey")

    def configure(self, props: Mapping[str, str]) -> None:
        self.name = props.get("name", "")

    def test(self, record: ConnectRecord) -> bool:
        return any(key == self.name for key, _ in record.headers)


class RecordIsTombstone:
    names: ClassVar[tuple[str, ...]] = (PACKAGE + "RecordIsTombstone", "RecordIsTombstone")

    def configure(self, props: Mapping[str, str]) -> None:
        pass

    def test(self, record: ConnectRecord) -> bool:
        return record.value is None
