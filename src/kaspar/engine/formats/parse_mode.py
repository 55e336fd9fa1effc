"""``mode`` of ``from_avro`` / ``from_protobuf``: FAILFAST (Spark's default) fails the query on
the first value that does not decode, PERMISSIVE gives NULL for it. Spark's wording and error
classes (``MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION``, ``PARSE_MODE_UNSUPPORTED``)."""

from __future__ import annotations

from kaspar.errors import AnalysisException, SparkException

FAILFAST = "FAILFAST"
PERMISSIVE = "PERMISSIVE"
MALFORMED = "MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION"


def parse_mode(function: str, options: dict[str, str] | None) -> str:
    """The ``mode`` option of ``function``, checked."""
    lowered = {k.lower(): v for k, v in (options or {}).items()}
    mode = lowered.get("mode", FAILFAST).upper()
    if mode not in (FAILFAST, PERMISSIVE):
        raise AnalysisException(
            f"The function `{function}` doesn't support the {mode} mode. Acceptable modes are "
            "PERMISSIVE and FAILFAST.",
            "PARSE_MODE_UNSUPPORTED",
        )
    return mode


def malformed_record(reason: str) -> SparkException:
    """The error FAILFAST raises for a value that does not decode (``reason`` says why)."""
    return SparkException(
        f"Malformed records are detected in record parsing: {reason}.\nParse Mode: FAILFAST. "
        "To process malformed records as null result, try setting the option 'mode' as "
        "'PERMISSIVE'.",
        MALFORMED,
    )
