"""ksqlDB's error bodies: ``{"@type", "error_code", "message"}`` and, for a statement,
``statementText`` and ``entities`` too. ``error_code`` is the HTTP status times 100 plus a
number (40001: a bad statement, 40002: a query sent to ``/ksql``, 40400: not found)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

BAD_REQUEST = 40000
BAD_STATEMENT = 40001
QUERY_ENDPOINT = 40002
NOT_FOUND = 40400
SCHEMA_REGISTRY_NOT_CONFIGURED = 42801
SERVER_ERROR = 50000

MEDIA_TYPE = "application/json"


class KsqlError(Exception):
    """A failure answered as ksqlDB's error body; ``statement_text`` makes it a
    ``statement_error``."""

    def __init__(
        self, message: str, error_code: int = BAD_STATEMENT, statement_text: str | None = None
    ) -> None:
        super().__init__(message)
        self.message, self.error_code, self.statement_text = message, error_code, statement_text

    @property
    def status(self) -> int:
        return self.error_code // 100

    def body(self) -> dict[str, Any]:
        if self.statement_text is None:
            return {
                "@type": "generic_error",
                "error_code": self.error_code,
                "message": self.message,
            }
        return {
            "@type": "statement_error",
            "error_code": self.error_code,
            "message": self.message,
            "statementText": self.statement_text,
            "entities": [],
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, media_type=MEDIA_TYPE)


class KsqlSyntaxError(KsqlError):
    """A statement that does not parse: the message names the line, column and token."""

    def __init__(self, line: int, column: int, detail: str) -> None:
        super().__init__(f"line {line}:{column}: {detail}")
        self.line, self.column = line, column
