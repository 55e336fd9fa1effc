"""What the HTTP services (registry, REST proxy, Connect, ksql) share: how an ASGI app is served
in-process (``asgi_server``) and the JSON error body every Confluent API answers with
(``errors``). See docs/services.md."""
