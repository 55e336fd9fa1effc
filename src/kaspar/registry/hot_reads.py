"""The reads serializers make on a cache miss, answered from rendered bytes before routing.

A serializer or deserializer whose own cache misses asks the registry one of four things:
`GET /schemas/ids/{id}`, `POST /subjects/{s}` (lookup), `GET /subjects/{s}/versions/{v}`
(`use.latest.version`) and `POST /subjects/{s}/versions` (auto-registration, mostly of a schema
registered long ago). Their answers change only when the state does, so:

1. The route answering one of them (through Starlette, with every check and error of the API)
   keeps its rendered 200 body in an `AnswerCache`, keyed by what the request asked (path,
   and for a POST the body's bytes) and stamped with the state's `generation` read *before*
   the answer was computed. A registration is kept when this process answered it itself (a
   schema the subject holds already, or the leader's own write), not a leader's forwarded
   answer.
2. `HotReads`, the ASGI app in front of Starlette, answers a request whose key is in the cache
   with a stamp equal to the current generation: the same status, headers and body the route
   would send, without routing, middleware, parsing or JSON encoding.
3. Everything else (a miss, a query string, a content type the API refuses, any other path)
   goes to Starlette unchanged; a POST's body, already read, is handed on with it.
Any record applied to the state bumps the generation, so an answer is never older than the
state it was computed from; errors are never cached. At most `MAX_ANSWERS` answers are kept,
none for a request body over `MAX_KEY_BYTES`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kaspar.registry.state import RegistryState

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Key = tuple[str, ...] | tuple[str, str, bytes]

MAX_ANSWERS = 8192
MAX_KEY_BYTES = 64 * 1024
HTTP_OK = 200
SCHEMA_REGISTRY_V1 = b"application/vnd.schemaregistry.v1+json"
ANSWER_TYPES = (SCHEMA_REGISTRY_V1, b"application/vnd.schemaregistry+json", b"application/json")
BODY_TYPES = (*ANSWER_TYPES, b"application/octet-stream")
IDS_PREFIX, SUBJECTS_PREFIX = "/schemas/ids/", "/subjects/"


class AnswerCache:
    """Rendered 200 bodies by request key, each valid for one state generation (step 1)."""

    def __init__(self, state: RegistryState, max_answers: int = MAX_ANSWERS) -> None:
        self.state, self.max_answers = state, max_answers
        self._answers: dict[Key, tuple[int, bytes]] = {}

    def get(self, key: Key) -> bytes | None:
        found = self._answers.get(key)
        if found is None or found[0] != self.state.generation:
            return None
        return found[1]

    def put(self, key: Key, generation: int, body: bytes) -> None:
        if len(self._answers) >= self.max_answers:
            self._answers.clear()  # a new generation of keys; the hot ones come back at once
        self._answers[key] = (generation, body)

    def keep(self, request: Request, key: Key, generation: int, response: Response) -> Response:
        """`response`, its body kept under `key` if the request had no query string (and a
        POST body of at most `MAX_KEY_BYTES`: the cache's memory stays bounded)."""
        small = sum(len(part) for part in key) <= MAX_KEY_BYTES
        if small and not request.scope["query_string"] and response.status_code == HTTP_OK:
            self.put(key, generation, bytes(response.body))
        return response


def id_key(schema_id: str) -> Key:
    return ("id", schema_id)


def version_key(subject: str, version: str) -> Key:
    return ("version", subject, version)


def lookup_key(subject: str, body: bytes) -> Key:
    return ("lookup", subject, body)


def register_key(subject: str, body: bytes) -> Key:
    return ("register", subject, body)


class HotReads:
    """Steps 2 and 3: `app` (the registry's Starlette app) behind a cache of hot answers."""

    def __init__(self, app: AsgiApp, cache: AnswerCache) -> None:
        self.app, self.cache = app, cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["query_string"]:
            return await self.app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        if method == "GET":
            key = _get_key(path)
            answer = None if key is None else self.cache.get(key)
            if answer is not None:
                return await _send_answer(scope, send, answer)
        elif method == "POST":
            make_key = _post_key(path)
            if make_key is not None and _body_type_accepted(scope):
                body = await _read_body(receive)
                answer = self.cache.get(make_key(body))
                if answer is not None:
                    return await _send_answer(scope, send, answer)
                receive = _replay(body, receive)
        return await self.app(scope, receive, send)


def _get_key(path: str) -> Key | None:
    if path.startswith(IDS_PREFIX):
        schema_id = path[len(IDS_PREFIX) :]
        return id_key(schema_id) if schema_id and "/" not in schema_id else None
    if path.startswith(SUBJECTS_PREFIX):
        parts = path[len(SUBJECTS_PREFIX) :].split("/")
        if len(parts) == 3 and parts[1] == "versions" and parts[0] and parts[2]:
            return version_key(parts[0], parts[2])
    return None


def _post_key(path: str) -> Callable[[bytes], Key] | None:
    """How to key a lookup (`/subjects/{s}`) or a registration (`/subjects/{s}/versions`)."""
    if not path.startswith(SUBJECTS_PREFIX):
        return None
    parts = path[len(SUBJECTS_PREFIX) :].split("/")
    if not parts[0]:
        return None
    if len(parts) == 1:
        return lambda body: lookup_key(parts[0], body)
    if len(parts) == 2 and parts[1] == "versions":
        return lambda body: register_key(parts[0], body)
    return None


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of header `name` (lower case), as Starlette's `headers.get` has it."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _body_type_accepted(scope: Scope) -> bool:
    """Whether the request's content type is one the API takes (else Starlette answers 415)."""
    content_type = (_header(scope, b"content-type") or b"").split(b";")[0].strip()
    return not content_type or content_type in BODY_TYPES


def _media_type(scope: Scope) -> bytes:
    """The answer's content type from Accept, as `routes.negotiation.media_type` picks it."""
    accept = (_header(scope, b"accept") or b"").decode("latin-1")
    for part in accept.split(","):
        candidate = part.split(";")[0].strip().encode("latin-1")
        if candidate in ANSWER_TYPES:
            return candidate
    return SCHEMA_REGISTRY_V1


async def _send_answer(scope: Scope, send: Send, body: bytes) -> None:
    headers = [(b"content-length", b"%d" % len(body)), (b"content-type", _media_type(scope))]
    await send({"type": "http.response.start", "status": HTTP_OK, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` that first hands on the body already read, then the connection's messages."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
