"""Emit ``api_index.py`` and ``errors.py``."""

from __future__ import annotations

import csv
from pathlib import Path

from tools.protocol_codegen.emit_messages import HEADER
from tools.protocol_codegen.spec import MessageSpec, snake_case

_INDEX_BODY = '''
@dataclass(frozen=True, slots=True)
class ApiSpec:
    """One API: its message classes and the versions the spec defines."""

    key: ApiKey
    name: str
    request: type[Any]
    response: type[Any]
    min_version: int
    max_version: int
    flexible_from: int | None
    latest_unstable: bool

    def is_flexible(self, version: int) -> bool:
        return self.flexible_from is not None and version >= self.flexible_from


def api_info(key: int) -> ApiInfo | None:
    """Version facts of an API without importing its message module."""
    return _TABLE.get(key)


@functools.cache
def api_spec(key: int) -> ApiSpec | None:
    """The :class:`ApiSpec` of ``key`` (message module imported on first use), or None."""
    info = _TABLE.get(key)
    if info is None:
        return None
    module = importlib.import_module(f"kaspar.protocol.messages.{info.module}")
    return ApiSpec(
        key=ApiKey(key),
        name=info.name,
        request=getattr(module, info.name + "Request"),
        response=getattr(module, info.name + "Response"),
        min_version=info.min_version,
        max_version=info.max_version,
        flexible_from=info.flexible_from,
        latest_unstable=info.latest_unstable,
    )
'''

_INFO_CLASS = '''
class ApiInfo(NamedTuple):
    """Static facts about one API key (no message classes involved)."""

    name: str
    module: str
    min_version: int
    max_version: int
    flexible_from: int | None
    latest_unstable: bool
'''


def api_name(request_name: str) -> str:
    return request_name.removesuffix("Request")


def render_index(requests: list[MessageSpec]) -> str:
    ordered = sorted(requests, key=lambda m: m.api_key or 0)
    lines = [
        HEADER,
        '"""Kafka API keys and their request/response classes (loaded lazily)."""',
        "",
        "import functools",
        "import importlib",
        "from dataclasses import dataclass",
        "from enum import IntEnum",
        "from typing import Any, NamedTuple",
        "",
        "",
        "class ApiKey(IntEnum):",
        '    """Kafka API keys."""',
        "",
    ]
    lines += [f"    {snake_case(api_name(m.name)).upper()} = {m.api_key}" for m in ordered]
    lines.append(_INFO_CLASS)
    lines.append("_TABLE: dict[int, ApiInfo] = {")
    for m in ordered:
        name = api_name(m.name)
        lo, hi = m.valid_versions
        lines.append(
            f"    {m.api_key}: ApiInfo({name!r}, {snake_case(name)!r}, {lo}, {hi}, "
            f"{m.flexible_from}, {m.latest_unstable}),"
        )
    lines.append("}")
    return "\n".join(lines) + "\n" + _INDEX_BODY


def render_errors(csv_path: Path) -> str:
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    lines = [
        HEADER,
        '"""Kafka error codes (from error-codes.csv)."""',
        "",
        "from enum import IntEnum",
        "",
        "",
        "class ErrorCode(IntEnum):",
        '    """Kafka protocol error codes."""',
        "",
    ]
    for row in rows:
        lines.append(f"    {row['name']} = {int(row['code'])}")
        exc = row["java_exception_class"]
        if exc and exc != "-":
            lines.append(f'    """Java: {exc}."""')
    retriable = [row["name"] for row in rows if row["retriable"].strip() == "yes"]
    lines += ["", "", "RETRIABLE: frozenset[ErrorCode] = frozenset(", "    {"]
    lines += [f"        ErrorCode.{name}," for name in retriable]
    lines += ["    }", ")", '"""Errors a client may retry."""']
    return "\n".join(lines) + "\n"
