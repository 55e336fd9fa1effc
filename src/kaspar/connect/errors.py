"""Connect's REST errors: `{"error_code": <HTTP status>, "message": ...}`, with Connect's own
messages where clients match on them."""

from __future__ import annotations

from kaspar.service.errors import ApiError


def rest_error(status: int, message: str) -> ApiError:
    return ApiError(status, status, message)


def connector_not_found(name: str) -> ApiError:
    return rest_error(404, f"Connector {name} not found")


def connector_exists(name: str) -> ApiError:
    return rest_error(409, f"Connector {name} already exists")


def task_not_found(name: str, index: int) -> ApiError:
    return rest_error(404, f"Task {name}-{index} not found")


def bad_request(message: str) -> ApiError:
    return rest_error(400, message)


def not_stopped(name: str) -> ApiError:
    return rest_error(
        400,
        "Connectors must be in the STOPPED state before their offsets can be modified. This can"
        f" be done for the specified connector by issuing a 'PUT' request to the"
        f" '/connectors/{name}/stop' endpoint",
    )
