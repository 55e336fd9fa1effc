"""Single message transforms and predicates, by the class names Connect configs use."""

from collections.abc import Callable

from kaspar.connect.transforms.base import (
    Predicate,
    Transformation,
    apply_chain,
    build_chain,
)
from kaspar.connect.transforms.extract_new_record_state import ExtractNewRecordState
from kaspar.connect.transforms.fields import (
    InsertField,
    InsertFieldKey,
    ReplaceField,
    ReplaceFieldKey,
)
from kaspar.connect.transforms.predicates import HasHeaderKey, RecordIsTombstone, TopicNameMatches
from kaspar.connect.transforms.routing import Filter, RegexRouter
from kaspar.connect.transforms.timestamp_converter import (
    TimestampConverter,
    TimestampConverterKey,
)

TRANSFORMS: dict[str, Callable[[], Transformation]] = {
    name: cls
    for cls in (
        ExtractNewRecordState,
        ReplaceField,
        ReplaceFieldKey,
        InsertField,
        InsertFieldKey,
        RegexRouter,
        Filter,
        TimestampConverter,
        TimestampConverterKey,
    )
    for name in cls.names
}
PREDICATES: dict[str, Callable[[], Predicate]] = {
    name: cls for cls in (TopicNameMatches, HasHeaderKey, RecordIsTombstone) for name in cls.names
}

__all__ = ["PREDICATES", "TRANSFORMS", "apply_chain", "build_chain"]
