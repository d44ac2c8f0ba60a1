"""The receiver as a web app of its own: ASGI (FastAPI/Starlette mounts, uvicorn) and WSGI
(Flask, Django, gunicorn). Each answers a POST at any path where it is mounted; other
methods get 405, bodies over `max_body` bytes 413, all with a JSON body."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from .receiver import WebhookReceiver

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_REASONS = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 409: "Conflict"}
_REASONS |= {413: "Content Too Large", 500: "Internal Server Error"}


def _refusal(status: int) -> tuple[int, bytes, list[tuple[str, str]]]:
    if status == 405:
        message, extra = "Webhooks are POSTed: use POST.", [("allow", "POST")]
    else:
        message, extra = "The payload is larger than this receiver accepts.", []
    return status, orjson.dumps({"error": {"message": message}}), extra


def asgi_app(receiver: WebhookReceiver, *, max_body: int) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # Mounted inside an app, a sub-app never sees lifespan; served alone, servers
        # treat an app that ignores it as having nothing to start.
        if scope["type"] != "http":
            return
        extra: list[tuple[str, str]] = []
        if scope["method"] != "POST":
            status, body, extra = _refusal(405)
        else:
            chunks: list[bytes] = []
            size, more = 0, True
            while more:
                message = await receive()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= max_body:
                    chunks.append(chunk)
                more = message.get("more_body", False)
            if size > max_body:
                status, body, extra = _refusal(413)
            else:
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
                outcome = await receiver.handle_async(b"".join(chunks), headers)
                status, body = outcome.status, outcome.body()
        head = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *((k.encode("latin-1"), v.encode("latin-1")) for k, v in extra),
        ]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": body})

    return app


def wsgi_app(receiver: WebhookReceiver, *, max_body: int) -> WSGIApp:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        extra: list[tuple[str, str]] = []
        if environ.get("REQUEST_METHOD") != "POST":
            status, body, extra = _refusal(405)
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > max_body:
                status, body, extra = _refusal(413)
            else:
                payload = environ["wsgi.input"].read(length) if length > 0 else b""
                outcome = receiver.handle(payload, environ.get("HTTP_STRIPE_SIGNATURE"))
                status, body = outcome.status, outcome.body()
        start_response(
            f"{status} {_REASONS.get(status, '')}".rstrip(),
            [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *extra],
        )
        return [body]

    return app
