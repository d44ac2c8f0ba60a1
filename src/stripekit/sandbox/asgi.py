"""The HTTP door: a plain ASGI application over the engine, no web framework.

The engine call is synchronous and short (tens of microseconds against SQLite), so it runs
on the event loop itself: a thread hop would cost more than the work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .engine import Engine

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def create_app(engine: Engine) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = b""
        # A GET carries no body: skipping receive() saves an await on the hot read path.
        if scope["method"] != "GET" or "content-length" in headers:
            chunks: list[bytes] = []
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
        # The raw path keeps `%2F` inside an id apart from the `/` between segments;
        # the router decodes each segment, as it does for the in-process door.
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        response = engine.handle(scope["method"], path, scope["query_string"], headers, body)
        out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        # With a length the server writes the body as is; without one it chunks it and
        # pays a third write for the terminating chunk.
        out.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        await send({"type": "http.response.body", "body": response.body})

    return app
