"""Spark's XML data source options (``rowTag``, ``attributePrefix``, ``valueTag``, ...), read once
from the lower-cased option map that ``spark.read`` / ``df.write`` / ``from_xml`` collect.

Defaults are Spark's: attributes are the fields ``_name``, an element's own text beside its
attributes or children the field ``_VALUE``, surrounding spaces of values trimmed, no null
marker, records written under ``<ROWS>`` with the declaration ``version="1.0" encoding="UTF-8"
standalone="yes"``, a nested array's elements written as ``<item>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kaspar.errors import AnalysisException, IllegalArgumentException

MODES = ("PERMISSIVE", "DROPMALFORMED", "FAILFAST")
DECLARATION = 'version="1.0" encoding="UTF-8" standalone="yes"'


@dataclass(frozen=True)
class XmlOptions:
    """The options, parsed (see the module docstring)."""

    row_tag: str = "ROW"
    root_tag: str = "ROWS"
    attribute_prefix: str = "_"
    value_tag: str = "_VALUE"
    exclude_attribute: bool = False
    ignore_surrounding_spaces: bool = True
    null_value: str | None = None
    mode: str = "PERMISSIVE"
    corrupt_column: str = "_corrupt_record"
    infer_schema: bool = True
    sampling_ratio: float = 1.0
    date_format: str | None = None
    timestamp_format: str | None = None
    array_element_name: str = "item"
    declaration: str = DECLARATION
    compression: str = "none"


def _flag(options: dict[str, str], key: str, default: bool) -> bool:
    value = options.get(key)
    return default if value is None else str(value).strip().lower() == "true"


def xml_options(options: dict[str, str] | None, *, require_row_tag: bool = False) -> XmlOptions:
    """The options of ``options`` (keys in any case); ``require_row_tag`` for the data source,
    which fails without ``rowTag`` as Spark does (``XML_ROW_TAG_MISSING``)."""
    opts = {str(k).lower(): str(v) for k, v in (options or {}).items()}
    row_tag = opts.get("rowtag")
    if row_tag is not None and not row_tag.strip():
        raise IllegalArgumentException("'rowTag' option should not be an empty string.")
    if require_row_tag and row_tag is None:
        raise AnalysisException(
            "`rowTag` option is required for reading/writing files in XML format.",
            "XML_ROW_TAG_MISSING",
        )
    mode = opts.get("mode", "PERMISSIVE").upper()
    ratio = float(opts.get("samplingratio", "1.0"))
    if not 0 < ratio <= 1:
        raise IllegalArgumentException(f"samplingRatio ({ratio}) should be greater than 0")
    prefix = opts.get("attributeprefix", "_")
    value_tag = opts.get("valuetag", "_VALUE")
    if not value_tag:
        raise IllegalArgumentException("'valueTag' option should not be empty string.")
    return XmlOptions(
        row_tag=(row_tag or "ROW").strip(),
        root_tag=opts.get("roottag", "ROWS"),
        attribute_prefix=prefix,
        value_tag=value_tag,
        exclude_attribute=_flag(opts, "excludeattribute", False),
        ignore_surrounding_spaces=_flag(opts, "ignoresurroundingspaces", True),
        null_value=opts.get("nullvalue"),
        mode=mode if mode in MODES else "PERMISSIVE",
        corrupt_column=opts.get("columnnameofcorruptrecord", "_corrupt_record"),
        infer_schema=_flag(opts, "inferschema", True),
        sampling_ratio=ratio,
        date_format=opts.get("dateformat"),
        timestamp_format=opts.get("timestampformat"),
        array_element_name=opts.get("arrayelementname", "item"),
        declaration=opts.get("declaration", DECLARATION),
        compression=opts.get("compression", "none").lower(),
    )
