"""uvicorn's httptools protocol, with keep-alive for HTTP/1.0 clients that ask for it.

An HTTP/1.0 request with `Connection: keep-alive` may keep its connection open when the
answer says `Connection: keep-alive` too (RFC 9112, appendix C.2.2); Jetty (Confluent's
services run on it), nginx and Apache do so. uvicorn closes every HTTP/1.0 connection after one
answer, so a client such as ApacheBench (`ab -k`) pays a TCP handshake and a teardown per
request: about 85 us of the server's CPU per request on our machine, three times the cost of the
request itself. This protocol answers such a request like an HTTP/1.1 one and adds the header.

An answer without `Content-Length` (a stream) is sent chunked, which an HTTP/1.0 client cannot
read whatever the connection does; uvicorn does the same, and no Confluent API streams to
HTTP/1.0 clients.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

KEEP_ALIVE = (b"connection", b"keep-alive")


class Http10KeepAliveProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` keeping HTTP/1.0 connections that ask for keep-alive."""

    def on_headers_complete(self) -> None:
        previous = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if (
            cycle is not None
            and cycle is not previous
            and self.scope.get("http_version") == "1.0"
            and self.parser.should_keep_alive()
        ):
            cycle.keep_alive = True
            cycle.default_headers = [*cycle.default_headers, KEEP_ALIVE]
