"""The in-process door: a `stripe.HTTPClient` that hands requests to the engine directly.

The official SDK still does everything it does against Stripe — encoding, headers,
idempotency keys, error classes, `auto_paging_iter()` — only the socket is gone.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import stripe

from .engine import Engine, Response


class InProcessHTTPClient(stripe.HTTPClient):
    name = "stripekit-inprocess"

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine

    def _call(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any
    ) -> Response:
        # The SDK builds `scheme://host/path?query`; split it by hand (urlsplit's
        # generality costs more than the rest of this method).
        host, _, rest = url.partition("://")[2].partition("/")
        path, _, query = rest.partition("?")
        if post_data is None:
            body = b""
        elif isinstance(post_data, str):
            body = post_data.encode()
        else:
            body = bytes(post_data)
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        lowered.setdefault("host", host)
        return self._engine.handle(method, "/" + path, query, lowered, body)

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        response = self._call(method, url, headers, post_data)
        return response.body.decode(), response.status, dict(response.headers)

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        response = self._call(method, url, headers, post_data)
        return io.BytesIO(response.body), response.status, dict(response.headers)

    def close(self) -> None:
        """Nothing to release: there is no connection."""
