"""ApiVersions (key 18): what the broker answers, derived from ``versions.py``."""

from __future__ import annotations

import re

from kaspar.broker.context import BrokerContext
from kaspar.broker.versions import SUPPORTED_VERSIONS
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.api_versions import (
    ApiVersion,
    ApiVersionsRequest,
    ApiVersionsResponse,
)

__all__ = ["handle_api_versions", "unsupported_version_response"]

_SOFTWARE = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$")


def _api_keys() -> list[ApiVersion]:
    return [
        ApiVersion(api_key=int(key), min_version=low, max_version=high)
        for key, (low, high) in sorted(SUPPORTED_VERSIONS.items())
    ]


def handle_api_versions(
    ctx: BrokerContext, request: ApiVersionsRequest, version: int
) -> ApiVersionsResponse:
    del ctx
    if version >= 3 and not (
        _SOFTWARE.match(request.client_software_name)
        and _SOFTWARE.match(request.client_software_version)
    ):
        return ApiVersionsResponse(error_code=ErrorCode.INVALID_REQUEST, api_keys=_api_keys())
    return ApiVersionsResponse(error_code=ErrorCode.NONE, api_keys=_api_keys())


def unsupported_version_response() -> ApiVersionsResponse:
    """KIP-511: a version we don't know is answered as v0 with UNSUPPORTED_VERSION."""
    return ApiVersionsResponse(error_code=ErrorCode.UNSUPPORTED_VERSION, api_keys=_api_keys())
